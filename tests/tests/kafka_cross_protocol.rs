//! One topic, two protocols: records kcat produced through the Kafka listener are read by the
//! Rust SDK over the native protocol with the same offsets, keys, headers, values and
//! timestamps, records the Rust SDK produced are read by kcat the same way, and records from
//! both protocols share one offset sequence.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;
mod kafka_support;

use client_support::{client, read_partition};
use kafka_support::{kafka_broker, kcat_fields, kcat_ok, kcat_read};
use rustlog::{ProducerConfig, Record};

/// Create times the SDK sets explicitly (2023-11-14), far from "now" so a default stamp shows.
const TIMESTAMP_BASE_MS: i64 = 1_700_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kcat_records_read_by_the_rust_sdk() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    let client = client(&broker.addr().to_string()).await;
    client
        .admin()
        .create_topic("k2r", 1, Default::default())
        .await
        .unwrap();
    let stdin = "user-1:hello\nuser-2:world\n";
    let produce = [
        "-P",
        "-t",
        "k2r",
        "-p",
        "0",
        "-K",
        ":",
        "-z",
        "gzip",
        "-H",
        "trace=abc",
        "-H",
        "app=kcat",
    ];
    let before_ms = now_ms();
    let kafka_for_kcat = kafka.clone();
    tokio::task::spawn_blocking(move || kcat_ok(&kafka_for_kcat, &produce, stdin))
        .await
        .unwrap();
    let after_ms = now_ms();
    // kcat cannot set create times: librdkafka stamps the send time; kcat's own read (%T) is the
    // reference the SDK must agree with.
    let kcat_timestamps =
        tokio::task::spawn_blocking(move || kcat_read(&kafka, "k2r", "beginning", "%T\\n"))
            .await
            .unwrap();
    let kcat_timestamps: Vec<i64> = kcat_timestamps
        .lines()
        .map(|t| t.parse().unwrap())
        .collect();

    let messages = read_partition(&client, "k2r", 0).await;
    assert_eq!(messages.len(), 2);
    let timestamps: Vec<i64> = messages.iter().map(|m| m.timestamp).collect();
    assert_eq!(timestamps, kcat_timestamps);
    assert!(
        timestamps
            .iter()
            .all(|t| (before_ms..=after_ms).contains(t)),
        "{timestamps:?} within the produce window {before_ms}..={after_ms}"
    );
    for (i, (message, (key, value))) in messages
        .iter()
        .zip([("user-1", "hello"), ("user-2", "world")])
        .enumerate()
    {
        assert_eq!(message.offset, i as u64);
        assert_eq!(message.key.as_deref(), Some(key.as_bytes()));
        assert_eq!(message.value.as_deref(), Some(value.as_bytes()));
        let headers: Vec<(&str, Option<&[u8]>)> = message
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        assert_eq!(
            headers,
            vec![("trace", Some(&b"abc"[..])), ("app", Some(&b"kcat"[..]))]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_sdk_records_read_by_kcat() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    let client = client(&broker.addr().to_string()).await;
    client
        .admin()
        .create_topic("r2k", 1, Default::default())
        .await
        .unwrap();
    let producer = client.producer(ProducerConfig::default()).unwrap();
    let mut offsets = Vec::new();
    for i in 0..3 {
        let record = Record::new("r2k")
            .partition(0)
            .key(format!("key-{i}"))
            .value(format!("value-{i}"))
            .header("n", i.to_string())
            .timestamp_ms(TIMESTAMP_BASE_MS + i64::from(i));
        let delivered = producer.send(record).await.unwrap().await.unwrap();
        assert_eq!(delivered.timestamp, TIMESTAMP_BASE_MS + i64::from(i));
        offsets.push(delivered.offset);
    }
    assert_eq!(offsets, vec![0, 1, 2]);

    let out = tokio::task::spawn_blocking(move || {
        kcat_read(&kafka, "r2k", "beginning", "%o|%k|%s|%h|%T\\n")
    })
    .await
    .unwrap();
    let lines: Vec<Vec<&str>> = out.lines().map(kcat_fields).collect();
    assert_eq!(lines.len(), 3, "{out}");
    for (i, fields) in lines.iter().enumerate() {
        assert_eq!(
            fields,
            &vec![
                i.to_string().as_str(),
                format!("key-{i}").as_str(),
                format!("value-{i}").as_str(),
                format!("n={i}").as_str(),
                (TIMESTAMP_BASE_MS + i as i64).to_string().as_str(),
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_protocols_append_to_one_offset_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    let client = client(&broker.addr().to_string()).await;
    client
        .admin()
        .create_topic("mixed", 1, Default::default())
        .await
        .unwrap();
    let producer = client.producer(ProducerConfig::default()).unwrap();
    let kcat_produce = |lines: &'static str| {
        let kafka = kafka.clone();
        tokio::task::spawn_blocking(move || {
            kcat_ok(&kafka, &["-P", "-t", "mixed", "-p", "0", "-K", ":"], lines)
        })
    };

    kcat_produce("kcat:a\nkcat:b\n").await.unwrap();
    for value in ["c", "d"] {
        let record = Record::new("mixed").partition(0).key("sdk").value(value);
        producer.send(record).await.unwrap().await.unwrap();
    }
    kcat_produce("kcat:e\n").await.unwrap();

    let expected = ["0|kcat|a", "1|kcat|b", "2|sdk|c", "3|sdk|d", "4|kcat|e"];
    let through_sdk: Vec<String> = read_partition(&client, "mixed", 0)
        .await
        .iter()
        .map(|m| {
            let key = m.key_str().unwrap();
            format!("{}|{key}|{}", m.offset, m.value_str().unwrap())
        })
        .collect();
    assert_eq!(through_sdk, expected);
    let through_kcat =
        tokio::task::spawn_blocking(move || kcat_read(&kafka, "mixed", "beginning", "%o|%k|%s\\n"))
            .await
            .unwrap();
    assert_eq!(through_kcat.lines().collect::<Vec<_>>(), expected);
}

fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since_epoch.as_millis()).unwrap()
}
