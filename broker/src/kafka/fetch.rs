//! Fetch: the long poll of [`core::fetch`](crate::core::fetch) (woken by the append notifier)
//! with Kafka's max wait, min bytes, max bytes and partition max bytes. Records are the stored
//! batches as they are. RustLog has no transactions, so the last stable offset is the high
//! watermark whatever the isolation level; fetch sessions are not kept (every fetch is answered
//! in full with session id 0), and this broker is its own preferred read replica (-1).

use super::errors::kafka_error_code;
use crate::core::fetch::{long_poll, FetchBounds, FetchTarget, PartitionRead};
use crate::state::BrokerState;
use kafka_protocol::messages::fetch_request::FetchRequest;
use kafka_protocol::messages::fetch_response::{
    FetchResponse, FetchableTopicResponse, PartitionData,
};
use rustlog_protocol::ErrorCode;
use std::sync::Arc;

/// Kafka's session id of "no session": the client sends full fetches.
const SESSION_ID_NONE: i32 = 0;

pub async fn handle(state: &Arc<BrokerState>, request: FetchRequest) -> FetchResponse {
    let mut targets = Vec::new();
    for topic in &request.topics {
        for p in &topic.partitions {
            targets.push(FetchTarget {
                topic: topic.topic.0.to_string(),
                // A negative partition or offset names nothing that exists: the storage
                // lookup answers it (unknown partition, offset out of range).
                partition: u32::try_from(p.partition).unwrap_or(u32::MAX),
                offset: u64::try_from(p.fetch_offset).unwrap_or(u64::MAX),
                partition_max_bytes: usize::try_from(p.partition_max_bytes).unwrap_or(0),
            });
        }
    }
    let bounds = FetchBounds {
        max_wait_ms: u64::try_from(request.max_wait_ms).unwrap_or(0),
        min_bytes: usize::try_from(request.min_bytes).unwrap_or(0),
        // max_bytes exists from v3 on; we serve v4+.
        max_bytes: usize::try_from(request.max_bytes).unwrap_or(0),
    };
    let mut reads = long_poll(state, &targets, bounds).await.into_iter();
    let responses = request
        .topics
        .into_iter()
        .map(|topic| {
            let partitions = topic
                .partitions
                .iter()
                .zip(reads.by_ref())
                .map(|(p, read)| partition_data(p.partition, read))
                .collect();
            FetchableTopicResponse::default()
                .with_topic(topic.topic)
                .with_topic_id(topic.topic_id)
                .with_partitions(partitions)
        })
        .collect();
    FetchResponse::default()
        .with_session_id(SESSION_ID_NONE)
        .with_responses(responses)
}

fn partition_data(partition: i32, read: PartitionRead) -> PartitionData {
    let offset = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    let (high_watermark, log_start_offset) = match read.error_code {
        ErrorCode::TopicNotFound | ErrorCode::PartitionNotFound => (-1, -1),
        _ => (offset(read.high_watermark), offset(read.log_start_offset)),
    };
    PartitionData::default()
        .with_partition_index(partition)
        .with_error_code(kafka_error_code(read.error_code))
        .with_high_watermark(high_watermark)
        .with_last_stable_offset(high_watermark)
        .with_log_start_offset(log_start_offset)
        .with_aborted_transactions(Some(Vec::new()))
        .with_preferred_read_replica((-1).into())
        .with_records(Some(read.records))
}
