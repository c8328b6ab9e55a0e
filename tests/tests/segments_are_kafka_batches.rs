//! What the broker writes to disk is Kafka: after the Rust client produced to one topic per
//! codec (idempotent, with small segments so several roll, one topic under LogAppendTime),
//! every `.log` file of the data directory is walked with an independent reader,
//! kafka-protocol's `RecordBatchDecoder`, which checks each batch's CRC-32C. The walk must
//! cover every acknowledged record exactly once, in offset order, with its producer id and
//! sequence, and a flipped byte must make that reader fail (so the check can fail).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use bytes::Bytes;
use client_support::client;
use kafka_protocol::records::{Compression as TheirCompression, RecordBatchDecoder, TimestampType};
use rustlog::{Compression, ProducerConfig, Record};
use rustlog_tests::BrokerProcess;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

const RECORDS: usize = 2_000;

fn codecs() -> [(Compression, TheirCompression); 5] {
    [
        (Compression::None, TheirCompression::None),
        (Compression::Gzip, TheirCompression::Gzip),
        (Compression::Snappy, TheirCompression::Snappy),
        (Compression::Lz4, TheirCompression::Lz4),
        (Compression::Zstd, TheirCompression::Zstd),
    ]
}

/// Produces `RECORDS` JSON-ish records in many small batches; returns the acknowledged offsets.
async fn produce(client: &rustlog::Client, topic: &str, codec: Compression) -> Vec<u64> {
    let producer = client
        .producer(
            ProducerConfig::default()
                .linger_ms(1)
                .batch_bytes(4096)
                .compression(codec),
        )
        .unwrap();
    let mut handles = Vec::with_capacity(RECORDS);
    for i in 0..RECORDS {
        let value = format!(r#"{{"n":{i},"event":"click","page":"/p/{}"}}"#, i % 37);
        let record = Record::new(topic)
            .partition(0)
            .key(format!("k{}", i % 11))
            .value(value)
            .header("i", i.to_string())
            .header_null("none");
        handles.push(producer.send(record).await.unwrap());
    }
    producer.close(Duration::from_secs(20)).await.unwrap();
    let mut offsets = Vec::with_capacity(RECORDS);
    for handle in handles {
        offsets.push(handle.await.unwrap().offset);
    }
    offsets
}

/// The `.log` files of partition 0 of `topic`, in base-offset order.
fn segment_files(data_dir: &Path, topic: &str) -> Vec<PathBuf> {
    let dir = data_dir.join("topics").join(topic).join("0");
    let mut logs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    logs.sort();
    logs
}

/// Every record of every segment, decoded by kafka-protocol.
fn walk(files: &[PathBuf]) -> Result<Vec<kafka_protocol::records::Record>, String> {
    let mut out = Vec::new();
    for file in files {
        let mut bytes = Bytes::from(std::fs::read(file).unwrap());
        for set in RecordBatchDecoder::decode_all(&mut bytes)
            .map_err(|e| format!("{}: {e}", file.display()))?
        {
            out.extend(set.records);
        }
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_segment_is_a_run_of_kafka_batches_an_independent_reader_walks() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut broker = BrokerProcess::start(&data, &[]);
    let client = client(&broker.addr().to_string()).await;
    let small_segments = BTreeMap::from([("segment.bytes".to_string(), "8192".to_string())]);
    let mut acked = BTreeMap::new();
    for (codec, _) in codecs() {
        let topic = format!("walk-{codec}");
        client
            .admin()
            .create_topic(&topic, 1, small_segments.clone())
            .await
            .unwrap();
        acked.insert(topic.clone(), produce(&client, &topic, codec).await);
    }
    let mut append_time = small_segments.clone();
    append_time.insert(
        "message.timestamp.type".to_string(),
        "LogAppendTime".to_string(),
    );
    client
        .admin()
        .create_topic("walk-append-time", 1, append_time)
        .await
        .unwrap();
    acked.insert(
        "walk-append-time".to_string(),
        produce(&client, "walk-append-time", Compression::Lz4).await,
    );
    drop(client);
    assert!(broker.terminate().success());

    for (codec, theirs) in codecs() {
        let topic = format!("walk-{codec}");
        let files = segment_files(&data, &topic);
        assert!(
            files.len() > 1,
            "{topic}: segments rolled ({} files)",
            files.len()
        );
        let records = walk(&files).unwrap();
        check_records(&topic, &records, &acked[&topic]);
        let mut bytes = Bytes::from(std::fs::read(&files[0]).unwrap());
        let first = RecordBatchDecoder::decode(&mut bytes).unwrap();
        assert_eq!(
            first.compression, theirs,
            "{topic}: stored with the producer's codec"
        );
        assert_eq!(first.records[0].timestamp_type, TimestampType::Creation);
    }
    let records = walk(&segment_files(&data, "walk-append-time")).unwrap();
    check_records("walk-append-time", &records, &acked["walk-append-time"]);
    assert!(records
        .iter()
        .all(|r| r.timestamp_type == TimestampType::LogAppend));
}

/// Offsets as acknowledged, one producer id, sequences 0.. in order, values and headers intact.
fn check_records(topic: &str, records: &[kafka_protocol::records::Record], acked: &[u64]) {
    let offsets: Vec<u64> = records.iter().map(|r| r.offset as u64).collect();
    assert_eq!(
        offsets, acked,
        "{topic}: every acknowledged record once, in order"
    );
    let producer_id = records[0].producer_id;
    assert!(
        producer_id >= 0,
        "{topic}: written by an idempotent producer"
    );
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.producer_id, producer_id, "{topic}: one producer id");
        assert_eq!(r.sequence, i as i32, "{topic}: sequences count records");
        let value = String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap();
        assert!(
            value.starts_with(&format!(r#"{{"n":{i},"#)),
            "{topic}: {value}"
        );
        let header = |k: &str| r.headers.iter().find(|(name, _)| name.as_str() == k);
        assert_eq!(
            header("i").unwrap().1.as_deref(),
            Some(i.to_string().as_bytes())
        );
        assert_eq!(
            header("none").unwrap().1,
            &None,
            "{topic}: a null header value"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_independent_reader_refuses_a_flipped_byte() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut broker = BrokerProcess::start(&data, &[]);
    let client = client(&broker.addr().to_string()).await;
    client
        .admin()
        .create_topic("flip", 1, BTreeMap::new())
        .await
        .unwrap();
    produce(&client, "flip", Compression::Zstd).await;
    drop(client);
    assert!(broker.terminate().success());
    let files = segment_files(&data, "flip");
    walk(&files).unwrap();
    let mut bytes = std::fs::read(&files[0]).unwrap();
    // A byte of the first batch's compressed records, inside its CRC span.
    bytes[70] ^= 0x40;
    let copy = dir.path().join("flipped.log");
    std::fs::write(&copy, &bytes).unwrap();
    let err = walk(&[copy]).unwrap_err();
    assert!(err.contains("flipped.log"), "{err}");
}
