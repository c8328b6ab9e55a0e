//! DescribePartition: one partition's offsets, size and segments.

use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::describe_partition::{
    DescribePartitionRequest, DescribePartitionResponse, SegmentInfo,
};

pub fn handle(
    state: &BrokerState,
    request: DescribePartitionRequest,
) -> Result<DescribePartitionResponse, HandlerError> {
    let info = state
        .logs
        .partition(&request.topic, request.partition)?
        .info();
    Ok(DescribePartitionResponse {
        topic: request.topic,
        partition: request.partition,
        log_start_offset: info.log_start_offset,
        high_watermark: info.high_watermark,
        size_bytes: info.size_bytes,
        segments: info
            .segments
            .into_iter()
            .map(|s| SegmentInfo {
                base_offset: s.base_offset,
                next_offset: s.next_offset,
                size_bytes: s.size_bytes,
                max_timestamp_ms: s.max_timestamp_ms,
                sealed: s.sealed,
            })
            .collect(),
    })
}
