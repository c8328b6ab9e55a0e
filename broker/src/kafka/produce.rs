//! Produce: each partition's record batches are appended through
//! [`core::produce`](crate::core::produce), then answered by `acks`: 0 gets no response at all
//! (Kafka's rule), 1 after the append, -1 after the durable (group-commit) fsync. Errors are per
//! partition; a retried batch of an idempotent producer is answered with its original offset.

use super::errors::kafka_error_code;
use crate::core::produce::{append, durable_timeout, wait_durable, Appended};
use crate::error::HandlerError;
use crate::state::BrokerState;
use crate::storage::PartitionLog;
use kafka_protocol::messages::produce_request::ProduceRequest;
use kafka_protocol::messages::produce_response::{
    PartitionProduceResponse, ProduceResponse, TopicProduceResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use rustlog_protocol::batch::{batches, TimestampType};
use rustlog_protocol::ErrorCode;
use std::sync::Arc;

/// Kafka's acks levels.
const ACKS_NONE: i16 = 0;
const ACKS_LEADER: i16 = 1;
const ACKS_ALL: i16 = -1;

/// `None`: acks 0, no response is sent.
pub async fn handle(
    state: &Arc<BrokerState>,
    version: i16,
    request: ProduceRequest,
) -> Option<ProduceResponse> {
    let acks = request.acks;
    let acks_valid = matches!(acks, ACKS_NONE | ACKS_LEADER | ACKS_ALL);
    let mut topics = Vec::with_capacity(request.topic_data.len());
    // (topic index, partition index) of each answer waiting for an fsync, and what to sync.
    let mut waiting = Vec::new();
    let mut syncs: Vec<(Arc<PartitionLog>, u64)> = Vec::new();
    for (t, topic) in request.topic_data.into_iter().enumerate() {
        let mut answers = Vec::with_capacity(topic.partition_data.len());
        for (p, data) in topic.partition_data.into_iter().enumerate() {
            let answer = PartitionProduceResponse::default().with_index(data.index);
            if !acks_valid {
                answers.push(answer.with_error_code(ResponseError::InvalidRequiredAcks.code()));
                continue;
            }
            let records = data.records.unwrap_or_default();
            let answer = match append_all(state, topic.name.0.as_str(), data.index, &records) {
                Ok(appended) => {
                    if appended.needs_sync(acks == ACKS_ALL) {
                        waiting.push((t, p));
                        syncs.push((appended.log.clone(), appended.info.last_offset));
                    }
                    success(answer, &appended)
                }
                Err(err) => failure(answer, version, &err),
            };
            answers.push(answer);
        }
        topics.push(
            TopicProduceResponse::default()
                .with_name(topic.name)
                .with_partition_responses(answers),
        );
    }
    if !syncs.is_empty() {
        let timeout_ms = u32::try_from(request.timeout_ms).unwrap_or(0);
        let outcomes = wait_durable(state, syncs, durable_timeout(timeout_ms)).await;
        for ((t, p), outcome) in waiting.into_iter().zip(outcomes) {
            let Err(err) = outcome else { continue };
            if let Some(slot) = topics
                .get_mut(t)
                .and_then(|topic| topic.partition_responses.get_mut(p))
            {
                let answer = std::mem::take(slot);
                *slot = failure(answer, version, &err);
            }
        }
    }
    (acks != ACKS_NONE).then(|| ProduceResponse::default().with_responses(topics))
}

/// Appends every batch of one partition's records, in order; answers with the first's offsets.
fn append_all(
    state: &BrokerState,
    topic: &str,
    partition: i32,
    records: &[u8],
) -> Result<Appended, HandlerError> {
    let partition = u32::try_from(partition).map_err(|_| {
        HandlerError::new(
            ErrorCode::PartitionNotFound,
            format!("partition {partition} of {topic:?} does not exist"),
        )
    })?;
    let mut first: Option<Appended> = None;
    let mut last_offset = 0;
    for view in batches(records) {
        let view = view.map_err(HandlerError::from)?;
        let appended = append(state, topic, partition, view.as_bytes())?;
        last_offset = appended.info.last_offset;
        first.get_or_insert(appended);
    }
    let mut appended = first.ok_or_else(|| {
        HandlerError::new(
            ErrorCode::InvalidRecord,
            "the produce request has no record batch",
        )
    })?;
    // The durable wait must cover the last batch.
    appended.info.last_offset = last_offset;
    Ok(appended)
}

fn success(answer: PartitionProduceResponse, appended: &Appended) -> PartitionProduceResponse {
    let log_append_time_ms = match appended.log.config().timestamp_type {
        TimestampType::LogAppendTime => appended.info.log_append_time_ms,
        // Kafka's "the producer's timestamps stand".
        TimestampType::CreateTime => -1,
    };
    answer
        .with_base_offset(i64::try_from(appended.info.base_offset).unwrap_or(i64::MAX))
        .with_log_append_time_ms(log_append_time_ms)
        .with_log_start_offset(i64::try_from(appended.log.log_start_offset()).unwrap_or(i64::MAX))
}

fn failure(
    answer: PartitionProduceResponse,
    version: i16,
    err: &HandlerError,
) -> PartitionProduceResponse {
    let answer = answer
        .with_error_code(kafka_error_code(err.code))
        .with_base_offset(-1)
        .with_log_append_time_ms(-1)
        .with_log_start_offset(-1);
    // error_message exists from v8 on; earlier versions carry only the code.
    if version >= 8 {
        answer.with_error_message(Some(StrBytes::from_string(err.message.clone())))
    } else {
        answer
    }
}
