//! Topic auto-creation: off by default (RustLog's rule); with `--auto-create-topics` (or TOML
//! `auto_create_topics`) a Kafka Metadata request naming a missing topic creates it with the
//! broker defaults when the request allows it. Produce never creates a topic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use kafka_protocol::ResponseError;
use kafka_support::admin::{metadata, partition_count, topic_value};
use kafka_support::{kafka_broker, produce_one_code, KafkaRaw};

const UNKNOWN: i16 = ResponseError::UnknownTopicOrPartition.code();

#[test]
fn off_by_default_whatever_the_request_allows() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let response = metadata(&mut client, 12, &["wanted"], true);
    assert_eq!(response.topics[0].error_code, UNKNOWN);
    // Before v4 every request allows it.
    let response = metadata(&mut client, 3, &["wanted"], true);
    assert_eq!(response.topics[0].error_code, UNKNOWN);
    assert_eq!(partition_count(&mut client, "wanted"), Err(UNKNOWN));
}

#[test]
fn on_metadata_creates_missing_topics_with_the_broker_defaults_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(
        &dir,
        &[
            "--auto-create-topics",
            "--default-partitions",
            "3",
            "--topic-config",
            "retention.ms=60000",
        ],
    );
    let mut client = KafkaRaw::connect(&kafka);
    let refused = metadata(&mut client, 12, &["not-allowed"], false);
    assert_eq!(refused.topics[0].error_code, UNKNOWN, "the flag is false");

    let created = metadata(&mut client, 12, &["events"], true);
    assert_eq!(created.topics[0].error_code, 0);
    assert_eq!(created.topics[0].partitions.len(), 3);
    assert_eq!(topic_value(&mut client, "events", "retention.ms"), "60000");
    assert_eq!(produce_one_code(&mut client, "events"), 0);

    let old_client = metadata(&mut client, 2, &["legacy"], true);
    assert_eq!(old_client.topics[0].error_code, 0, "v0-3 always allow");

    let bad = metadata(&mut client, 12, &["bad/name"], true);
    assert_eq!(
        bad.topics[0].error_code,
        ResponseError::InvalidTopicException.code()
    );
    assert_eq!(
        produce_one_code(&mut client, "never-named"),
        UNKNOWN,
        "produce never creates"
    );
    assert_eq!(partition_count(&mut client, "never-named"), Err(UNKNOWN));
}

#[test]
fn the_toml_key_turns_it_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("broker.toml");
    std::fs::write(&config, "auto_create_topics = true\n").unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &["--config", config.to_str().unwrap()]);
    let mut client = KafkaRaw::connect(&kafka);
    let created = metadata(&mut client, 12, &["from-toml"], true);
    assert_eq!(created.topics[0].error_code, 0);
    assert_eq!(created.topics[0].partitions.len(), 1);
}
