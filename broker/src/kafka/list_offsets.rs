//! ListOffsets: Kafka's timestamps -2 (earliest), -1 (latest) and, from v7, -3 (the record with
//! the largest timestamp, KIP-734), or the first offset at or after a timestamp, through
//! [`core::offsets`](crate::core::offsets). A timestamp with no record at or after it (or -3 on
//! an empty partition) answers offset -1, timestamp -1 (as Kafka).

use super::errors::kafka_error_code;
use crate::core::offsets::{lookup, OffsetQuery};
use crate::state::BrokerState;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsRequest};
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::ResponseError;

/// Kafka's special timestamps.
const LATEST_TIMESTAMP: i64 = -1;
const EARLIEST_TIMESTAMP: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
/// The first version a client may ask for MAX_TIMESTAMP with (KIP-734).
const MAX_TIMESTAMP_VERSION: i16 = 7;

pub fn handle(
    state: &BrokerState,
    version: i16,
    request: ListOffsetsRequest,
) -> ListOffsetsResponse {
    let topics = request
        .topics
        .into_iter()
        .map(|topic| {
            let partitions = topic
                .partitions
                .iter()
                .map(|p| partition(state, version, topic.name.0.as_str(), p))
                .collect();
            ListOffsetsTopicResponse::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    ListOffsetsResponse::default().with_topics(topics)
}

fn partition(
    state: &BrokerState,
    version: i16,
    topic: &str,
    p: &ListOffsetsPartition,
) -> ListOffsetsPartitionResponse {
    let answer = ListOffsetsPartitionResponse::default()
        .with_partition_index(p.partition_index)
        .with_timestamp(-1)
        .with_offset(-1);
    let query = match p.timestamp {
        LATEST_TIMESTAMP => OffsetQuery::Latest,
        EARLIEST_TIMESTAMP => OffsetQuery::Earliest,
        MAX_TIMESTAMP if version >= MAX_TIMESTAMP_VERSION => OffsetQuery::MaxTimestamp,
        timestamp_ms if timestamp_ms >= 0 => OffsetQuery::Timestamp { timestamp_ms },
        // Other special values (-4 earliest-local, -5 latest-tiered) and -3 before v7.
        _ => return answer.with_error_code(ResponseError::InvalidRequest.code()),
    };
    let Ok(partition) = u32::try_from(p.partition_index) else {
        return answer.with_error_code(ResponseError::UnknownTopicOrPartition.code());
    };
    match lookup(state, topic, partition, query) {
        Ok(found) => answer
            .with_offset(
                found
                    .offset
                    .map_or(-1, |o| i64::try_from(o).unwrap_or(i64::MAX)),
            )
            .with_timestamp(found.timestamp_ms.unwrap_or(-1)),
        Err(err) => answer.with_error_code(kafka_error_code(err.code())),
    }
}
