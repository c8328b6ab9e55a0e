//! ListOffsets: earliest (log start), latest (high watermark), or first offset at a timestamp,
//! looked up by [`core::offsets`](crate::core::offsets).

use crate::core::offsets::{lookup, OffsetQuery};
use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::limits::PARTITIONS_PER_REQUEST_MAX;
use rustlog_protocol::messages::list_offsets::{
    ListOffsetsPartitionResponse, ListOffsetsRequest, ListOffsetsResponse, OffsetSpec,
};
use rustlog_protocol::ErrorCode;

pub fn handle(
    state: &BrokerState,
    request: ListOffsetsRequest,
) -> Result<ListOffsetsResponse, HandlerError> {
    if request.partitions.len() > PARTITIONS_PER_REQUEST_MAX as usize {
        return Err(HandlerError::new(
            ErrorCode::InvalidRequest,
            format!(
                "{} partitions exceed the limit of {PARTITIONS_PER_REQUEST_MAX}",
                request.partitions.len()
            ),
        ));
    }
    let partitions = request
        .partitions
        .into_iter()
        .map(|p| {
            let query = match p.spec {
                OffsetSpec::Earliest => OffsetQuery::Earliest,
                OffsetSpec::Latest => OffsetQuery::Latest,
                OffsetSpec::Timestamp { timestamp_ms } => OffsetQuery::Timestamp { timestamp_ms },
            };
            let mut answer = ListOffsetsPartitionResponse {
                error_code: ErrorCode::None,
                offset: None,
                timestamp_ms: None,
                topic: p.topic,
                partition: p.partition,
            };
            match lookup(state, &answer.topic, answer.partition, query) {
                Ok(found) => {
                    answer.offset = found.offset;
                    answer.timestamp_ms = found.timestamp_ms;
                }
                Err(err) => answer.error_code = err.code(),
            }
            answer
        })
        .collect();
    Ok(ListOffsetsResponse { partitions })
}
