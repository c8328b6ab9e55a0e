//! Every request and response type, one file per request kind, and the `Request` / `Response`
//! enums that dispatch encoding and decoding by api key.
//!
//! Control-plane bodies are JSON objects (unknown fields are ignored, so fields can be added
//! without a version bump). Produce and Fetch have binary bodies (see their files).

pub mod api_versions;
pub mod common;
pub mod create_partitions;
pub mod create_topic;
pub mod delete_group;
pub mod delete_topic;
pub mod describe_group;
pub mod describe_partition;
pub mod describe_topic;
pub mod fetch;
pub mod heartbeat;
pub mod init_producer;
pub mod join_group;
pub mod leave_group;
pub mod list_groups;
pub mod list_offsets;
pub mod list_topics;
pub mod metrics_fetch;
pub mod offset_commit;
pub mod offset_fetch;
pub mod ping;
pub mod produce;

use crate::api::ApiKey;
use crate::error::ProtocolError;
use crate::error_code::ErrorCode;
use crate::frame::{
    encode_response_frame, put_response_header, request_frame_parts, RequestFrame, ResponseFrame,
};
use crate::parts::{FrameParts, PartsWriter};
use crate::wire::Reader;
use bytes::{BufMut, Bytes, BytesMut};
use common::ErrorBody;

pub(crate) fn read_error_code(r: &mut Reader) -> Result<ErrorCode, ProtocolError> {
    let raw = r.u16("error_code")?;
    ErrorCode::from_code(raw).ok_or(ProtocolError::UnknownErrorCode(raw))
}

fn to_json<T: serde::Serialize>(
    api: ApiKey,
    value: &T,
    w: &mut PartsWriter,
) -> Result<(), ProtocolError> {
    serde_json::to_writer(w.buf().writer(), value).map_err(|source| ProtocolError::InvalidJson {
        api: api.name(),
        source,
    })
}

fn from_json<T: serde::de::DeserializeOwned>(api: ApiKey, body: &[u8]) -> Result<T, ProtocolError> {
    // Bad UTF-8 gets its own error rather than a generic JSON one.
    if std::str::from_utf8(body).is_err() {
        return Err(ProtocolError::InvalidUtf8 { what: "JSON body" });
    }
    serde_json::from_slice(body).map_err(|source| ProtocolError::InvalidJson {
        api: api.name(),
        source,
    })
}

macro_rules! messages {
    (
        json { $( $japi:ident => $jreq:ty, $jresp:ty; )* }
        binary { $( $bapi:ident => $breq:ty, $bresp:ty; )* }
    ) => {
        /// A decoded request body of any kind.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Request {
            $( $japi($jreq), )*
            $( $bapi($breq), )*
        }

        /// A decoded successful response body of any kind.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Response {
            $( $japi($jresp), )*
            $( $bapi($bresp), )*
        }

        impl Request {
            /// The api key this request is sent under.
            pub fn api_key(&self) -> ApiKey {
                match self {
                    $( Request::$japi(_) => ApiKey::$japi, )*
                    $( Request::$bapi(_) => ApiKey::$bapi, )*
                }
            }

            /// Encodes just the body.
            pub fn encode_body(&self) -> Result<Vec<u8>, ProtocolError> {
                Ok(self.encode_body_parts()?.to_bytes().to_vec())
            }

            /// Encodes just the body, as parts (record batches shared, not copied).
            pub fn encode_body_parts(&self) -> Result<FrameParts, ProtocolError> {
                let mut w = PartsWriter::new();
                match self {
                    $( Request::$japi(body) => to_json(ApiKey::$japi, body, &mut w)?, )*
                    $( Request::$bapi(body) => body.encode_parts(&mut w), )*
                }
                Ok(w.finish())
            }

            /// Decodes the body of a request of kind `api`.
            pub fn decode_body(api: ApiKey, body: Bytes) -> Result<Request, ProtocolError> {
                match api {
                    $( ApiKey::$japi => from_json(api, &body).map(Request::$japi), )*
                    $( ApiKey::$bapi => <$breq>::decode(body).map(Request::$bapi), )*
                }
            }
        }

        impl Response {
            /// The api key of the request this answers.
            pub fn api_key(&self) -> ApiKey {
                match self {
                    $( Response::$japi(_) => ApiKey::$japi, )*
                    $( Response::$bapi(_) => ApiKey::$bapi, )*
                }
            }

            /// Encodes just the body.
            pub fn encode_body(&self) -> Result<Vec<u8>, ProtocolError> {
                let mut w = PartsWriter::new();
                self.encode_body_into(&mut w)?;
                Ok(w.finish().to_bytes().to_vec())
            }

            /// Writes the body into `w` (record batches shared, not copied).
            fn encode_body_into(&self, w: &mut PartsWriter) -> Result<(), ProtocolError> {
                match self {
                    $( Response::$japi(body) => to_json(ApiKey::$japi, body, w)?, )*
                    $( Response::$bapi(body) => body.encode_parts(w), )*
                }
                Ok(())
            }

            /// Decodes the body of a successful response to a request of kind `api`.
            pub fn decode_body(api: ApiKey, body: Bytes) -> Result<Response, ProtocolError> {
                match api {
                    $( ApiKey::$japi => from_json(api, &body).map(Response::$japi), )*
                    $( ApiKey::$bapi => <$bresp>::decode(body).map(Response::$bapi), )*
                }
            }
        }

        $(
            impl From<$jreq> for Request { fn from(body: $jreq) -> Self { Request::$japi(body) } }
            impl From<$jresp> for Response { fn from(body: $jresp) -> Self { Response::$japi(body) } }
        )*
        $(
            impl From<$breq> for Request { fn from(body: $breq) -> Self { Request::$bapi(body) } }
            impl From<$bresp> for Response { fn from(body: $bresp) -> Self { Response::$bapi(body) } }
        )*
    };
}

messages! {
    json {
        ApiVersions => api_versions::ApiVersionsRequest, api_versions::ApiVersionsResponse;
        Ping => ping::PingRequest, ping::PingResponse;
        ListOffsets => list_offsets::ListOffsetsRequest, list_offsets::ListOffsetsResponse;
        CreateTopic => create_topic::CreateTopicRequest, create_topic::CreateTopicResponse;
        DeleteTopic => delete_topic::DeleteTopicRequest, delete_topic::DeleteTopicResponse;
        ListTopics => list_topics::ListTopicsRequest, list_topics::ListTopicsResponse;
        DescribeTopic => describe_topic::DescribeTopicRequest, describe_topic::DescribeTopicResponse;
        DescribePartition => describe_partition::DescribePartitionRequest, describe_partition::DescribePartitionResponse;
        OffsetCommit => offset_commit::OffsetCommitRequest, offset_commit::OffsetCommitResponse;
        OffsetFetch => offset_fetch::OffsetFetchRequest, offset_fetch::OffsetFetchResponse;
        JoinGroup => join_group::JoinGroupRequest, join_group::JoinGroupResponse;
        Heartbeat => heartbeat::HeartbeatRequest, heartbeat::HeartbeatResponse;
        LeaveGroup => leave_group::LeaveGroupRequest, leave_group::LeaveGroupResponse;
        MetricsFetch => metrics_fetch::MetricsFetchRequest, metrics_fetch::MetricsFetchResponse;
        ListGroups => list_groups::ListGroupsRequest, list_groups::ListGroupsResponse;
        DescribeGroup => describe_group::DescribeGroupRequest, describe_group::DescribeGroupResponse;
        InitProducer => init_producer::InitProducerRequest, init_producer::InitProducerResponse;
        CreatePartitions => create_partitions::CreatePartitionsRequest, create_partitions::CreatePartitionsResponse;
        DeleteGroup => delete_group::DeleteGroupRequest, delete_group::DeleteGroupResponse;
    }
    binary {
        Produce => produce::ProduceRequest, produce::ProduceResponse;
        Fetch => fetch::FetchRequest, fetch::FetchResponse;
    }
}

impl Request {
    /// Decodes a whole request frame: checks the api key and version, then the body.
    pub fn decode(frame: &RequestFrame) -> Result<Request, ProtocolError> {
        let api = frame.header.checked_api()?;
        Request::decode_body(api, frame.body.clone())
    }

    /// Appends this request as a frame (version 0) to `out`.
    pub fn encode_frame(
        &self,
        correlation_id: u32,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        let body = self.encode_body_parts()?;
        request_frame_parts(self.api_key(), 0, correlation_id, &body).extend_into(out);
        Ok(())
    }
}

/// What a response frame carried: the typed response, or the broker's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseBody {
    Ok(Response),
    Err { code: ErrorCode, message: String },
}

impl Response {
    /// Appends this successful response as a frame to `out`.
    pub fn encode_frame(
        &self,
        correlation_id: u32,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        self.encode_frame_parts(correlation_id)?.extend_into(out);
        Ok(())
    }

    /// This successful response as a frame in parts: the record batches of a fetch are the
    /// stored bytes themselves, for the connection to write without a copy.
    pub fn encode_frame_parts(&self, correlation_id: u32) -> Result<FrameParts, ProtocolError> {
        let mut w = PartsWriter::new();
        put_response_header(w.buf(), correlation_id, ErrorCode::None);
        self.encode_body_into(&mut w)?;
        Ok(w.finish_frame())
    }

    /// Decodes a response frame to a request of kind `api`.
    pub fn decode(api: ApiKey, frame: &ResponseFrame) -> Result<ResponseBody, ProtocolError> {
        let raw = frame.header.error_code;
        let code = ErrorCode::from_code(raw).ok_or(ProtocolError::UnknownErrorCode(raw))?;
        if code == ErrorCode::None {
            return Response::decode_body(api, frame.body.clone()).map(ResponseBody::Ok);
        }
        let body: ErrorBody = from_json(api, &frame.body)?;
        Ok(ResponseBody::Err {
            code,
            message: body.message,
        })
    }
}

/// Appends an error response frame (`error_code` != 0, body `{"message": ...}`) to `out`.
pub fn encode_error_response(
    out: &mut BytesMut,
    correlation_id: u32,
    code: ErrorCode,
    message: &str,
) {
    let body = serde_json::json!({ "message": message }).to_string();
    encode_response_frame(out, correlation_id, code, |out| {
        out.extend_from_slice(body.as_bytes())
    });
}

/// The correlation id of the one unsolicited frame (SPEC.md §3.4): a broker at its connection
/// cap sends it and closes. Clients never use it for a request.
pub const REJECTION_CORRELATION_ID: u32 = 0;

/// Appends the unsolicited rejection frame (§3.4): an error response with correlation id 0.
pub fn encode_rejection(out: &mut BytesMut, code: ErrorCode, message: &str) {
    encode_error_response(out, REJECTION_CORRELATION_ID, code, message);
}

/// The broker's refusal of the connection, when `frame` is the rejection frame of §3.4 (its
/// correlation id 0 and a known non-zero error code); `None` for any other frame.
pub fn decode_rejection(frame: &ResponseFrame) -> Option<(ErrorCode, String)> {
    if frame.header.correlation_id != REJECTION_CORRELATION_ID {
        return None;
    }
    let code = ErrorCode::from_code(frame.header.error_code).filter(|c| *c != ErrorCode::None)?;
    let message = serde_json::from_slice::<ErrorBody>(&frame.body)
        .map_or_else(|_| code.message().to_string(), |body| body.message);
    Some((code, message))
}
