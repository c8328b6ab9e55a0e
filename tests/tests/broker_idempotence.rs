//! Idempotent producers end to end over the native protocol against a real broker process:
//! InitProducer hands out ids and epochs, a retried batch is answered with its first offset and
//! stored once, sequence and epoch errors carry their codes, and deduplication survives a kill -9
//! (header replay) and a clean restart (snapshot).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::messages::api_versions::ApiVersionsRequest;
use rustlog_protocol::messages::init_producer::InitProducerRequest;
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::{ApiKey, ErrorCode, Response};
use rustlog_tests::{
    batch_of, http_get, idempotent_batch_of, metric_value, BrokerProcess, RawClient,
};

const TOPIC: &str = "idem";

fn start() -> (tempfile::TempDir, BrokerProcess) {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    broker.client().create_topic(TOPIC, 1, &[]);
    (dir, broker)
}

/// Produces `batch`, expecting success; returns the base offset.
fn produce_ok(client: &mut RawClient, batch: &[u8]) -> u64 {
    let p = client.produce_batch(TOPIC, 0, Acks::Durable, batch);
    assert_eq!(p.error_code, ErrorCode::None, "{}", p.error_message);
    p.base_offset
}

/// Produces `batch`, expecting `code` with a message and no change to the partition.
fn produce_err(client: &mut RawClient, batch: &[u8], code: ErrorCode) -> String {
    let before = client.partition_end(TOPIC, 0);
    let p = client.produce_batch(TOPIC, 0, Acks::Leader, batch);
    assert_eq!(p.error_code, code, "{}", p.error_message);
    assert!(!p.error_message.is_empty());
    assert_eq!(client.partition_end(TOPIC, 0), before, "nothing appended");
    p.error_message
}

fn records_in(broker: &BrokerProcess) -> f64 {
    let (_, text) = http_get(broker.metrics_addr().unwrap(), "/metrics").unwrap();
    metric_value(&text, "rustlog_records_in_total").unwrap_or(0.0)
}

#[test]
fn init_producer_and_a_retried_batch_is_answered_with_its_first_offset() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    let Response::ApiVersions(versions) = client.call_ok(ApiVersionsRequest::default()) else {
        panic!("not an ApiVersions response")
    };
    assert!(versions
        .apis
        .iter()
        .any(|a| a.api_key == ApiKey::InitProducer.code()));

    let (id, epoch) = client.init_producer(-1, -1);
    assert_eq!(epoch, 0);
    let (other, _) = client.init_producer(-1, -1);
    assert_ne!(id, other, "ids are never handed out twice");

    assert_eq!(produce_ok(&mut client, &batch_of(&[b"plain"])), 0);
    let first = idempotent_batch_of(id, 0, 0, &[b"a", b"b", b"c"]);
    assert_eq!(produce_ok(&mut client, &first), 1);
    let counted = records_in(&broker);
    assert_eq!(
        produce_ok(&mut client, &first),
        1,
        "the retry gets the first offset"
    );
    assert_eq!(
        records_in(&broker),
        counted,
        "a duplicate counts no records"
    );
    assert_eq!(client.partition_end(TOPIC, 0).0, 4);
    assert_eq!(
        client.fetch_all_values(TOPIC, 0, 0),
        vec![
            b"plain".to_vec(),
            b"a".to_vec(),
            b"b".to_vec(),
            b"c".to_vec()
        ],
        "stored once"
    );
    assert_eq!(
        produce_ok(&mut client, &idempotent_batch_of(id, 0, 3, &[b"d"])),
        4
    );

    let message = produce_err(
        &mut client,
        &idempotent_batch_of(id, 0, 9, &[b"gap"]),
        ErrorCode::OutOfOrderSequenceNumber,
    );
    assert!(
        message.contains("expected base sequence 4, got 9"),
        "{message}"
    );
    produce_err(
        &mut client,
        &idempotent_batch_of(other, 0, 1, &[b"x"]),
        ErrorCode::UnknownProducerId,
    );

    // A bump fences the old epoch.
    assert_eq!(client.init_producer(id, 0), (id, 1));
    let message = produce_err(
        &mut client,
        &idempotent_batch_of(id, 0, 4, &[b"old"]),
        ErrorCode::InvalidProducerEpoch,
    );
    assert!(message.contains("current epoch is 1"), "{message}");
    assert_eq!(
        produce_ok(&mut client, &idempotent_batch_of(id, 1, 0, &[b"new"])),
        5
    );
    let (code, message) = client.call_err(InitProducerRequest {
        producer_id: id,
        producer_epoch: 0,
    });
    assert_eq!(code, ErrorCode::InvalidProducerEpoch, "{message}");
    let (code, message) = client.call_err(InitProducerRequest {
        producer_id: 987_654,
        producer_epoch: 0,
    });
    assert_eq!(code, ErrorCode::UnknownProducerId, "{message}");
    assert!(message.contains("987654"), "{message}");
}

#[test]
fn kill_9_and_restart_still_detect_the_duplicate() {
    let (dir, mut broker) = start();
    let snapshot = dir.path().join("data/topics/idem/0/producer.snapshot");
    let mut client = broker.client();
    let (id, epoch) = client.init_producer(-1, -1);
    produce_ok(
        &mut client,
        &idempotent_batch_of(id, epoch, 0, &[b"a", b"b"]),
    );
    let last = idempotent_batch_of(id, epoch, 2, &[b"c"]);
    assert_eq!(produce_ok(&mut client, &last), 2);

    broker.kill9();
    broker.restart();
    let mut client = broker.client();
    assert_eq!(client.partition_end(TOPIC, 0).0, 3);
    assert_eq!(produce_ok(&mut client, &last), 2, "duplicate after kill -9");
    assert_eq!(client.partition_end(TOPIC, 0).0, 3);
    produce_err(
        &mut client,
        &idempotent_batch_of(id, epoch, 7, &[b"gap"]),
        ErrorCode::OutOfOrderSequenceNumber,
    );
    let next = idempotent_batch_of(id, epoch, 3, &[b"d"]);
    assert_eq!(produce_ok(&mut client, &next), 3);
    let (fresh, _) = client.init_producer(-1, -1);
    assert!(fresh > id, "a restarted broker never reissues an id");

    // A clean stop writes the snapshot; the next start uses it.
    assert!(broker.terminate().success());
    assert!(
        snapshot.exists(),
        "a clean stop writes {}",
        snapshot.display()
    );
    broker.restart();
    let mut client = broker.client();
    assert_eq!(produce_ok(&mut client, &next), 3, "duplicate after SIGTERM");
    assert_eq!(
        client.fetch_all_values(TOPIC, 0, 0),
        vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec(), b"d".to_vec()]
    );
    // The bump after a restart knows the epoch from the log.
    assert_eq!(client.init_producer(id, epoch), (id, epoch + 1));
}
