//! [`Kafka`]: how the shared connection loop (`crate::connection`) reads and answers Kafka
//! frames. A frame is an `i32` length, a request header whose version follows from the api key
//! and version, then the body. The length is checked against `frame_bytes_max` before the frame
//! is buffered whole; the header and body are decoded before the request is queued, so a frame
//! the broker cannot read — an unknown api, a version outside [`SERVED`](super::SERVED), a body
//! that does not decode — ends the connection, as Kafka does. The one exception is KIP-511: an
//! ApiVersions request above our versions gets a v0 reply with UNSUPPORTED_VERSION so the client
//! retries lower.

use super::frame::{encode, encode_fetch};
use super::{
    alter_configs, api_versions, create_partitions, create_topics, delete_groups, delete_topics,
    describe_cluster, describe_configs, describe_groups, fetch, find_coordinator, heartbeat,
    incremental_alter_configs, init_producer_id, join_group, leave_group, list_groups,
    list_offsets, metadata, offset_commit, offset_delete, offset_fetch, produce, served_versions,
    sync_group,
};
use crate::connection::{Protocol, RESPONSE_ESTIMATE_BYTES};
use crate::state::BrokerState;
use bytes::{Buf, Bytes, BytesMut};
use futures::future::BoxFuture;
use kafka_protocol::messages::{
    AlterConfigsRequest, ApiKey, ApiVersionsRequest, CreatePartitionsRequest, CreateTopicsRequest,
    DeleteGroupsRequest, DeleteTopicsRequest, DescribeClusterRequest, DescribeConfigsRequest,
    DescribeGroupsRequest, FetchRequest, FindCoordinatorRequest, HeartbeatRequest,
    IncrementalAlterConfigsRequest, InitProducerIdRequest, JoinGroupRequest, LeaveGroupRequest,
    ListGroupsRequest, ListOffsetsRequest, MetadataRequest, OffsetCommitRequest,
    OffsetDeleteRequest, OffsetFetchRequest, ProduceRequest, RequestHeader, SyncGroupRequest,
};
use kafka_protocol::protocol::Decodable;
use rustlog_protocol::limits::FETCH_BYTES_MAX;
use rustlog_protocol::FrameParts;
use std::sync::Arc;

pub use super::frame::LENGTH_BYTES;
/// The smallest request: api key, api version and correlation id.
pub const REQUEST_BYTES_MIN: usize = 8;

/// The Kafka protocol, for [`crate::connection::serve`].
#[derive(Debug)]
pub struct Kafka;

/// Why a Kafka byte stream cannot be read on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    #[error("frame length {length} is outside {REQUEST_BYTES_MIN}..={max} bytes")]
    BadLength { length: i32, max: u32 },
    #[error("api key {api_key} (version {version}) is not served")]
    UnknownApi { api_key: i16, version: i16 },
    #[error("{api:?} version {version} is outside the served {min}..={max}")]
    UnsupportedVersion {
        api: ApiKey,
        version: i16,
        min: i16,
        max: i16,
    },
    #[error("{api:?} v{version}: cannot decode the {part}: {reason}")]
    Decode {
        api: ApiKey,
        version: i16,
        part: &'static str,
        reason: String,
    },
}

/// One decoded request.
#[derive(Debug)]
pub struct KafkaFrame {
    pub api: ApiKey,
    pub version: i16,
    pub correlation_id: i32,
    pub request: KafkaRequest,
    /// Bytes of the frame, for the connection's byte budget.
    pub frame_bytes: usize,
    /// The header's client id (empty when null): JoinGroup builds member ids from it.
    pub client_id: String,
}

/// The body of a served request.
#[derive(Debug)]
pub enum KafkaRequest {
    ApiVersions(ApiVersionsRequest),
    /// An ApiVersions request above our versions (its body is not read: KIP-511).
    ApiVersionsTooNew,
    Metadata(MetadataRequest),
    Produce(ProduceRequest),
    Fetch(FetchRequest),
    ListOffsets(ListOffsetsRequest),
    InitProducerId(InitProducerIdRequest),
    CreateTopics(CreateTopicsRequest),
    DeleteTopics(DeleteTopicsRequest),
    FindCoordinator(FindCoordinatorRequest),
    JoinGroup(JoinGroupRequest),
    SyncGroup(SyncGroupRequest),
    Heartbeat(HeartbeatRequest),
    LeaveGroup(LeaveGroupRequest),
    OffsetCommit(OffsetCommitRequest),
    OffsetFetch(OffsetFetchRequest),
    ListGroups(ListGroupsRequest),
    DescribeGroups(DescribeGroupsRequest),
    DeleteGroups(DeleteGroupsRequest),
    OffsetDelete(OffsetDeleteRequest),
    CreatePartitions(CreatePartitionsRequest),
    DescribeConfigs(DescribeConfigsRequest),
    AlterConfigs(AlterConfigsRequest),
    IncrementalAlterConfigs(IncrementalAlterConfigsRequest),
    DescribeCluster(DescribeClusterRequest),
}

impl Protocol for Kafka {
    type Frame = KafkaFrame;
    type Error = FrameError;

    fn decode(buf: &mut BytesMut, frame_bytes_max: u32) -> Result<Option<KafkaFrame>, FrameError> {
        let Some(prefix) = buf.get(..LENGTH_BYTES) else {
            return Ok(None);
        };
        let length = i32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
        let bad_length = FrameError::BadLength {
            length,
            max: frame_bytes_max,
        };
        let frame_len = usize::try_from(length).map_err(|_| bad_length)?;
        if frame_len < REQUEST_BYTES_MIN || frame_len > frame_bytes_max as usize {
            return Err(FrameError::BadLength {
                length,
                max: frame_bytes_max,
            });
        }
        if buf.len() < LENGTH_BYTES + frame_len {
            buf.reserve(LENGTH_BYTES + frame_len - buf.len());
            return Ok(None);
        }
        buf.advance(LENGTH_BYTES);
        let frame = buf.split_to(frame_len).freeze();
        decode_frame(frame).map(Some)
    }

    fn estimate_bytes(frame: &KafkaFrame) -> usize {
        let response = match &frame.request {
            KafkaRequest::Fetch(fetch) => usize::try_from(fetch.max_bytes)
                .unwrap_or(0)
                .min(FETCH_BYTES_MAX as usize),
            _ => 0,
        };
        frame.frame_bytes + response + RESPONSE_ESTIMATE_BYTES
    }

    fn respond(state: Arc<BrokerState>, frame: KafkaFrame) -> BoxFuture<'static, FrameParts> {
        Box::pin(respond_measured(state, frame))
    }

    fn rejection(_connections_max: usize) -> Option<Bytes> {
        // Kafka has no unsolicited error frame: a refused client just sees the close.
        None
    }
}

/// Decodes one whole frame (without its length prefix).
fn decode_frame(mut frame: Bytes) -> Result<KafkaFrame, FrameError> {
    let frame_bytes = LENGTH_BYTES + frame.len();
    // REQUEST_BYTES_MIN was checked: the three fixed fields are there.
    let api_key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let (api, min, max) =
        served_versions(api_key).ok_or(FrameError::UnknownApi { api_key, version })?;
    if api == ApiKey::ApiVersions && version > max {
        return Ok(KafkaFrame {
            api,
            version,
            correlation_id,
            request: KafkaRequest::ApiVersionsTooNew,
            frame_bytes,
            client_id: String::new(),
        });
    }
    if version < min || version > max {
        return Err(FrameError::UnsupportedVersion {
            api,
            version,
            min,
            max,
        });
    }
    let decode_error = |part: &'static str| {
        move |err: anyhow::Error| FrameError::Decode {
            api,
            version,
            part,
            reason: err.to_string(),
        }
    };
    let header = RequestHeader::decode(&mut frame, api.request_header_version(version))
        .map_err(decode_error("request header"))?;
    let client_id = header
        .client_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    let request = decode_body(api, &mut frame, version).map_err(decode_error("body"))?;
    Ok(KafkaFrame {
        api,
        version,
        correlation_id,
        request,
        frame_bytes,
        client_id,
    })
}

fn decode_body(api: ApiKey, body: &mut Bytes, version: i16) -> anyhow::Result<KafkaRequest> {
    Ok(match api {
        ApiKey::ApiVersions => KafkaRequest::ApiVersions(Decodable::decode(body, version)?),
        ApiKey::Metadata => KafkaRequest::Metadata(Decodable::decode(body, version)?),
        ApiKey::Produce => KafkaRequest::Produce(Decodable::decode(body, version)?),
        ApiKey::Fetch => KafkaRequest::Fetch(Decodable::decode(body, version)?),
        ApiKey::ListOffsets => KafkaRequest::ListOffsets(Decodable::decode(body, version)?),
        ApiKey::InitProducerId => KafkaRequest::InitProducerId(Decodable::decode(body, version)?),
        ApiKey::CreateTopics => KafkaRequest::CreateTopics(Decodable::decode(body, version)?),
        ApiKey::DeleteTopics => KafkaRequest::DeleteTopics(Decodable::decode(body, version)?),
        ApiKey::FindCoordinator => KafkaRequest::FindCoordinator(Decodable::decode(body, version)?),
        ApiKey::JoinGroup => KafkaRequest::JoinGroup(Decodable::decode(body, version)?),
        ApiKey::SyncGroup => KafkaRequest::SyncGroup(Decodable::decode(body, version)?),
        ApiKey::Heartbeat => KafkaRequest::Heartbeat(Decodable::decode(body, version)?),
        ApiKey::LeaveGroup => KafkaRequest::LeaveGroup(Decodable::decode(body, version)?),
        ApiKey::OffsetCommit => KafkaRequest::OffsetCommit(Decodable::decode(body, version)?),
        ApiKey::OffsetFetch => KafkaRequest::OffsetFetch(Decodable::decode(body, version)?),
        ApiKey::ListGroups => KafkaRequest::ListGroups(Decodable::decode(body, version)?),
        ApiKey::DescribeGroups => KafkaRequest::DescribeGroups(Decodable::decode(body, version)?),
        ApiKey::DeleteGroups => KafkaRequest::DeleteGroups(Decodable::decode(body, version)?),
        ApiKey::OffsetDelete => KafkaRequest::OffsetDelete(Decodable::decode(body, version)?),
        ApiKey::CreatePartitions => {
            KafkaRequest::CreatePartitions(Decodable::decode(body, version)?)
        }
        ApiKey::DescribeConfigs => KafkaRequest::DescribeConfigs(Decodable::decode(body, version)?),
        ApiKey::AlterConfigs => KafkaRequest::AlterConfigs(Decodable::decode(body, version)?),
        ApiKey::IncrementalAlterConfigs => {
            KafkaRequest::IncrementalAlterConfigs(Decodable::decode(body, version)?)
        }
        ApiKey::DescribeCluster => KafkaRequest::DescribeCluster(Decodable::decode(body, version)?),
        other => anyhow::bail!("{other:?} has no handler"),
    })
}

/// [`respond`], recorded once per request in the per-Kafka-API metrics: the request's frame
/// bytes, the response's bytes (0 when none is sent) and the time to the response being ready.
async fn respond_measured(state: Arc<BrokerState>, frame: KafkaFrame) -> FrameParts {
    let started = std::time::Instant::now();
    let (api, request_bytes) = (frame.api, frame.frame_bytes);
    let response = respond(state.clone(), frame).await;
    state
        .metrics
        .kafka
        .record(api, request_bytes, response.len(), started.elapsed());
    response
}

/// Handles one request; no bytes when Kafka sends no response (Produce with acks 0).
async fn respond(state: Arc<BrokerState>, frame: KafkaFrame) -> FrameParts {
    let KafkaFrame {
        api,
        version,
        correlation_id,
        request,
        client_id,
        ..
    } = frame;
    let encoded = match request {
        KafkaRequest::ApiVersions(_) => {
            encode(api, version, correlation_id, &api_versions::handle())
        }
        // KIP-511: the reply a client of any version can read is v0.
        KafkaRequest::ApiVersionsTooNew => {
            encode(api, 0, correlation_id, &api_versions::unsupported_version())
        }
        KafkaRequest::Metadata(r) => {
            let response = metadata::handle(&state, version, r).await;
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::Produce(r) => match produce::handle(&state, version, r).await {
            Some(response) => encode(api, version, correlation_id, &response),
            None => Ok(Bytes::new()),
        },
        // The stored batches go out by reference (frame.rs), not copied into the frame.
        KafkaRequest::Fetch(r) => {
            let response = fetch::handle(&state, r).await;
            return encode_fetch(version, correlation_id, response).unwrap_or_else(|err| {
                encode_failed(api, version, &err);
                FrameParts::default()
            });
        }
        KafkaRequest::ListOffsets(r) => encode(
            api,
            version,
            correlation_id,
            &list_offsets::handle(&state, version, r),
        ),
        KafkaRequest::InitProducerId(r) => {
            let response = init_producer_id::handle(&state, r).await;
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::CreateTopics(r) => {
            let response = create_topics::handle(&state, version, r).await;
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::DeleteTopics(r) => {
            let response = delete_topics::handle(&state, r).await;
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::FindCoordinator(r) => {
            let response = find_coordinator::handle(&state, version, r);
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::JoinGroup(r) => {
            let response = join_group::handle(&state, version, &client_id, r).await;
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::SyncGroup(r) => {
            let response = sync_group::handle(&state, version, r).await;
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::Heartbeat(r) => {
            encode(api, version, correlation_id, &heartbeat::handle(&state, r))
        }
        KafkaRequest::LeaveGroup(r) => {
            let response = leave_group::handle(&state, version, r);
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::OffsetCommit(r) => {
            let response = offset_commit::handle(&state, r).await;
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::OffsetFetch(r) => {
            let response = offset_fetch::handle(&state, version, r);
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::ListGroups(r) => encode(
            api,
            version,
            correlation_id,
            &list_groups::handle(&state, r),
        ),
        KafkaRequest::DescribeGroups(r) => {
            let response = describe_groups::handle(&state, version, r);
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::DeleteGroups(r) => {
            let response = delete_groups::handle(&state, r).await;
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::OffsetDelete(r) => {
            let response = offset_delete::handle(&state, r).await;
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::CreatePartitions(r) => {
            let response = create_partitions::handle(&state, r).await;
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::DescribeConfigs(r) => {
            let response = describe_configs::handle(&state, version, r);
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::AlterConfigs(r) => {
            let response = alter_configs::handle(&state, r).await;
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::IncrementalAlterConfigs(r) => {
            let response = incremental_alter_configs::handle(&state, r).await;
            encode(api, version, correlation_id, &response)
        }
        KafkaRequest::DescribeCluster(r) => {
            let response = describe_cluster::handle(&state, r);
            encode(api, version, correlation_id, &response)
        }
    };
    encoded.map(FrameParts::from).unwrap_or_else(|err| {
        encode_failed(api, version, &err);
        FrameParts::default()
    })
}

/// A response our own code cannot encode at the version it accepted is a broker bug; the
/// client times out this request.
fn encode_failed(api: ApiKey, version: i16, err: &anyhow::Error) {
    tracing::error!(?api, version, error = %err, "cannot encode a Kafka response");
}
