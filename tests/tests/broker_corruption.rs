//! Scenario: a byte flips in one partition's active segment while the broker is stopped. On
//! restart the broker starts, serves every other partition, and answers the damaged one with a
//! clear error (natively and through the Kafka listener), shows it in `rustlog topic describe`
//! and in the metrics; the offline `repair` (dry run first) cuts at the damage keeping the cut
//! bytes, and the partition serves its good prefix and takes appends again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;
mod kafka_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use client_support::cli;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchRequest, FetchTopic};
use kafka_protocol::messages::fetch_response::FetchResponse;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::ResponseError;
use kafka_support::admin::name;
use kafka_support::KafkaRaw;
use predicates::prelude::*;
use rustlog_protocol::batch::batches;
use rustlog_protocol::messages::describe_partition::DescribePartitionRequest;
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::ErrorCode;
use rustlog_tests::{batch_of, broker_binary, http_get, metric_value, BrokerProcess};

const CORRUPT_MESSAGE: i16 = ResponseError::CorruptMessage.code();
const QUARANTINED_SERIES: &str = "rustlog_partition_quarantined{topic=\"damaged\",partition=\"0\"}";

/// Flips a byte inside the fourth batch of `log`; returns where that batch starts.
fn flip_in_fourth_batch(log: &Path) -> u64 {
    let mut bytes = std::fs::read(log).unwrap();
    let fourth: usize = batches(&bytes)
        .take(3)
        .map(|v| v.unwrap().as_bytes().len())
        .sum();
    bytes[fourth + 70] ^= 0x01;
    std::fs::write(log, &bytes).unwrap();
    fourth as u64
}

fn repair(data_dir: &Path, dry_run: bool) -> std::process::Output {
    let mut cmd = Command::new(broker_binary());
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["repair", "--topic", "damaged", "--partition", "0"]);
    if dry_run {
        cmd.arg("--dry-run");
    }
    cmd.output().unwrap()
}

fn kafka_fetch_code(kafka: &str, offset: i64) -> (i16, usize) {
    let mut client = KafkaRaw::connect(kafka);
    let fetch = FetchRequest::default()
        .with_replica_id((-1).into())
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_topics(vec![FetchTopic::default()
            .with_topic(name("damaged"))
            .with_partitions(vec![FetchPartition::default()
                .with_partition(0)
                .with_fetch_offset(offset)
                .with_partition_max_bytes(1 << 20)])]);
    let response: FetchResponse = client.call(ApiKey::Fetch, 12, &fetch);
    let p = &response.responses[0].partitions[0];
    (p.error_code, p.records.as_ref().map_or(0, Bytes::len))
}

fn kafka_produce_code(kafka: &str) -> i16 {
    kafka_support::produce_one_code(&mut KafkaRaw::connect(kafka), "damaged")
}

#[test]
fn a_corrupt_partition_is_quarantined_served_around_and_repaired_offline() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut broker = BrokerProcess::start(&data_dir, &[]);
    let mut client = broker.client();
    for topic in ["damaged", "healthy"] {
        client.create_topic(topic, 1, &[]);
        for i in 0..10 {
            let value = format!("{topic}-{i}");
            client.produce(topic, 0, Acks::Durable, &[value.as_bytes()]);
        }
    }
    drop(client);
    assert!(broker.terminate().success());
    let log: PathBuf = data_dir.join("topics/damaged/0/00000000000000000000.log");
    let byte = flip_in_fourth_batch(&log);
    let damaged_bytes = std::fs::read(&log).unwrap();

    broker.restart();
    let mut client = broker.client();
    // The other topic works.
    assert_eq!(client.fetch_all_values("healthy", 0, 0).len(), 10);
    assert_eq!(client.produce("healthy", 0, Acks::Durable, &[b"more"]), 10);
    // The damaged partition answers a clear error naming the file and the byte.
    assert_eq!(
        client.fetch("damaged", 0, 0).error_code,
        ErrorCode::CorruptRecord
    );
    let produced = client.produce_batch("damaged", 0, Acks::Durable, &batch_of(&[b"x"]));
    assert_eq!(produced.error_code, ErrorCode::CorruptRecord);
    for text in [
        "quarantined",
        "00000000000000000000.log",
        &format!("byte {byte}"),
    ] {
        assert!(
            produced.error_message.contains(text),
            "{}",
            produced.error_message
        );
    }
    let (code, message) = client.call_err(DescribePartitionRequest {
        topic: "damaged".into(),
        partition: 0,
    });
    assert_eq!(code, ErrorCode::CorruptRecord);
    assert!(message.contains(&format!("byte {byte}")), "{message}");
    // The same through the Kafka listener.
    let kafka = broker.kafka_addr().unwrap().to_string();
    assert_eq!(kafka_fetch_code(&kafka, 0).0, CORRUPT_MESSAGE);
    assert_eq!(kafka_produce_code(&kafka), CORRUPT_MESSAGE);
    // `rustlog topic describe` and the metrics show it.
    cli(&broker)
        .args(["topic", "describe", "damaged"])
        .assert()
        .success()
        .stdout(predicate::str::contains("QUARANTINED"))
        .stdout(predicate::str::contains(format!("byte {byte}")));
    let (_, metrics) = http_get(broker.metrics_addr().unwrap(), "/metrics").unwrap();
    assert_eq!(
        metric_value(&metrics, QUARANTINED_SERIES),
        Some(1.0),
        "{metrics}"
    );
    assert!(broker.logs().contains("partition quarantined at start-up"));

    // Repair refuses beside the running broker.
    let refused = repair(&data_dir, false);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("in use by another broker"));
    assert!(broker.terminate().success());

    // The dry run says what it would cut and changes nothing.
    let dry = repair(&data_dir, true);
    assert!(dry.status.success(), "{dry:?}");
    let plan = String::from_utf8_lossy(&dry.stdout);
    assert!(plan.contains(&format!("at byte {byte}")), "{plan}");
    assert!(plan.contains("continues at offset 3"), "{plan}");
    assert_eq!(std::fs::read(&log).unwrap(), damaged_bytes);
    let copy = log.with_file_name(format!("00000000000000000000.log.corrupt-{byte}.bin"));
    assert!(!copy.exists());

    // The repair keeps the cut bytes and the partition serves its good prefix.
    let done = repair(&data_dir, false);
    assert!(done.status.success(), "{done:?}");
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        damaged_bytes[byte as usize..]
    );
    broker.restart();
    let mut client = broker.client();
    let values = client.fetch_all_values("damaged", 0, 0);
    assert_eq!(
        values,
        [
            b"damaged-0".to_vec(),
            b"damaged-1".to_vec(),
            b"damaged-2".to_vec()
        ]
    );
    // Appends continue after the good prefix: the operator accepted the loss of 3..10.
    assert_eq!(client.produce("damaged", 0, Acks::Durable, &[b"after"]), 3);
    assert_eq!(
        kafka_fetch_code(&broker.kafka_addr().unwrap().to_string(), 0).0,
        0
    );
    let (_, metrics) = http_get(broker.metrics_addr().unwrap(), "/metrics").unwrap();
    assert_eq!(metric_value(&metrics, QUARANTINED_SERIES), None);
    assert!(broker.terminate().success());
}
