//! Metadata: one broker (node 0, the advertised address), which is the controller and the
//! leader (and only replica) of every partition. Topics are never auto-created: an unknown
//! topic gets UNKNOWN_TOPIC_OR_PARTITION in its entry.

use super::{CLUSTER_ID, NODE_ID};
use crate::state::BrokerState;
use kafka_protocol::messages::metadata_request::MetadataRequest;
use kafka_protocol::messages::metadata_response::{
    MetadataResponse, MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::TopicName;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

pub fn handle(state: &BrokerState, version: i16, request: MetadataRequest) -> MetadataResponse {
    let topics = match request.topics {
        // v0 has no null list: empty means every topic there.
        Some(list) if !(version == 0 && list.is_empty()) => list
            .into_iter()
            .map(|t| match t.name {
                Some(name) => topic(state, name.0.as_str()),
                // A lookup by topic id only: RustLog topics have no ids yet.
                None => MetadataResponseTopic::default()
                    .with_topic_id(t.topic_id)
                    .with_error_code(ResponseError::UnknownTopicId.code()),
            })
            .collect(),
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
