//! OffsetDelete v0: deletes a group's committed offsets of partitions whose topic no member
//! subscribes to; GROUP_SUBSCRIBED_TO_TOPIC for the others. A Kafka member's subscription is
//! read from its metadata (`ConsumerProtocolSubscription`, version-prefixed); metadata that
//! does not decode counts as subscribed to everything, so nothing in use is deleted.

use super::errors::kafka_error_code;
use crate::groups::GroupError;
use crate::state::BrokerState;
use bytes::{Buf, Bytes};
use kafka_protocol::messages::offset_delete_request::OffsetDeleteRequest;
use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponse, OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::ConsumerProtocolSubscription;
use kafka_protocol::protocol::Decodable;
use rustlog_protocol::ErrorCode;
use std::sync::Arc;

/// The protocol type whose metadata is a `ConsumerProtocolSubscription`.
const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

pub async fn handle(
    state: &Arc<BrokerState>,
    request: OffsetDeleteRequest,
) -> OffsetDeleteResponse {
    let group_id = request.group_id.0.to_string();
    let partitions: Vec<(String, u32)> = request
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| {
                // A negative index is no partition: u32::MAX is past every topic's end.
                let index = u32::try_from(p.partition_index).unwrap_or(u32::MAX);
                (t.name.0.to_string(), index)
            })
        })
        .collect();
    let codes = match delete_and_persist(state, &group_id, &partitions).await {
        Ok(codes) => codes,
        Err(err) => {
            return OffsetDeleteResponse::default().with_error_code(kafka_error_code(err.code()))
        }
    };
    let mut codes = codes.into_iter();
    let topics = request
        .topics
        .into_iter()
        .map(|t| {
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let code = codes.next().unwrap_or(ErrorCode::Unknown);
                    OffsetDeleteResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(kafka_error_code(code))
                })
                .collect();
            OffsetDeleteResponseTopic::default()
                .with_name(t.name)
                .with_partitions(partitions)
        })
        .collect();
    OffsetDeleteResponse::default().with_topics(topics)
}

async fn delete_and_persist(
    state: &Arc<BrokerState>,
    group_id: &str,
    partitions: &[(String, u32)],
) -> Result<Vec<ErrorCode>, GroupError> {
    let codes = state
        .groups
        .delete_offsets(group_id, partitions, subscribed_topics)?;
    if codes.contains(&ErrorCode::None) {
        state.groups.persist(group_id).await?;
    }
    Ok(codes)
}

/// The topics of a consumer member's subscription; `None` when it cannot be read.
fn subscribed_topics(protocol_type: &str, metadata: &[u8]) -> Option<Vec<String>> {
    if protocol_type != CONSUMER_PROTOCOL_TYPE {
        return None;
    }
    let mut bytes = Bytes::copy_from_slice(metadata);
    if bytes.remaining() < 2 {
        return None;
    }
    // Newer clients may send versions this crate does not know; read them as its newest.
    let version = bytes.get_i16().clamp(0, 3);
    let subscription = ConsumerProtocolSubscription::decode(&mut bytes, version).ok()?;
    Some(subscription.topics.iter().map(|t| t.to_string()).collect())
}
