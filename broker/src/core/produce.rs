//! Appending a batch and waiting for it to be durable: acks `leader` answers after the append,
//! acks `durable` after `PartitionLog::sync_to` ran on the blocking pool (group commit:
//! concurrent durable producers share one fsync). A topic with `fsync.policy=always` is fsynced
//! before every answer whatever the acks level.

use crate::error::HandlerError;
use crate::metrics::Metrics;
use crate::state::BrokerState;
use crate::storage::{AppendInfo, FsyncPolicy, PartitionLog};
use rustlog_protocol::ErrorCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Used when a durable produce names a timeout of 0 (or a negative one, from Kafka).
pub const PRODUCE_TIMEOUT_MS_DEFAULT: u32 = 30_000;

/// One batch in a partition's log.
#[derive(Debug, Clone)]
pub struct Appended {
    pub log: Arc<PartitionLog>,
    pub info: AppendInfo,
}

impl Appended {
    /// Whether the answer must wait for an fsync: acks durable, or the topic syncs always.
    pub fn needs_sync(&self, durable: bool) -> bool {
        durable || self.log.config().fsync == FsyncPolicy::Always
    }
}

/// Appends one batch. An idempotent producer's retry of a batch already in the log is answered
/// with the original offsets; it appended nothing, so it counts no records and wakes no fetch.
pub fn append(
    state: &BrokerState,
    topic: &str,
    partition: u32,
    batch: &[u8],
) -> Result<Appended, HandlerError> {
    let log = state.logs.partition(topic, partition)?;
    let info = match log.try_append(batch)? {
        Some(info) => info,
        None => append_rolling(&log, batch)?,
    };
    if info.duplicate {
        tracing::debug!(
            topic,
            partition,
            base_offset = info.base_offset,
            "duplicate batch from an idempotent producer"
        );
        return Ok(Appended { log, info });
    }
    Metrics::add(&state.metrics.records_in, u64::from(info.record_count));
    // Wake long-polling fetches of this partition.
    state
        .notifier
        .appended(topic, partition, info.last_offset.saturating_add(1));
    Ok(Appended { log, info })
}

/// An append that rolls the segment first: the roll fsyncs the sealed segment and creates
/// files. On a multi-thread runtime the worker hands its other tasks to another thread for the
/// while (`block_in_place`), so other connections are not held up; the append stays in place,
/// so pipelined batches of one connection keep their order (a blocking-pool task would let a
/// later batch overtake it).
fn append_rolling(log: &PartitionLog, batch: &[u8]) -> Result<AppendInfo, HandlerError> {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    let result = if multi_thread {
        tokio::task::block_in_place(|| log.append(batch))
    } else {
        log.append(batch)
    };
    Ok(result?)
}

/// The durable wait's timeout for a request's `timeout_ms` (0: the default).
pub fn durable_timeout(timeout_ms: u32) -> Duration {
    let ms = match timeout_ms {
        0 => PRODUCE_TIMEOUT_MS_DEFAULT,
        ms => ms,
    };
    Duration::from_millis(u64::from(ms))
}

/// Waits until every `(log, last_offset)` is fsynced; one result per entry, in order. A failure
/// or the timeout becomes that entry's error.
pub async fn wait_durable(
    state: &Arc<BrokerState>,
    syncs: Vec<(Arc<PartitionLog>, u64)>,
    timeout: Duration,
) -> Vec<Result<(), HandlerError>> {
    let waits = syncs.into_iter().map(|(log, last_offset)| {
        let state = state.clone();
        async move {
            let task = tokio::task::spawn_blocking(move || {
                let started = Instant::now();
                let result = log.sync_to(last_offset);
                state.metrics.fsync_latency.observe(started.elapsed());
                result
            });
            match tokio::time::timeout(timeout, task).await {
                Err(_) => Err(HandlerError::new(
                    ErrorCode::RequestTimedOut,
                    format!("fsync did not finish within {} ms", timeout.as_millis()),
                )),
                Ok(Err(join)) => Err(HandlerError::new(
                    ErrorCode::Unknown,
                    format!("fsync task failed: {join}"),
                )),
                Ok(Ok(result)) => result.map_err(HandlerError::from),
            }
        }
    });
    futures::future::join_all(waits).await
}
