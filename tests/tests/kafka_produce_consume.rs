//! kcat produces through the Kafka listener with acks 1 and all and every codec it offers, and
//! consumes back from the beginning, the end, an offset and a timestamp.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use kafka_support::{kafka_broker, kcat, kcat_ok, kcat_read};
use std::time::Duration;

const CODECS: &[&str] = &["none", "gzip", "snappy", "lz4", "zstd"];

/// Produces `lines` (`key:value`) to partition 0 of `topic` with kcat.
fn produce(kafka: &str, topic: &str, acks: &str, codec: &str, lines: &[String]) {
    let mut stdin = lines.join("\n");
    stdin.push('\n');
    let acks = format!("acks={acks}");
    kcat_ok(
        kafka,
        &[
            "-P", "-t", topic, "-p", "0", "-K", ":", "-z", codec, "-X", &acks,
        ],
        &stdin,
    );
}

/// `offset|key|value` of every record of partition 0 from `start` to the current end.
fn consume(kafka: &str, topic: &str, start: &str) -> Vec<String> {
    kcat_read(kafka, topic, start, "%o|%k|%s\\n")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn every_codec_with_acks_1_and_all_reads_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("codecs", 1, &[]);
    let mut expected = Vec::new();
    for acks in ["1", "all"] {
        for codec in CODECS {
            let lines: Vec<String> = (0..3)
                .map(|i| format!("k{i}:{codec}-acks{acks}-{i}"))
                .collect();
            produce(&kafka, "codecs", acks, codec, &lines);
            for line in lines {
                let (key, value) = line.split_once(':').unwrap();
                expected.push(format!("{}|{key}|{value}", expected.len()));
            }
        }
    }
    assert_eq!(consume(&kafka, "codecs", "beginning"), expected);
}

#[test]
fn consume_from_an_offset_and_from_a_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("positions", 1, &[]);
    produce(
        &kafka,
        "positions",
        "1",
        "none",
        &["a:0".into(), "b:1".into()],
    );
    // A clear gap in timestamps between the two produce calls.
    std::thread::sleep(Duration::from_millis(50));
    let between_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    std::thread::sleep(Duration::from_millis(50));
    produce(
        &kafka,
        "positions",
        "1",
        "lz4",
        &["c:2".into(), "d:3".into()],
    );

    assert_eq!(consume(&kafka, "positions", "3"), vec!["3|d|3"]);
    assert_eq!(
        consume(&kafka, "positions", &format!("s@{between_ms}")),
        vec!["2|c|2", "3|d|3"]
    );
    assert!(consume(&kafka, "positions", "end").is_empty());
}

#[test]
fn a_consumer_at_the_end_gets_what_is_produced_next() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("tail", 1, &[]);
    produce(&kafka, "tail", "1", "none", &["old:before".into()]);
    // kcat at the end, exiting after one message: it long-polls until the produce below.
    let consumer = {
        let kafka = kafka.clone();
        std::thread::spawn(move || {
            kcat(
                &kafka,
                &[
                    "-C", "-t", "tail", "-p", "0", "-o", "end", "-c", "1", "-q", "-f", "%o|%s\\n",
                ],
                "",
            )
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    produce(&kafka, "tail", "all", "zstd", &["new:after".into()]);
    let output = consumer.join().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "1|after\n");
}
