//! Produce: validate and append one batch per partition, then answer by the acks level:
//! `none` and `leader` after the append, `durable` after `PartitionLog::sync_to` (group commit:
//! concurrent durable producers share one fsync) ran on the blocking pool. A topic with
//! `fsync.policy=always` is fsynced before every answer whatever the acks level.
//! An idempotent producer's retry of a batch already in the log is answered with the original
//! base offset; it appended nothing, so it counts no records and wakes no fetch.

use crate::error::HandlerError;
use crate::metrics::Metrics;
use crate::state::BrokerState;
use crate::storage::{FsyncPolicy, PartitionLog};
use rustlog_protocol::messages::produce::{
    Acks, ProducePartitionResponse, ProduceRequest, ProduceResponse,
};
use rustlog_protocol::ErrorCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Used when a durable produce names `timeout_ms = 0`.
pub const PRODUCE_TIMEOUT_MS_DEFAULT: u32 = 30_000;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: ProduceRequest,
) -> Result<ProduceResponse, HandlerError> {
    let mut answers = Vec::with_capacity(request.partitions.len());
    let mut syncs: Vec<(usize, Arc<PartitionLog>, u64)> = Vec::new();
    for (index, p) in request.partitions.iter().enumerate() {
        let mut answer = ProducePartitionResponse {
            topic: p.topic.clone(),
            partition: p.partition,
            error_code: ErrorCode::None,
            base_offset: 0,
            log_append_time_ms: 0,
            log_start_offset: 0,
            error_message: String::new(),
        };
        match append(state, &p.topic, p.partition, &p.batch) {
            Ok((log, info)) => {
                answer.base_offset = info.base_offset;
                answer.log_append_time_ms = info.log_append_time_ms;
                answer.log_start_offset = log.log_start_offset();
                if request.acks == Acks::Durable || log.config().fsync == FsyncPolicy::Always {
                    syncs.push((index, log, info.last_offset));
                }
            }
            Err(err) => {
                answer.error_code = err.code;
                answer.error_message = err.message;
            }
        }
        answers.push(answer);
    }
    if !syncs.is_empty() {
        let timeout_ms = match request.timeout_ms {
            0 => PRODUCE_TIMEOUT_MS_DEFAULT,
            ms => ms,
        };
        wait_durable(
            state,
            syncs,
            Duration::from_millis(u64::from(timeout_ms)),
            &mut answers,
        )
        .await;
    }
    Ok(ProduceResponse {
        partitions: answers,
    })
}

fn append(
    state: &BrokerState,
    topic: &str,
    partition: u32,
    batch: &[u8],
) -> Result<(Arc<PartitionLog>, crate::storage::AppendInfo), HandlerError> {
    let log = state.logs.partition(topic, partition)?;
    let info = log.append(batch)?;
    if info.duplicate {
        tracing::debug!(
            topic,
            partition,
            base_offset = info.base_offset,
            "duplicate batch from an idempotent producer"
        );
        return Ok((log, info));
    }
    Metrics::add(&state.metrics.records_in, u64::from(info.record_count));
    // Wake long-polling fetches of this partition.
    state
        .notifier
        .appended(topic, partition, info.last_offset.saturating_add(1));
    Ok((log, info))
}

/// Waits for every partition's fsync; a failure or timeout becomes that partition's error.
async fn wait_durable(
    state: &Arc<BrokerState>,
    syncs: Vec<(usize, Arc<PartitionLog>, u64)>,
    timeout: Duration,
    answers: &mut [ProducePartitionResponse],
) {
    let waits = syncs.into_iter().map(|(index, log, last_offset)| {
        let state = state.clone();
        async move {
            let task = tokio::task::spawn_blocking(move || {
                let started = Instant::now();
                let result = log.sync_to(last_offset);
                state.metrics.fsync_latency.observe(started.elapsed());
                result
            });
            let outcome = match tokio::time::timeout(timeout, task).await {
                Err(_) => Err(HandlerError::new(
                    ErrorCode::RequestTimedOut,
                    format!("fsync did not finish within {} ms", timeout.as_millis()),
                )),
                Ok(Err(join)) => Err(HandlerError::new(
                    ErrorCode::Unknown,
                    format!("fsync task failed: {join}"),
                )),
                Ok(Ok(result)) => result.map_err(HandlerError::from),
            };
            (index, outcome)
        }
    });
    for (index, outcome) in futures::future::join_all(waits).await {
        if let (Err(err), Some(answer)) = (outcome, answers.get_mut(index)) {
            answer.error_code = err.code;
            answer.error_message = err.message;
        }
    }
}
