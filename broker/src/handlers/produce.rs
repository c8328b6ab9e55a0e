//! Produce: one batch per partition through [`core::produce`](crate::core::produce), then the
//! answer by the acks level: `none` and `leader` after the append, `durable` after the
//! group-commit fsync.

use crate::core::produce::{append, durable_timeout, wait_durable};
use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::produce::{
    Acks, ProducePartitionResponse, ProduceRequest, ProduceResponse,
};
use rustlog_protocol::ErrorCode;
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: ProduceRequest,
) -> Result<ProduceResponse, HandlerError> {
    let mut answers = Vec::with_capacity(request.partitions.len());
    let mut waiting = Vec::new();
    let mut syncs = Vec::new();
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
            Ok(appended) => {
                answer.base_offset = appended.info.base_offset;
                answer.log_append_time_ms = appended.info.log_append_time_ms;
                answer.log_start_offset = appended.log.log_start_offset();
                if appended.needs_sync(request.acks == Acks::Durable) {
                    waiting.push(index);
                    syncs.push((appended.log, appended.info.last_offset));
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
        let outcomes = wait_durable(state, syncs, durable_timeout(request.timeout_ms)).await;
        for (index, outcome) in waiting.into_iter().zip(outcomes) {
            if let (Err(err), Some(answer)) = (outcome, answers.get_mut(index)) {
                answer.error_code = err.code;
                answer.error_message = err.message;
            }
        }
    }
    Ok(ProduceResponse {
        partitions: answers,
    })
}
