//! DescribeConfigs, AlterConfigs and IncrementalAlterConfigs through the Kafka listener: every
//! topic key with its value and source, the broker's read-only settings, the legacy whole-set
//! replace, the incremental operations, validate_only, per-resource errors, a change taking
//! effect on the next append, and altered configs surviving kill -9.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use bytes::Bytes;
use kafka_protocol::messages::list_offsets_request::{
    ListOffsetsPartition, ListOffsetsRequest, ListOffsetsTopic,
};
use kafka_protocol::messages::list_offsets_response::ListOffsetsResponse;
use kafka_protocol::messages::produce_request::{
    PartitionProduceData, ProduceRequest, TopicProduceData,
};
use kafka_protocol::messages::produce_response::ProduceResponse;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::ResponseError;
use kafka_support::admin::*;
use kafka_support::{kafka_broker, KafkaRaw};
use rustlog_protocol::config_keys;
use rustlog_protocol::RecordBatchBuilder;

const INVALID_CONFIG: i16 = 40;

/// Incremental operations on one resource: (key, operation, value).
type Ops<'a> = &'a [(&'a str, i8, Option<&'a str>)];

fn assert_error(got: (i16, Option<String>), code: i16, says: &str) {
    let message = got.1.unwrap_or_default();
    assert_eq!(got.0, code, "{message}");
    assert!(message.contains(says), "{message:?} should say {says:?}");
}

#[test]
fn a_topic_describes_every_key_with_its_value_and_source() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &["--topic-config", "retention.ms=3600000"]);
    broker
        .client()
        .create_topic("orders", 1, &[("cleanup.policy", "compact")]);
    let mut client = KafkaRaw::connect(&kafka);
    let result = describe_configs(&mut client, 4, TOPIC, "orders", None, true);
    assert_eq!(result.error_code, 0, "{:?}", result.error_message);
    let names: Vec<&str> = result.configs.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, config_keys::ALL);

    let cleanup = entry(&result, "cleanup.policy");
    assert_eq!(cleanup.value.as_deref(), Some("compact"));
    assert_eq!(cleanup.config_source, TOPIC_CONFIG);
    assert_eq!(cleanup.config_type, 7, "LIST");
    let synonyms: Vec<(String, i8)> = cleanup
        .synonyms
        .iter()
        .map(|s| (s.value.as_ref().unwrap().to_string(), s.source))
        .collect();
    assert_eq!(
        synonyms,
        [
            ("compact".into(), TOPIC_CONFIG),
            ("delete".into(), DEFAULT_CONFIG)
        ]
    );
    let retention = entry(&result, "retention.ms");
    assert_eq!(retention.value.as_deref(), Some("3600000"));
    assert_eq!(retention.config_source, STATIC_BROKER_CONFIG);
    assert_eq!(retention.config_type, 5, "LONG");
    let segment = entry(&result, "segment.bytes");
    assert_eq!(segment.value.as_deref(), Some("134217728"));
    assert_eq!(segment.config_source, DEFAULT_CONFIG);
    for config in &result.configs {
        assert!(!config.read_only && !config.is_sensitive, "{config:?}");
        assert!(
            config.documentation.as_ref().is_some_and(|d| !d.is_empty()),
            "{config:?}"
        );
    }

    let plain = describe_configs(&mut client, 4, TOPIC, "orders", None, false);
    assert!(plain
        .configs
        .iter()
        .all(|c| c.synonyms.is_empty() && c.documentation.is_none()));
}

#[test]
fn configuration_keys_filter_and_unknown_resources_get_their_own_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("t", 1, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let filtered = describe_configs(
        &mut client,
        4,
        TOPIC,
        "t",
        Some(&["retention.ms", "no.such.key"]),
        false,
    );
    let names: Vec<&str> = filtered.configs.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["retention.ms"]);
    // An empty list means every key, as Kafka's broker reads it.
    let everything = describe_configs(&mut client, 4, TOPIC, "t", Some(&[]), false);
    assert_eq!(everything.configs.len(), config_keys::ALL.len());

    let missing = describe_configs(&mut client, 4, TOPIC, "missing", None, false);
    assert_eq!(
        missing.error_code,
        ResponseError::UnknownTopicOrPartition.code()
    );
    assert!(missing.configs.is_empty());
    let other_broker = describe_configs(&mut client, 4, BROKER, "7", None, false);
    assert_eq!(
        other_broker.error_code,
        ResponseError::InvalidRequest.code()
    );
    let group = describe_configs(&mut client, 4, 32, "g", None, false);
    assert_eq!(group.error_code, ResponseError::InvalidRequest.code());
}

#[test]
fn the_broker_describes_its_settings_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &["--default-partitions", "4"]);
    let mut client = KafkaRaw::connect(&kafka);
    let result = describe_configs(&mut client, 4, BROKER, "0", None, false);
    assert_eq!(result.error_code, 0, "{:?}", result.error_message);
    assert!(result.configs.iter().all(|c| c.read_only));
    assert_eq!(entry(&result, "num.partitions").value.as_deref(), Some("4"));
    assert_eq!(
        entry(&result, "auto.create.topics.enable").value.as_deref(),
        Some("false")
    );
    assert_eq!(
        entry(&result, "advertised.listeners").value.as_deref(),
        Some(kafka.as_str())
    );
    let refused = alter_configs(
        &mut client,
        2,
        BROKER,
        "0",
        &[("num.partitions", "9")],
        false,
    );
    assert_error(refused, ResponseError::InvalidRequest.code(), "read-only");
    let refused = incremental_alter(
        &mut client,
        1,
        BROKER,
        "0",
        &[("num.partitions", SET, Some("9"))],
        false,
    );
    assert_error(refused, ResponseError::InvalidRequest.code(), "read-only");
}

#[test]
fn alter_configs_replaces_the_whole_set_and_keys_left_out_return_to_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker
        .client()
        .create_topic("t", 1, &[("segment.bytes", "4096")]);
    let mut client = KafkaRaw::connect(&kafka);
    let checked = alter_configs(
        &mut client,
        2,
        TOPIC,
        "t",
        &[("retention.ms", "1000")],
        true,
    );
    assert_eq!(checked.0, 0, "{:?}", checked.1);
    assert_eq!(
        topic_value(&mut client, "t", "retention.ms"),
        "604800000",
        "validate only"
    );

    let altered = alter_configs(
        &mut client,
        2,
        TOPIC,
        "t",
        &[("retention.ms", "1000")],
        false,
    );
    assert_eq!(altered.0, 0, "{:?}", altered.1);
    let result = describe_configs(&mut client, 4, TOPIC, "t", None, false);
    assert_eq!(
        entry(&result, "retention.ms").value.as_deref(),
        Some("1000")
    );
    assert_eq!(entry(&result, "retention.ms").config_source, TOPIC_CONFIG);
    assert_eq!(
        entry(&result, "segment.bytes").value.as_deref(),
        Some("134217728")
    );
    assert_eq!(
        entry(&result, "segment.bytes").config_source,
        DEFAULT_CONFIG
    );

    let bad = alter_configs(
        &mut client,
        2,
        TOPIC,
        "t",
        &[("retention.ms", "soon")],
        false,
    );
    assert_error(bad, INVALID_CONFIG, "retention.ms");
    let unknown = alter_configs(&mut client, 2, TOPIC, "t", &[("max.cheese", "1")], false);
    assert_error(unknown, INVALID_CONFIG, "max.cheese");
    let missing = alter_configs(
        &mut client,
        2,
        TOPIC,
        "nope",
        &[("retention.ms", "1")],
        false,
    );
    assert_error(
        missing,
        ResponseError::UnknownTopicOrPartition.code(),
        "nope",
    );
    assert_eq!(
        topic_value(&mut client, "t", "retention.ms"),
        "1000",
        "bad ones changed nothing"
    );
}

#[test]
fn incremental_alter_sets_deletes_and_edits_lists_only() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker
        .client()
        .create_topic("t", 1, &[("segment.bytes", "4096")]);
    let mut client = KafkaRaw::connect(&kafka);
    let ops = [
        ("retention.ms", SET, Some("2000")),
        ("segment.bytes", DELETE, None),
        ("cleanup.policy", APPEND, Some("delete")),
    ];
    let done = incremental_alter(&mut client, 1, TOPIC, "t", &ops, false);
    assert_eq!(done.0, 0, "{:?}", done.1);
    let result = describe_configs(&mut client, 4, TOPIC, "t", None, false);
    assert_eq!(
        entry(&result, "retention.ms").value.as_deref(),
        Some("2000")
    );
    assert_eq!(
        entry(&result, "segment.bytes").config_source,
        DEFAULT_CONFIG
    );
    assert_eq!(
        entry(&result, "cleanup.policy").value.as_deref(),
        Some("delete")
    );

    let checked = incremental_alter(
        &mut client,
        1,
        TOPIC,
        "t",
        &[("retention.ms", SET, Some("9"))],
        true,
    );
    assert_eq!(checked.0, 0, "{:?}", checked.1);
    assert_eq!(
        topic_value(&mut client, "t", "retention.ms"),
        "2000",
        "validate only"
    );

    let bad_cases: [(Ops, i16, &str); 6] = [
        (
            &[("retention.ms", APPEND, Some("5"))],
            INVALID_CONFIG,
            "not a list",
        ),
        (
            &[("retention.ms", SUBTRACT, Some("5"))],
            INVALID_CONFIG,
            "not a list",
        ),
        // RustLog's cleanup policy is one of delete or compact, not both.
        (
            &[("cleanup.policy", APPEND, Some("compact"))],
            INVALID_CONFIG,
            "cleanup.policy",
        ),
        (
            &[("retention.ms", SET, Some("-7"))],
            INVALID_CONFIG,
            "retention.ms",
        ),
        (
            &[("no.such.key", DELETE, None)],
            INVALID_CONFIG,
            "no.such.key",
        ),
        (
            &[
                ("retention.ms", SET, Some("1")),
                ("retention.ms", DELETE, None),
            ],
            ResponseError::InvalidRequest.code(),
            "twice",
        ),
    ];
    for (ops, code, says) in bad_cases {
        let got = incremental_alter(&mut client, 1, TOPIC, "t", ops, false);
        assert_error(got, code, says);
    }
    let missing = incremental_alter(&mut client, 1, TOPIC, "nope", &ops, false);
    assert_error(
        missing,
        ResponseError::UnknownTopicOrPartition.code(),
        "nope",
    );
    assert_eq!(
        topic_value(&mut client, "t", "retention.ms"),
        "2000",
        "bad ones changed nothing"
    );
}

/// A one-record batch with a producer timestamp of `timestamp_ms`.
fn batch_at(timestamp_ms: i64) -> Bytes {
    let mut builder = RecordBatchBuilder::new();
    builder.push(timestamp_ms, None, Some(b"v"), &[]).unwrap();
    Bytes::from(builder.finish(0).unwrap())
}

fn produce_at(client: &mut KafkaRaw, topic: &str, timestamp_ms: i64) {
    let request = ProduceRequest::default()
        .with_acks(1)
        .with_timeout_ms(5_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(name(topic))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(batch_at(timestamp_ms)))])]);
    let response: ProduceResponse = client.call(ApiKey::Produce, 9, &request);
    assert_eq!(response.responses[0].partition_responses[0].error_code, 0);
}

/// (offset, timestamp) of the record with the largest timestamp (ListOffsets -3, v7).
fn max_timestamp(client: &mut KafkaRaw, topic: &str) -> (i64, i64) {
    let request = ListOffsetsRequest::default()
        .with_replica_id((-1).into())
        .with_topics(vec![ListOffsetsTopic::default()
            .with_name(name(topic))
            .with_partitions(vec![ListOffsetsPartition::default()
                .with_partition_index(0)
                .with_timestamp(-3)])]);
    let response: ListOffsetsResponse = client.call(ApiKey::ListOffsets, 7, &request);
    let p = &response.topics[0].partitions[0];
    assert_eq!(p.error_code, 0);
    (p.offset, p.timestamp)
}

#[test]
fn an_altered_config_takes_effect_on_the_next_append_and_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("stamped", 1, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    produce_at(&mut client, "stamped", 1_000);
    assert_eq!(max_timestamp(&mut client, "stamped"), (0, 1_000));
    let ops = [
        ("message.timestamp.type", SET, Some("LogAppendTime")),
        ("retention.ms", SET, Some("86400000")),
    ];
    let done = incremental_alter(&mut client, 1, TOPIC, "stamped", &ops, false);
    assert_eq!(done.0, 0, "{:?}", done.1);
    let before = rustlog_tests::now_ms();
    produce_at(&mut client, "stamped", 2_000);
    let (offset, timestamp) = max_timestamp(&mut client, "stamped");
    assert_eq!(offset, 1);
    assert!(
        timestamp >= before,
        "the broker's clock, not the producer's 2000: {timestamp}"
    );

    broker.kill9();
    broker.restart();
    let mut client = KafkaRaw::connect(&broker.kafka_addr().unwrap().to_string());
    let result = describe_configs(&mut client, 4, TOPIC, "stamped", None, false);
    assert_eq!(
        entry(&result, "message.timestamp.type").value.as_deref(),
        Some("LogAppendTime")
    );
    assert_eq!(
        entry(&result, "retention.ms").value.as_deref(),
        Some("86400000")
    );
    assert_eq!(entry(&result, "retention.ms").config_source, TOPIC_CONFIG);
}

/// The partition's log start offset (ListOffsets -2).
fn log_start(client: &mut KafkaRaw, topic: &str) -> i64 {
    let request = ListOffsetsRequest::default()
        .with_replica_id((-1).into())
        .with_topics(vec![ListOffsetsTopic::default()
            .with_name(name(topic))
            .with_partitions(vec![ListOffsetsPartition::default()
                .with_partition_index(0)
                .with_timestamp(-2)])]);
    let response: ListOffsetsResponse = client.call(ApiKey::ListOffsets, 7, &request);
    response.topics[0].partitions[0].offset
}

#[test]
fn a_shorter_retention_set_through_kafka_deletes_old_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker
        .client()
        .create_topic("short", 1, &[("segment.bytes", "256")]);
    let mut client = KafkaRaw::connect(&kafka);
    for _ in 0..6 {
        produce_at(&mut client, "short", rustlog_tests::now_ms());
    }
    assert_eq!(log_start(&mut client, "short"), 0);
    let ops = [("retention.ms", SET, Some("1"))];
    let done = incremental_alter(&mut client, 1, TOPIC, "short", &ops, false);
    assert_eq!(done.0, 0, "{:?}", done.1);
    // The maintenance pass (every 100 ms by default) applies the new retention.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while log_start(&mut client, "short") == 0 {
        assert!(std::time::Instant::now() < deadline, "retention never ran");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
