//! Request dispatch: one file per request kind. [`handle`] turns a request frame into its
//! encoded response frame (a success body or an error code with a message), recording metrics.
//! Unknown api keys and versions and undecodable bodies get an error response; the connection
//! stays usable.

pub mod api_versions;
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

use crate::error::HandlerError;
use crate::metrics::Metrics;
use crate::state::BrokerState;
use bytes::BytesMut;
use rustlog_protocol::{
    encode_error_response, ErrorCode, FrameParts, Request, RequestFrame, Response,
};
use std::sync::Arc;
use std::time::Instant;

/// Handles one request frame and returns the encoded response frame (a fetch's records are
/// storage's bytes, not copies).
pub async fn handle(state: Arc<BrokerState>, frame: RequestFrame) -> FrameParts {
    let started = Instant::now();
    let correlation_id = frame.header.correlation_id;
    let api = match frame.header.checked_api() {
        Ok(api) => api,
        Err(err) => {
            Metrics::add(&state.metrics.unknown_requests, 1);
            tracing::debug!(error = %err, "unknown api key or version");
            return error_frame(correlation_id, err.code(), &err.to_string());
        }
    };
    let result = match Request::decode_body(api, frame.body) {
        Ok(request) => dispatch(&state, request).await,
        Err(err) => Err(HandlerError::from(err)),
    };
    state
        .metrics
        .record_request(api, started.elapsed(), result.is_ok());
    match result {
        Ok(response) => match response.encode_frame_parts(correlation_id) {
            Ok(parts) => parts,
            Err(err) => error_frame(correlation_id, ErrorCode::Unknown, &err.to_string()),
        },
        Err(err) => {
            tracing::debug!(api = %api, code = %err.code, message = %err.message, "request failed");
            error_frame(correlation_id, err.code, &err.message)
        }
    }
}

fn error_frame(correlation_id: u32, code: ErrorCode, message: &str) -> FrameParts {
    let mut out = BytesMut::new();
    encode_error_response(&mut out, correlation_id, code, message);
    FrameParts::from(out.freeze())
}

async fn dispatch(state: &Arc<BrokerState>, request: Request) -> Result<Response, HandlerError> {
    let response = match request {
        Request::ApiVersions(r) => api_versions::handle(state, r).into(),
        Request::Ping(r) => ping::handle(state, r).into(),
        Request::Produce(r) => produce::handle(state, r).await?.into(),
        Request::Fetch(r) => fetch::handle(state, r).await?.into(),
        Request::ListOffsets(r) => list_offsets::handle(state, r)?.into(),
        Request::CreateTopic(r) => create_topic::handle(state, r).await?.into(),
        Request::DeleteTopic(r) => delete_topic::handle(state, r).await?.into(),
        Request::ListTopics(r) => list_topics::handle(state, r).into(),
        Request::DescribeTopic(r) => describe_topic::handle(state, r)?.into(),
        Request::DescribePartition(r) => describe_partition::handle(state, r)?.into(),
        Request::OffsetCommit(r) => offset_commit::handle(state, r).await?.into(),
        Request::OffsetFetch(r) => offset_fetch::handle(state, r)?.into(),
        Request::JoinGroup(r) => join_group::handle(state, r).await?.into(),
        Request::Heartbeat(r) => heartbeat::handle(state, r)?.into(),
        Request::LeaveGroup(r) => leave_group::handle(state, r)?.into(),
        Request::MetricsFetch(r) => metrics_fetch::handle(state, r).into(),
        Request::ListGroups(r) => list_groups::handle(state, r)?.into(),
        Request::DescribeGroup(r) => describe_group::handle(state, r)?.into(),
        Request::InitProducer(r) => init_producer::handle(state, r).await?.into(),
        Request::CreatePartitions(r) => create_partitions::handle(state, r).await?.into(),
        Request::DeleteGroup(r) => delete_group::handle(state, r).await?.into(),
        other => {
            return Err(HandlerError::new(
                ErrorCode::UnknownApiKey,
                format!("api {} is not served by this broker", other.api_key()),
            ))
        }
    };
    Ok(response)
}

pub use crate::core::blocking;
