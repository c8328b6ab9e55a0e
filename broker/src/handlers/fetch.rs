//! Fetch: the long poll of [`core::fetch`](crate::core::fetch) over the request's partitions.

use crate::core::fetch::{long_poll, FetchBounds, FetchTarget};
use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::fetch::{FetchPartitionResponse, FetchRequest, FetchResponse};
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: FetchRequest,
) -> Result<FetchResponse, HandlerError> {
    let targets: Vec<FetchTarget> = request
        .partitions
        .iter()
        .map(|p| FetchTarget {
            topic: p.topic.clone(),
            partition: p.partition,
            offset: p.fetch_offset,
            partition_max_bytes: p.partition_max_bytes as usize,
        })
        .collect();
    let bounds = FetchBounds {
        max_wait_ms: u64::from(request.max_wait_ms),
        min_bytes: request.min_bytes as usize,
        max_bytes: request.max_bytes as usize,
    };
    let reads = long_poll(state, &targets, bounds).await;
    let partitions = targets
        .into_iter()
        .zip(reads)
        .map(|(target, read)| FetchPartitionResponse {
            topic: target.topic,
            partition: target.partition,
            error_code: read.error_code,
            high_watermark: read.high_watermark,
            log_start_offset: read.log_start_offset,
            records: read.records,
        })
        .collect();
    Ok(FetchResponse { partitions })
}
