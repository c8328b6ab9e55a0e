//! DescribeTopic: effective config and per-partition offsets and sizes.

use crate::error::HandlerError;
use crate::state::BrokerState;
use crate::storage::StorageError;
use rustlog_protocol::messages::describe_topic::{
    DescribeTopicRequest, DescribeTopicResponse, PartitionSummary,
};
use rustlog_protocol::ErrorCode;

pub fn handle(
    state: &BrokerState,
    request: DescribeTopicRequest,
) -> Result<DescribeTopicResponse, HandlerError> {
    let meta = state.logs.topic(&request.name).ok_or_else(|| {
        HandlerError::new(
            ErrorCode::TopicNotFound,
            format!("topic {} does not exist", request.name),
        )
    })?;
    let mut partitions = Vec::with_capacity(meta.partitions as usize);
    for partition in 0..meta.partitions {
        let summary = match state.logs.partition(&meta.name, partition) {
            Ok(log) => {
                let info = log.info();
                PartitionSummary {
                    partition,
                    log_start_offset: info.log_start_offset,
                    high_watermark: info.high_watermark,
                    size_bytes: info.size_bytes,
                    segment_count: info.segments.len() as u32,
                    quarantined: None,
                }
            }
            // The topic stays describable with a damaged partition: the operator needs to see it.
            Err(e @ StorageError::Quarantined { .. }) => PartitionSummary {
                partition,
                log_start_offset: 0,
                high_watermark: 0,
                size_bytes: 0,
                segment_count: 0,
                quarantined: Some(e.to_string()),
            },
            Err(e) => return Err(e.into()),
        };
        partitions.push(summary);
    }
    Ok(DescribeTopicResponse {
        name: meta.name,
        config: meta.config.to_map(),
        partitions,
    })
}
