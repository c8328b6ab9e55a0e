//! The fetch long poll: read stored batches of several partitions until `min_bytes` are there or
//! `max_wait` passed. The wait is woken by appends (per-partition watch channels), never by
//! polling on a timer; shutdown also ends it early so a graceful stop does not wait for long
//! polls. Records are the stored bytes, never re-encoded.

use crate::state::BrokerState;
use bytes::Bytes;
use rustlog_protocol::limits::{FETCH_BYTES_MAX, FETCH_WAIT_MS_MAX};
use rustlog_protocol::ErrorCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// One partition to read.
#[derive(Debug, Clone)]
pub struct FetchTarget {
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
    pub partition_max_bytes: usize,
}

/// The request-wide bounds of a fetch.
#[derive(Debug, Clone, Copy)]
pub struct FetchBounds {
    pub max_wait_ms: u64,
    pub min_bytes: usize,
    pub max_bytes: usize,
}

/// What one partition's read found.
#[derive(Debug, Clone)]
pub struct PartitionRead {
    pub error_code: ErrorCode,
    pub high_watermark: u64,
    pub log_start_offset: u64,
    pub records: Bytes,
}

/// Reads `targets` (one answer each, in order), waiting as the bounds say.
pub async fn long_poll(
    state: &Arc<BrokerState>,
    targets: &[FetchTarget],
    bounds: FetchBounds,
) -> Vec<PartitionRead> {
    let max_wait = Duration::from_millis(bounds.max_wait_ms.min(u64::from(FETCH_WAIT_MS_MAX)));
    let deadline = Instant::now() + max_wait;
    let max_bytes = bounds.max_bytes.min(FETCH_BYTES_MAX as usize);
    // Subscribe before the first read so an append between read and wait is not missed.
    let mut receivers: Vec<_> = if max_wait.is_zero() || bounds.min_bytes == 0 {
        Vec::new()
    } else {
        targets
            .iter()
            .map(|t| state.notifier.subscribe(&t.topic, t.partition))
            .collect()
    };
    let mut shutdown = state.shutdown.clone();
    loop {
        let (reads, total_bytes, any_error) = read_all(state, targets, max_bytes);
        if total_bytes >= bounds.min_bytes
            || any_error
            || receivers.is_empty()
            || Instant::now() >= deadline
            || state.is_shutting_down()
        {
            return reads;
        }
        let any_append =
            futures::future::select_all(receivers.iter_mut().map(|rx| Box::pin(rx.changed())));
        tokio::select! {
            (changed, _, _) = any_append => {
                if changed.is_err() {
                    // The partition's channel is gone (topic deleted): answer now.
                    return read_all(state, targets, max_bytes).0;
                }
            }
            _ = tokio::time::sleep_until(deadline) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Reads every partition once; returns the reads, their record bytes, and whether any failed.
fn read_all(
    state: &BrokerState,
    targets: &[FetchTarget],
    max_bytes: usize,
) -> (Vec<PartitionRead>, usize, bool) {
    let mut total = 0usize;
    let mut any_error = false;
    let mut reads = Vec::with_capacity(targets.len());
    for t in targets {
        let mut read = PartitionRead {
            error_code: ErrorCode::None,
            high_watermark: 0,
            log_start_offset: 0,
            records: Bytes::new(),
        };
        match state.logs.partition(&t.topic, t.partition) {
            Err(err) => {
                read.error_code = err.code();
                any_error = true;
            }
            Ok(log) => {
                let remaining = max_bytes.saturating_sub(total);
                if remaining == 0 && total > 0 {
                    // The response is full; report offsets only.
                    read.high_watermark = log.high_watermark();
                    read.log_start_offset = log.log_start_offset();
                } else {
                    let limit = t.partition_max_bytes.min(remaining).max(1);
                    match log.read(t.offset, limit) {
                        Ok(found) => {
                            total += found.records.len();
                            read.high_watermark = found.high_watermark;
                            read.log_start_offset = found.log_start_offset;
                            read.records = found.records;
                        }
                        Err(err) => {
                            read.error_code = err.code();
                            read.high_watermark = log.high_watermark();
                            read.log_start_offset = log.log_start_offset();
                            any_error = true;
                        }
                    }
                }
            }
        }
        reads.push(read);
    }
    (reads, total, any_error)
}
