//! CreatePartitions through the Kafka listener: a topic grows, the new partitions take records
//! from either protocol, every view of the topic (Kafka Metadata, the native DescribeTopic) sees
//! the new count, and the count survives kill -9. Bad requests next to the good ones.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use bytes::Bytes;
use kafka_protocol::messages::produce_request::{
    PartitionProduceData, ProduceRequest, TopicProduceData,
};
use kafka_protocol::messages::produce_response::ProduceResponse;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::ResponseError;
use kafka_support::admin::{create_partitions, name, partition_count};
use kafka_support::{kafka_broker, KafkaRaw};
use rustlog_protocol::messages::describe_topic::DescribeTopicRequest;
use rustlog_protocol::Response;
use rustlog_tests::{batch_of, BrokerProcess};

fn native_partitions(broker: &BrokerProcess, topic: &str) -> usize {
    let Response::DescribeTopic(described) = broker.client().call_ok(DescribeTopicRequest {
        name: topic.to_string(),
    }) else {
        panic!("not a DescribeTopic response")
    };
    described.partitions.len()
}

/// A Kafka Produce of one batch to `partition`; returns (error code, base offset).
fn kafka_produce(client: &mut KafkaRaw, topic: &str, partition: i32) -> (i16, i64) {
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(name(topic))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(Bytes::from(batch_of(&[b"x"]))))])]);
    let response: ProduceResponse = client.call(ApiKey::Produce, 9, &request);
    let p = &response.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}

#[test]
fn a_topic_grows_and_every_view_and_producer_sees_the_new_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("grow", 1, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    assert_eq!(
        kafka_produce(&mut client, "grow", 2).0,
        ResponseError::UnknownTopicOrPartition.code(),
        "no partition 2 yet"
    );

    let result = create_partitions(&mut client, 3, "grow", 3, false, false);
    assert_eq!(result.error_code, 0, "{:?}", result.error_message);
    assert_eq!(partition_count(&mut client, "grow"), Ok(3));
    assert_eq!(native_partitions(&broker, "grow"), 3);
    assert_eq!(kafka_produce(&mut client, "grow", 2), (0, 0));
    broker.client().produce(
        "grow",
        1,
        rustlog_protocol::messages::produce::Acks::Durable,
        &[b"native"],
    );

    broker.kill9();
    broker.restart();
    let mut client = KafkaRaw::connect(&broker.kafka_addr().unwrap().to_string());
    assert_eq!(partition_count(&mut client, "grow"), Ok(3), "after kill -9");
    // (high watermark, bytes): one record each, from Kafka and from the native protocol.
    assert_eq!(broker.client().partition_end("grow", 2).0, 1);
    assert_eq!(broker.client().partition_end("grow", 1).0, 1);
}

#[test]
fn validate_only_checks_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("same", 2, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let checked = create_partitions(&mut client, 3, "same", 6, true, false);
    assert_eq!(checked.error_code, 0, "{:?}", checked.error_message);
    assert_eq!(partition_count(&mut client, "same"), Ok(2));
    let refused = create_partitions(&mut client, 3, "same", 2, true, false);
    assert_eq!(refused.error_code, ResponseError::InvalidPartitions.code());
}

#[test]
fn bad_grows_get_clear_per_topic_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("fixed", 3, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let cases: [(&str, i32, bool, i16, &str); 6] = [
        (
            "fixed",
            3,
            false,
            ResponseError::InvalidPartitions.code(),
            "has 3 partitions",
        ),
        (
            "fixed",
            2,
            false,
            ResponseError::InvalidPartitions.code(),
            "has 3 partitions",
        ),
        (
            "fixed",
            -1,
            false,
            ResponseError::InvalidPartitions.code(),
            "at least 1",
        ),
        (
            "fixed",
            100_000,
            false,
            ResponseError::InvalidPartitions.code(),
            "limit",
        ),
        (
            "fixed",
            4,
            true,
            ResponseError::InvalidReplicaAssignment.code(),
            "assignments",
        ),
        (
            "missing",
            4,
            false,
            ResponseError::UnknownTopicOrPartition.code(),
            "missing",
        ),
    ];
    for (topic, count, assign, code, says) in cases {
        let result = create_partitions(&mut client, 3, topic, count, false, assign);
        let message = result
            .error_message
            .map(|m| m.to_string())
            .unwrap_or_default();
        assert_eq!(result.error_code, code, "{topic} -> {count}: {message}");
        assert!(message.contains(says), "{topic} -> {count}: {message}");
    }
    assert_eq!(
        partition_count(&mut client, "fixed"),
        Ok(3),
        "nothing changed"
    );
}

#[test]
fn a_group_rebalancing_after_the_grow_is_assigned_the_new_partitions() {
    use rustlog_protocol::messages::join_group::{Assignor, JoinGroupRequest};
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("grouped", 1, &[]);
    let join = |member_id: Option<String>| {
        let request = JoinGroupRequest {
            group_id: "g".into(),
            member_id,
            client_id: "test".into(),
            topics: vec!["grouped".into()],
            session_timeout_ms: 30_000,
            rebalance_timeout_ms: 5_000,
            assignor: Assignor::Range,
        };
        let Response::JoinGroup(joined) = broker.client().call_ok(request) else {
            panic!("not a JoinGroup response")
        };
        joined
    };
    let first = join(None);
    assert_eq!(first.assignment[0].partitions, [0]);
    let mut client = KafkaRaw::connect(&kafka);
    let result = create_partitions(&mut client, 3, "grouped", 3, false, false);
    assert_eq!(result.error_code, 0, "{:?}", result.error_message);
    let again = join(Some(first.member_id));
    assert!(
        again.generation_id > first.generation_id,
        "a new generation"
    );
    assert_eq!(again.assignment[0].partitions, [0, 1, 2]);
}
