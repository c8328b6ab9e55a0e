//! DescribeTopic: effective config and per-partition offsets and sizes.

use crate::error::HandlerError;
use crate::state::BrokerState;
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
        let info = state.logs.partition(&meta.name, partition)?.info();
        partitions.push(PartitionSummary {
            partition,
            log_start_offset: info.log_start_offset,
            high_watermark: info.high_watermark,
            size_bytes: info.size_bytes,
            segment_count: info.segments.len() as u32,
        });
    }
    Ok(DescribeTopicResponse {
        name: meta.name,
        config: meta.config.to_map(),
        partitions,
    })
}
