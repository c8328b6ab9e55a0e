//! Admin requests of the `kafka_*` scenarios over [`KafkaRaw`](super::KafkaRaw): CreatePartitions,
//! DescribeConfigs, AlterConfigs, IncrementalAlterConfigs and DescribeCluster at a chosen
//! version, built from plain arguments.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use super::KafkaRaw;
use kafka_protocol::messages::alter_configs_request::{
    AlterConfigsRequest, AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::alter_configs_response::AlterConfigsResponse;
use kafka_protocol::messages::create_partitions_request::{
    CreatePartitionsAssignment, CreatePartitionsRequest, CreatePartitionsTopic,
};
use kafka_protocol::messages::create_partitions_response::{
    CreatePartitionsResponse, CreatePartitionsTopicResult,
};
use kafka_protocol::messages::describe_configs_request::{
    DescribeConfigsRequest, DescribeConfigsResource,
};
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResponse, DescribeConfigsResult,
};
use kafka_protocol::messages::incremental_alter_configs_request as incremental;
use kafka_protocol::messages::incremental_alter_configs_response::IncrementalAlterConfigsResponse;
use kafka_protocol::messages::metadata_request::{MetadataRequest, MetadataRequestTopic};
use kafka_protocol::messages::metadata_response::MetadataResponse;
use kafka_protocol::messages::{ApiKey, BrokerId, TopicName};
use kafka_protocol::protocol::StrBytes;

/// Kafka's config resource types.
pub const TOPIC: i8 = 2;
pub const BROKER: i8 = 4;

/// Kafka's incremental config operations.
pub const SET: i8 = 0;
pub const DELETE: i8 = 1;
pub const APPEND: i8 = 2;
pub const SUBTRACT: i8 = 3;

/// Kafka's config sources.
pub const TOPIC_CONFIG: i8 = 1;
pub const STATIC_BROKER_CONFIG: i8 = 4;
pub const DEFAULT_CONFIG: i8 = 5;

pub fn name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_string()))
}

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

/// CreatePartitions for one topic; `assign` adds a manual assignment (refused by RustLog).
pub fn create_partitions(
    client: &mut KafkaRaw,
    version: i16,
    topic: &str,
    count: i32,
    validate_only: bool,
    assign: bool,
) -> CreatePartitionsTopicResult {
    let assignments = assign
        .then(|| vec![CreatePartitionsAssignment::default().with_broker_ids(vec![BrokerId(0)])]);
    let request = CreatePartitionsRequest::default()
        .with_topics(vec![CreatePartitionsTopic::default()
            .with_name(name(topic))
            .with_count(count)
            .with_assignments(assignments)])
        .with_timeout_ms(5_000)
        .with_validate_only(validate_only);
    let response: CreatePartitionsResponse =
        client.call(ApiKey::CreatePartitions, version, &request);
    assert_eq!(response.results.len(), 1);
    response.results.into_iter().next().unwrap()
}

/// DescribeConfigs of one resource; `keys` filters (None: all), synonyms and documentation
/// asked for when `detail`.
pub fn describe_configs(
    client: &mut KafkaRaw,
    version: i16,
    resource_type: i8,
    resource: &str,
    keys: Option<&[&str]>,
    detail: bool,
) -> DescribeConfigsResult {
    let request = DescribeConfigsRequest::default()
        .with_resources(vec![DescribeConfigsResource::default()
            .with_resource_type(resource_type)
            .with_resource_name(text(resource))
            .with_configuration_keys(
                keys.map(|k| k.iter().map(|s| text(s)).collect()),
            )])
        .with_include_synonyms(detail)
        .with_include_documentation(detail && version >= 3);
    let response: DescribeConfigsResponse = client.call(ApiKey::DescribeConfigs, version, &request);
    assert_eq!(response.results.len(), 1);
    response.results.into_iter().next().unwrap()
}

/// One entry of a DescribeConfigs result, by name.
pub fn entry<'a>(
    result: &'a DescribeConfigsResult,
    key: &str,
) -> &'a DescribeConfigsResourceResult {
    result
        .configs
        .iter()
        .find(|c| c.name.as_str() == key)
        .unwrap_or_else(|| panic!("no {key} in {:?}", result.configs))
}

/// The value DescribeConfigs reports for a topic key (latest version).
pub fn topic_value(client: &mut KafkaRaw, topic: &str, key: &str) -> String {
    let result = describe_configs(client, 4, TOPIC, topic, Some(&[key]), false);
    assert_eq!(result.error_code, 0, "{:?}", result.error_message);
    entry(&result, key).value.as_ref().unwrap().to_string()
}

/// Legacy AlterConfigs of one resource: `configs` become its whole set; returns (code, message).
pub fn alter_configs(
    client: &mut KafkaRaw,
    version: i16,
    resource_type: i8,
    resource: &str,
    configs: &[(&str, &str)],
    validate_only: bool,
) -> (i16, Option<String>) {
    let configs = configs
        .iter()
        .map(|(k, v)| {
            AlterableConfig::default()
                .with_name(text(k))
                .with_value(Some(text(v)))
        })
        .collect();
    let request = AlterConfigsRequest::default()
        .with_resources(vec![AlterConfigsResource::default()
            .with_resource_type(resource_type)
            .with_resource_name(text(resource))
            .with_configs(configs)])
        .with_validate_only(validate_only);
    let response: AlterConfigsResponse = client.call(ApiKey::AlterConfigs, version, &request);
    let r = &response.responses[0];
    (
        r.error_code,
        r.error_message.as_ref().map(|m| m.to_string()),
    )
}

/// IncrementalAlterConfigs of one resource: (key, operation, value); returns (code, message).
pub fn incremental_alter(
    client: &mut KafkaRaw,
    version: i16,
    resource_type: i8,
    resource: &str,
    ops: &[(&str, i8, Option<&str>)],
    validate_only: bool,
) -> (i16, Option<String>) {
    let configs = ops
        .iter()
        .map(|(k, op, v)| {
            incremental::AlterableConfig::default()
                .with_name(text(k))
                .with_config_operation(*op)
                .with_value(v.map(text))
        })
        .collect();
    let request = incremental::IncrementalAlterConfigsRequest::default()
        .with_resources(vec![incremental::AlterConfigsResource::default()
            .with_resource_type(resource_type)
            .with_resource_name(text(resource))
            .with_configs(configs)])
        .with_validate_only(validate_only);
    let response: IncrementalAlterConfigsResponse =
        client.call(ApiKey::IncrementalAlterConfigs, version, &request);
    let r = &response.responses[0];
    (
        r.error_code,
        r.error_message.as_ref().map(|m| m.to_string()),
    )
}

/// Metadata for the named topics at `version` with `allow_auto_topic_creation`.
pub fn metadata(
    client: &mut KafkaRaw,
    version: i16,
    topics: &[&str],
    allow_auto_create: bool,
) -> MetadataResponse {
    let request = MetadataRequest::default()
        .with_topics(Some(
            topics
                .iter()
                .map(|t| MetadataRequestTopic::default().with_name(Some(name(t))))
                .collect(),
        ))
        .with_allow_auto_topic_creation(allow_auto_create);
    client.call(ApiKey::Metadata, version, &request)
}

/// Partitions Metadata reports for `topic` (latest version), or its error code.
pub fn partition_count(client: &mut KafkaRaw, topic: &str) -> Result<usize, i16> {
    let response = metadata(client, 12, &[topic], false);
    let t = &response.topics[0];
    if t.error_code == 0 {
        Ok(t.partitions.len())
    } else {
        Err(t.error_code)
    }
}
