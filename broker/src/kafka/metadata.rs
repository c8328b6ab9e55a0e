//! Metadata: one broker (node 0, the advertised address), which is the controller and the
//! leader (and only replica) of every partition. An unknown topic gets
//! UNKNOWN_TOPIC_OR_PARTITION in its entry, unless the broker runs with `auto_create_topics` and
//! the request allows it (`allow_auto_topic_creation`, implied before v4): then it is created
//! with the broker defaults, as Kafka does (a bad name answers the create's error).

use super::errors::kafka_error_code;
use super::{CLUSTER_ID, NODE_ID};
use crate::core::topics;
use crate::state::BrokerState;
use kafka_protocol::messages::metadata_request::MetadataRequest;
use kafka_protocol::messages::metadata_response::{
    MetadataResponse, MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::TopicName;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The first version with `allow_auto_topic_creation` (earlier requests always allow it).
const AUTO_CREATE_FLAG_VERSION: i16 = 4;

pub async fn handle(
    state: &Arc<BrokerState>,
    version: i16,
    request: MetadataRequest,
) -> MetadataResponse {
    let auto_create = state.config.auto_create_topics
        && (version < AUTO_CREATE_FLAG_VERSION || request.allow_auto_topic_creation);
    let topics = match request.topics {
        // v0 has no null list: empty means every topic there.
        Some(list) if !(version == 0 && list.is_empty()) => {
            let mut entries = Vec::with_capacity(list.len());
            for t in list {
                entries.push(match t.name {
                    Some(name) => named_topic(state, name.0.as_str(), auto_create).await,
                    // A lookup by topic id only: RustLog topics have no ids yet.
                    None => MetadataResponseTopic::default()
                        .with_topic_id(t.topic_id)
                        .with_error_code(ResponseError::UnknownTopicId.code()),
                });
            }
            entries
        }
        _ => state
            .logs
            .topics()
            .iter()
            .map(|meta| topic(state, &meta.name))
            .collect(),
    };
    let mut brokers = Vec::new();
    if let Some(endpoint) = &state.kafka_advertised {
        brokers.push(
            MetadataResponseBroker::default()
                .with_node_id(NODE_ID)
                .with_host(StrBytes::from_string(endpoint.host.clone()))
                .with_port(i32::from(endpoint.port)),
        );
    }
    MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(StrBytes::from_static_str(CLUSTER_ID)))
        .with_controller_id(NODE_ID)
        .with_topics(topics)
}

/// A topic the request names: created first when it is missing and `auto_create` is on.
async fn named_topic(
    state: &Arc<BrokerState>,
    name: &str,
    auto_create: bool,
) -> MetadataResponseTopic {
    if auto_create && state.logs.topic(name).is_none() {
        let created = topics::create(state, name.to_string(), 0, BTreeMap::new()).await;
        match created {
            Ok(_) => tracing::info!(
                topic = name,
                "topic auto-created by a Kafka Metadata request"
            ),
            // Another request created it meanwhile: the lookup below finds it.
            Err(err) if err.code == rustlog_protocol::ErrorCode::TopicAlreadyExists => {}
            Err(err) => {
                return MetadataResponseTopic::default()
                    .with_name(Some(TopicName(StrBytes::from_string(name.to_string()))))
                    .with_error_code(kafka_error_code(err.code))
            }
        }
    }
    topic(state, name)
}

fn topic(state: &BrokerState, name: &str) -> MetadataResponseTopic {
    let entry = MetadataResponseTopic::default()
        .with_name(Some(TopicName(StrBytes::from_string(name.to_string()))));
    let Some(meta) = state.logs.topic(name) else {
        return entry.with_error_code(ResponseError::UnknownTopicOrPartition.code());
    };
    let partitions = (0..meta.partitions)
        .map(|index| {
            MetadataResponsePartition::default()
                .with_partition_index(i32::try_from(index).unwrap_or(i32::MAX))
                .with_leader_id(NODE_ID)
                .with_leader_epoch(0)
                .with_replica_nodes(vec![NODE_ID])
                .with_isr_nodes(vec![NODE_ID])
        })
        .collect();
    entry.with_partitions(partitions)
}
