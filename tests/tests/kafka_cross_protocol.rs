//! One topic, two protocols: records kcat produced through the Kafka listener are read by the
//! Rust SDK over the native protocol with the same offsets, keys, headers and values, and
//! records the Rust SDK produced are read by kcat the same way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;
mod kafka_support;

use client_support::{client, read_partition};
use kafka_support::{kafka_broker, kcat_fields, kcat_ok, kcat_read};
use rustlog::{ProducerConfig, Record};

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
    let kafka_for_kcat = kafka.clone();
    tokio::task::spawn_blocking(move || kcat_ok(&kafka_for_kcat, &produce, stdin))
        .await
        .unwrap();

    let messages = read_partition(&client, "k2r", 0).await;
    assert_eq!(messages.len(), 2);
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
            .header("n", i.to_string());
        offsets.push(producer.send(record).await.unwrap().await.unwrap().offset);
    }
    assert_eq!(offsets, vec![0, 1, 2]);

    let out = tokio::task::spawn_blocking(move || {
        kcat_read(&kafka, "r2k", "beginning", "%o|%k|%s|%h\\n")
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
            ]
        );
    }
}
