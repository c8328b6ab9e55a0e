//! ListOffsets: earliest (log start), latest (high watermark), or first offset at a timestamp.

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
            let mut answer = ListOffsetsPartitionResponse {
                topic: p.topic.clone(),
                partition: p.partition,
                error_code: ErrorCode::None,
                offset: None,
                timestamp_ms: None,
            };
            let found = state.logs.partition(&p.topic, p.partition).and_then(|log| {
                Ok(match p.spec {
                    OffsetSpec::Earliest => (Some(log.log_start_offset()), None),
                    OffsetSpec::Latest => (Some(log.high_watermark()), None),
                    OffsetSpec::Timestamp { timestamp_ms } => {
                        match log.offset_for_timestamp(timestamp_ms)? {
                            Some((offset, ts)) => (Some(offset), Some(ts)),
                            None => (None, None),
                        }
                    }
                })
            });
            match found {
                Ok((offset, timestamp_ms)) => {
                    answer.offset = offset;
                    answer.timestamp_ms = timestamp_ms;
                }
                Err(err) => answer.error_code = err.code(),
            }
            answer
        })
        .collect();
    Ok(ListOffsetsResponse { partitions })
}
