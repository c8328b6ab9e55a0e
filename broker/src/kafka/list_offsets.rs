//! ListOffsets: Kafka's timestamps -2 (earliest) and -1 (latest), or the first offset at or
//! after a timestamp, through [`core::offsets`](crate::core::offsets). A timestamp with no
//! record at or after it answers offset -1, timestamp -1 (as Kafka).

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

pub fn handle(state: &BrokerState, request: ListOffsetsRequest) -> ListOffsetsResponse {
    let topics = request
        .topics
        .into_iter()
        .map(|topic| {
            let partitions = topic
                .partitions
                .iter()
                .map(|p| partition(state, topic.name.0.as_str(), p))
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
        timestamp_ms if timestamp_ms >= 0 => OffsetQuery::Timestamp { timestamp_ms },
        // -3 (max timestamp, v7) and other special values are not served in this phase.
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
