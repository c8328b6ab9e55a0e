//! `message.timestamp.type` end to end: a LogAppendTime topic serves every record with the
//! broker's append time (the one the produce answer reports), CreateTime keeps the producer's,
//! describe lists the setting, and a bad value is refused naming the key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::batch::{batches, TimestampType};
use rustlog_protocol::messages::create_topic::CreateTopicRequest;
use rustlog_protocol::messages::describe_topic::DescribeTopicRequest;
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::{ErrorCode, RecordBatchBuilder, Response};
use rustlog_tests::BrokerProcess;

const PRODUCER_TIMESTAMP_MS: i64 = 1_000;

fn old_batch() -> Vec<u8> {
    let mut b = RecordBatchBuilder::new();
    b.push(PRODUCER_TIMESTAMP_MS, None, Some(b"a"), &[])
        .unwrap();
    b.push(PRODUCER_TIMESTAMP_MS + 1, None, Some(b"b"), &[])
        .unwrap();
    b.finish(0).unwrap()
}

/// Timestamp type and every record timestamp of the first fetched batch.
fn fetched_timestamps(
    client: &mut rustlog_tests::RawClient,
    topic: &str,
) -> (TimestampType, Vec<i64>) {
    let fetched = client.fetch(topic, 0, 0);
    let view = batches(&fetched.records).next().unwrap().unwrap();
    view.validate().unwrap();
    let records = view.records().unwrap();
    let stamps = records.iter().map(|r| r.unwrap().timestamp_ms).collect();
    (view.header().timestamp_type(), stamps)
}

#[test]
fn log_append_time_topics_serve_the_broker_time_and_create_time_keeps_the_producers() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut client = broker.client();
    client.create_topic("lat", 1, &[("message.timestamp.type", "LogAppendTime")]);
    client.create_topic("ct", 1, &[]);

    let answer = client.produce_batch("lat", 0, Acks::Leader, &old_batch());
    assert_eq!(
        answer.error_code,
        ErrorCode::None,
        "{}",
        answer.error_message
    );
    let (kind, stamps) = fetched_timestamps(&mut client, "lat");
    assert_eq!(kind, TimestampType::LogAppendTime);
    assert_eq!(stamps, vec![answer.log_append_time_ms; 2]);
    assert!(answer.log_append_time_ms > PRODUCER_TIMESTAMP_MS);

    let answer = client.produce_batch("ct", 0, Acks::Leader, &old_batch());
    assert_eq!(
        answer.error_code,
        ErrorCode::None,
        "{}",
        answer.error_message
    );
    let (kind, stamps) = fetched_timestamps(&mut client, "ct");
    assert_eq!(kind, TimestampType::CreateTime);
    assert_eq!(
        stamps,
        vec![PRODUCER_TIMESTAMP_MS, PRODUCER_TIMESTAMP_MS + 1]
    );

    for (topic, expected) in [("lat", "LogAppendTime"), ("ct", "CreateTime")] {
        let Response::DescribeTopic(described) = client.call_ok(DescribeTopicRequest {
            name: topic.to_string(),
        }) else {
            panic!("not a DescribeTopic response")
        };
        assert_eq!(
            described
                .config
                .get("message.timestamp.type")
                .map(String::as_str),
            Some(expected)
        );
    }
}

#[test]
fn a_bad_timestamp_type_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut client = broker.client();
    let (code, message) = client.call_err(CreateTopicRequest {
        name: "bad".to_string(),
        partitions: 1,
        config: [(
            "message.timestamp.type".to_string(),
            "BrokerTime".to_string(),
        )]
        .into_iter()
        .collect(),
    });
    assert_eq!(code, ErrorCode::InvalidConfig, "{message}");
    assert!(message.contains("message.timestamp.type"), "{message}");
    assert!(message.contains("LogAppendTime"), "{message}");
}
