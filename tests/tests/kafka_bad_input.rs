//! Bad input on the Kafka port ends only what it must: garbage and an oversized length prefix
//! close that connection, an API the broker does not serve closes it (as Kafka does), an
//! ApiVersions above ours gets the KIP-511 reply, a produce to a missing topic is a per-partition
//! UNKNOWN_TOPIC_OR_PARTITION on a connection that stays usable, and acks 0 gets no response.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use bytes::Bytes;
use kafka_protocol::messages::api_versions_request::ApiVersionsRequest;
use kafka_protocol::messages::api_versions_response::ApiVersionsResponse;
use kafka_protocol::messages::metadata_request::MetadataRequest;
use kafka_protocol::messages::metadata_response::MetadataResponse;
use kafka_protocol::messages::produce_request::{
    PartitionProduceData, ProduceRequest, TopicProduceData,
};
use kafka_protocol::messages::produce_response::ProduceResponse;
use kafka_protocol::messages::{ApiKey, TopicName};
use kafka_protocol::protocol::{Decodable, StrBytes};
use kafka_protocol::ResponseError;
use kafka_support::{kafka_broker, KafkaRaw};
use rustlog_tests::batch_of;

/// The broker still answers a new connection.
fn still_serves(kafka: &str) {
    let mut fresh = KafkaRaw::connect(kafka);
    let response: ApiVersionsResponse =
        fresh.call(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default());
    assert_eq!(response.error_code, 0);
}

fn produce_request(topic: &str, acks: i16) -> ProduceRequest {
    let batch = Bytes::from(batch_of(&[b"one", b"two"]));
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(5_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_string(topic.to_string())))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(batch))])])
}

#[test]
fn garbage_closes_only_its_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let mut bad = KafkaRaw::connect(&kafka);
    // A plausible length, then a header naming api key 0x4141 ("AA"): not an API.
    bad.send_raw(b"\x00\x00\x00\x10AAAAAAAAAAAAAAAA");
    assert!(bad.is_closed_by_broker());
    still_serves(&kafka);
}

#[test]
fn an_oversized_length_prefix_closes_the_connection_before_any_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    for prefix in [i32::MAX.to_be_bytes(), (-1i32).to_be_bytes()] {
        let mut bad = KafkaRaw::connect(&kafka);
        bad.send_raw(&prefix);
        assert!(bad.is_closed_by_broker(), "prefix {prefix:?}");
    }
    still_serves(&kafka);
}

/// Found by the kafka_request fuzz target (fuzz/regressions/kafka_request/): an AlterConfigs v1
/// request whose resources array announces 0x7dff0000 entries in 18 bytes. kafka-protocol 0.18
/// reserved memory for that count before reading an element, and the allocator aborted the
/// broker (vendor/kafka-protocol/RUSTLOG-PATCH.md).
#[test]
fn an_array_count_larger_than_the_request_closes_only_its_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    let mut bad = KafkaRaw::connect(&kafka);
    bad.send_raw(b"\x00\x00\x00\x0e\x00\x21\x00\x01\x0c\x01\x00\x00\x00\x00\x7d\xff\x00\x00");
    assert!(bad.is_closed_by_broker());
    still_serves(&kafka);
    drop(broker);
}

#[test]
fn an_unserved_api_closes_the_connection_and_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    // AddPartitionsToTxn is a real Kafka API RustLog does not serve (nor advertise): it has no
    // transactions.
    client.send(
        ApiKey::AddPartitionsToTxn,
        3,
        &kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnRequest::default(),
    );
    assert!(client.is_closed_by_broker());
    // A version of a served API outside our range is treated the same way.
    let mut client = KafkaRaw::connect(&kafka);
    client.send(ApiKey::Metadata, 13, &MetadataRequest::default());
    assert!(client.is_closed_by_broker());
    still_serves(&kafka);
}

#[test]
fn api_versions_above_ours_gets_the_kip_511_reply() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    // v4 is our highest; a newer client asks with v9. The body is whatever the client's newer
    // version looks like: the broker must not need to read it.
    let correlation_id = client.send(ApiKey::ApiVersions, 4, &ApiVersionsRequest::default());
    let _ = client.recv::<ApiVersionsResponse>(ApiKey::ApiVersions, 4, correlation_id);
    let mut frame = Vec::new();
    frame.extend_from_slice(&ApiKey::ApiVersions.to_i16_be());
    frame.extend_from_slice(&9i16.to_be_bytes());
    frame.extend_from_slice(&77i32.to_be_bytes());
    frame.extend_from_slice(b"\x00\x05newer\x00future-body");
    let mut framed = (frame.len() as i32).to_be_bytes().to_vec();
    framed.extend_from_slice(&frame);
    client.send_raw(&framed);
    let mut reply = client.recv_frame().expect("a KIP-511 reply");
    // Response header v0 (correlation id only), then a v0 body.
    let header = kafka_protocol::messages::ResponseHeader::decode(&mut reply, 0).unwrap();
    assert_eq!(header.correlation_id, 77);
    let body = ApiVersionsResponse::decode(&mut reply, 0).unwrap();
    assert_eq!(body.error_code, ResponseError::UnsupportedVersion.code());
    let ours = body
        .api_keys
        .iter()
        .find(|k| k.api_key == ApiKey::ApiVersions as i16)
        .unwrap();
    assert_eq!((ours.min_version, ours.max_version), (0, 4));
    // The connection stays usable: the client retries at a version we serve.
    let retried: ApiVersionsResponse =
        client.call(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default());
    assert_eq!(retried.error_code, 0);
}

#[test]
fn produce_to_a_missing_topic_is_a_partition_error_on_a_usable_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("present", 1, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let missing: ProduceResponse = client.call(ApiKey::Produce, 9, &produce_request("absent", 1));
    let partition = &missing.responses[0].partition_responses[0];
    assert_eq!(
        partition.error_code,
        ResponseError::UnknownTopicOrPartition.code()
    );
    assert!(partition.error_message.is_some());
    let present: ProduceResponse = client.call(ApiKey::Produce, 9, &produce_request("present", 1));
    let partition = &present.responses[0].partition_responses[0];
    assert_eq!((partition.error_code, partition.base_offset), (0, 0));
}

#[test]
fn acks_0_gets_no_response_and_later_requests_are_answered_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("fire", 1, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    client.send(ApiKey::Produce, 9, &produce_request("fire", 0));
    // The next frame on the wire is the Metadata answer: the acks-0 produce sent nothing.
    let all_topics = MetadataRequest::default().with_topics(None);
    let meta: MetadataResponse = client.call(ApiKey::Metadata, 12, &all_topics);
    assert_eq!(meta.topics.len(), 1);
    // It was appended all the same, before the Metadata request was answered.
    let acked: ProduceResponse = client.call(ApiKey::Produce, 9, &produce_request("fire", 1));
    assert_eq!(acked.responses[0].partition_responses[0].base_offset, 2);
}

/// `ApiKey` as the two bytes of a request header.
trait ApiKeyBytes {
    fn to_i16_be(self) -> [u8; 2];
}

impl ApiKeyBytes for ApiKey {
    fn to_i16_be(self) -> [u8; 2] {
        (self as i16).to_be_bytes()
    }
}
