//! Idempotent producers through the Kafka listener: InitProducerId hands out an id, a retried
//! batch (same producer id, epoch and sequence) is answered with the original base offset and
//! stored once, and kcat with `enable.idempotence=true` produces exactly its records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use bytes::Bytes;
use kafka_protocol::messages::init_producer_id_request::InitProducerIdRequest;
use kafka_protocol::messages::init_producer_id_response::InitProducerIdResponse;
use kafka_protocol::messages::produce_request::{
    PartitionProduceData, ProduceRequest, TopicProduceData,
};
use kafka_protocol::messages::produce_response::ProduceResponse;
use kafka_protocol::messages::{ApiKey, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use kafka_support::{kafka_broker, kcat_ok, kcat_read, KafkaRaw};
use rustlog_tests::idempotent_batch_of;

fn produce(client: &mut KafkaRaw, batch: Vec<u8>) -> (i16, i64) {
    let request = ProduceRequest::default()
        .with_transactional_id(None)
        .with_acks(-1)
        .with_timeout_ms(5_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_static_str("once")))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(Bytes::from(batch)))])]);
    let response: ProduceResponse = client.call(ApiKey::Produce, 9, &request);
    let p = &response.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}

#[test]
fn a_retried_batch_is_answered_with_its_original_offset_and_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("once", 1, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let granted: InitProducerIdResponse = client.call(
        ApiKey::InitProducerId,
        4,
        &InitProducerIdRequest::default()
            .with_transactional_id(None)
            .with_transaction_timeout_ms(60_000),
    );
    assert_eq!(granted.error_code, 0);
    let (id, epoch) = (granted.producer_id.0, granted.producer_epoch);

    let first = idempotent_batch_of(id, epoch, 0, &[b"a", b"b"]);
    assert_eq!(produce(&mut client, first.clone()), (0, 0));
    // The client lost the answer and sends the very same batch again.
    assert_eq!(produce(&mut client, first), (0, 0));
    assert_eq!(
        produce(&mut client, idempotent_batch_of(id, epoch, 2, &[b"c"])),
        (0, 2)
    );
    // A gap in sequence numbers is refused with Kafka's code.
    let (code, _) = produce(&mut client, idempotent_batch_of(id, epoch, 9, &[b"z"]));
    assert_eq!(code, ResponseError::OutOfOrderSequenceNumber.code());

    let out = kcat_read(&kafka, "once", "beginning", "%o|%s\\n");
    assert_eq!(out, "0|a\n1|b\n2|c\n");
}

#[test]
fn kcat_with_idempotence_on_produces_each_record_once() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("once", 1, &[]);
    let stdin: String = (0..50).map(|i| format!("v{i}\n")).collect();
    kcat_ok(
        &kafka,
        &[
            "-P",
            "-t",
            "once",
            "-p",
            "0",
            "-X",
            "enable.idempotence=true",
            "-z",
            "zstd",
        ],
        &stdin,
    );
    let out = kcat_read(&kafka, "once", "beginning", "%o|%s\\n");
    let expected: String = (0..50).map(|i| format!("{i}|v{i}\n")).collect();
    assert_eq!(out, expected);
}
