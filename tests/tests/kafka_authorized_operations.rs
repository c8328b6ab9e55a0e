//! Authorized operations through the Kafka listener: with no ACLs, a client that asks
//! (`include_*_authorized_operations`) is told every operation of the resource type is allowed;
//! one that does not ask gets Kafka's "not asked" value, -2147483648.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use kafka_protocol::messages::describe_cluster_request::DescribeClusterRequest;
use kafka_protocol::messages::describe_cluster_response::DescribeClusterResponse;
use kafka_protocol::messages::describe_groups_request::DescribeGroupsRequest;
use kafka_protocol::messages::describe_groups_response::DescribeGroupsResponse;
use kafka_protocol::messages::metadata_request::{MetadataRequest, MetadataRequestTopic};
use kafka_protocol::messages::metadata_response::MetadataResponse;
use kafka_protocol::messages::{ApiKey, GroupId, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_support::{kafka_broker, KafkaRaw};

/// Kafka's AclOperation bits: READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8,
/// CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
const TOPIC_OPERATIONS: i32 = 0b1101_1111_1000;
const CLUSTER_OPERATIONS: i32 = 0b1_1111_1010_0000;
const GROUP_OPERATIONS: i32 = (1 << 3) | (1 << 6) | (1 << 8);
const NOT_ASKED: i32 = i32::MIN;

fn metadata(client: &mut KafkaRaw, version: i16, topic: &str, asked: bool) -> MetadataResponse {
    let request = MetadataRequest::default()
        .with_topics(Some(vec![MetadataRequestTopic::default().with_name(Some(
            TopicName(StrBytes::from_string(topic.to_string())),
        ))]))
        .with_include_topic_authorized_operations(asked)
        .with_include_cluster_authorized_operations(asked && version <= 10);
    client.call(ApiKey::Metadata, version, &request)
}

#[test]
fn metadata_reports_every_topic_and_cluster_operation_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("ops", 1, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    for version in 8..=12 {
        let asked = metadata(&mut client, version, "ops", true);
        assert_eq!(asked.topics[0].error_code, 0, "v{version}");
        assert_eq!(
            asked.topics[0].topic_authorized_operations,
            TOPIC_OPERATIONS
        );
        if version <= 10 {
            assert_eq!(asked.cluster_authorized_operations, CLUSTER_OPERATIONS);
        }
        let unasked = metadata(&mut client, version, "ops", false);
        assert_eq!(unasked.topics[0].topic_authorized_operations, NOT_ASKED);
        if version <= 10 {
            assert_eq!(unasked.cluster_authorized_operations, NOT_ASKED);
        }
    }
}

#[test]
fn describe_cluster_and_groups_report_operations_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    for (asked, expected) in [(true, CLUSTER_OPERATIONS), (false, NOT_ASKED)] {
        let request =
            DescribeClusterRequest::default().with_include_cluster_authorized_operations(asked);
        let response: DescribeClusterResponse = client.call(ApiKey::DescribeCluster, 0, &request);
        assert_eq!(response.cluster_authorized_operations, expected);
    }
    for (asked, expected) in [(true, GROUP_OPERATIONS), (false, NOT_ASKED)] {
        let request = DescribeGroupsRequest::default()
            .with_groups(vec![GroupId(StrBytes::from_static_str("nobody"))])
            .with_include_authorized_operations(asked);
        let response: DescribeGroupsResponse = client.call(ApiKey::DescribeGroups, 3, &request);
        assert_eq!(response.groups[0].authorized_operations, expected);
    }
}
