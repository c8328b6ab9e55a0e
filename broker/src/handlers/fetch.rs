//! Fetch: read stored batches, long-polling until `min_bytes` are there or `max_wait_ms` passed.
//! The wait is woken by appends (per-partition watch channels), never by polling on a timer;
//! shutdown also ends it early so a graceful stop does not wait for long polls.

use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::limits::{FETCH_BYTES_MAX, FETCH_WAIT_MS_MAX};
use rustlog_protocol::messages::fetch::{FetchPartitionResponse, FetchRequest, FetchResponse};
use rustlog_protocol::ErrorCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: FetchRequest,
) -> Result<FetchResponse, HandlerError> {
    let max_wait = Duration::from_millis(u64::from(request.max_wait_ms.min(FETCH_WAIT_MS_MAX)));
    let deadline = Instant::now() + max_wait;
    let max_bytes = request.max_bytes.min(FETCH_BYTES_MAX) as usize;
    let min_bytes = request.min_bytes as usize;
    // Subscribe before the first read so an append between read and wait is not missed.
    let mut receivers: Vec<_> = if max_wait.is_zero() || min_bytes == 0 {
        Vec::new()
    } else {
        request
            .partitions
            .iter()
            .filter_map(|p| state.notifier.subscribe(&p.topic, p.partition))
            .collect()
    };
    let mut shutdown = state.shutdown.clone();
    loop {
        let (response, total_bytes, any_error) = read_all(state, &request, max_bytes);
        if total_bytes >= min_bytes
            || any_error
            || receivers.is_empty()
            || Instant::now() >= deadline
            || state.is_shutting_down()
        {
            return Ok(response);
        }
        let any_append =
            futures::future::select_all(receivers.iter_mut().map(|rx| Box::pin(rx.changed())));
        tokio::select! {
            (changed, _, _) = any_append => {
                if changed.is_err() {
                    // The partition's channel is gone (topic deleted): answer now.
                    let (response, _, _) = read_all(state, &request, max_bytes);
                    return Ok(response);
                }
            }
            _ = tokio::time::sleep_until(deadline) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Reads every partition once; returns the response, its record bytes, and whether any failed.
fn read_all(
    state: &BrokerState,
    request: &FetchRequest,
    max_bytes: usize,
) -> (FetchResponse, usize, bool) {
    let mut total = 0usize;
    let mut any_error = false;
    let mut partitions = Vec::with_capacity(request.partitions.len());
    for p in &request.partitions {
        let mut answer = FetchPartitionResponse {
            topic: p.topic.clone(),
            partition: p.partition,
            error_code: ErrorCode::None,
            high_watermark: 0,
            log_start_offset: 0,
            records: bytes::Bytes::new(),
        };
        match state.logs.partition(&p.topic, p.partition) {
            Err(err) => {
                answer.error_code = err.code();
                any_error = true;
            }
            Ok(log) => {
                let remaining = max_bytes.saturating_sub(total);
                if remaining == 0 && total > 0 {
                    // The response is full; report offsets only.
                    answer.high_watermark = log.high_watermark();
                    answer.log_start_offset = log.log_start_offset();
                } else {
                    let limit = (p.partition_max_bytes as usize).min(remaining).max(1);
                    match log.read(p.fetch_offset, limit) {
                        Ok(read) => {
                            total += read.records.len();
                            answer.high_watermark = read.high_watermark;
                            answer.log_start_offset = read.log_start_offset;
                            answer.records = read.records;
                        }
                        Err(err) => {
                            answer.error_code = err.code();
                            answer.high_watermark = log.high_watermark();
                            answer.log_start_offset = log.log_start_offset();
                            any_error = true;
                        }
                    }
                }
            }
        }
        partitions.push(answer);
    }
    (FetchResponse { partitions }, total, any_error)
}
