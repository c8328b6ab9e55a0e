//! OffsetFetch v1-7 (v8 batches groups and is not served): the committed offsets of the listed
//! partitions (-1 where none is committed), or with null topics (v2+) every committed one.
//! `require_stable` needs nothing: without transactions no offset is ever pending.

use super::errors::kafka_error_code;
use crate::groups::coordinator::CommittedOffset;
use crate::state::BrokerState;
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequest;
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponse, OffsetFetchResponsePartition, OffsetFetchResponseTopic,
};
use kafka_protocol::messages::TopicName;
use kafka_protocol::protocol::StrBytes;
use rustlog_protocol::ErrorCode;

/// The first version with a group-level error code.
const GROUP_ERROR_VERSION: i16 = 2;

pub fn handle(
    state: &BrokerState,
    version: i16,
    request: OffsetFetchRequest,
) -> OffsetFetchResponse {
    let wanted: Option<Vec<(String, u32)>> = request.topics.as_ref().map(|topics| {
        topics
            .iter()
            .flat_map(|t| {
                t.partition_indexes
                    .iter()
                    .filter_map(|p| u32::try_from(*p).ok())
                    .map(|p| (t.name.0.to_string(), p))
            })
            .collect()
    });
    match state
        .groups
        .committed(request.group_id.0.as_str(), wanted.as_deref())
    {
        Ok(offsets) => OffsetFetchResponse::default().with_topics(by_topic(offsets)),
        Err(err) if version >= GROUP_ERROR_VERSION => {
            OffsetFetchResponse::default().with_error_code(kafka_error_code(err.code()))
        }
        // v1 has no group-level error: every partition carries it.
        Err(err) => {
            let code = err.code();
            let offsets = wanted
                .unwrap_or_default()
                .into_iter()
                .map(|(t, p)| (t, p, None))
                .collect();
            let mut topics = by_topic(offsets);
            for topic in &mut topics {
                for partition in &mut topic.partitions {
                    partition.error_code = kafka_error_code(code);
                }
            }
            OffsetFetchResponse::default().with_topics(topics)
        }
    }
}

fn by_topic(offsets: Vec<CommittedOffset>) -> Vec<OffsetFetchResponseTopic> {
    let mut topics: Vec<OffsetFetchResponseTopic> = Vec::new();
    for (topic, partition, found) in offsets {
        let (offset, metadata) = match found {
            Some((offset, metadata)) => (i64::try_from(offset).unwrap_or(i64::MAX), metadata),
            None => (-1, None),
        };
        let entry = OffsetFetchResponsePartition::default()
            .with_partition_index(i32::try_from(partition).unwrap_or(i32::MAX))
            .with_committed_offset(offset)
            .with_metadata(Some(StrBytes::from_string(metadata.unwrap_or_default())))
            .with_error_code(kafka_error_code(ErrorCode::None));
        match topics.last_mut() {
            Some(last) if last.name.0.as_str() == topic => last.partitions.push(entry),
            _ => topics.push(
                OffsetFetchResponseTopic::default()
                    .with_name(TopicName(StrBytes::from_string(topic)))
                    .with_partitions(vec![entry]),
            ),
        }
    }
    topics
}
