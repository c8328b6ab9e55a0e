//! Compression end to end with a real broker: for every codec (and a few levels) the Rust
//! client produces records with keys, null and empty values, null header values and repeated
//! header keys; the broker stores the batches compressed, as sent; reading them back gives
//! equal records. A level the codec does not take fails before anything is sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use client_support::{client, read_partition};
use rustlog::{Client, Compression, ErrorCode, OffsetSpec, ProducerConfig, Record};
use rustlog_protocol::batch::RecordBatchView;
use rustlog_tests::BrokerProcess;
use std::time::Duration;

const RECORDS: usize = 300;

/// Records that exercise every nullable field, with JSON-ish values that compress.
fn records(topic: &str) -> Vec<Record> {
    (0..RECORDS)
        .map(|i| {
            let mut r = Record::new(topic)
                .partition(0)
                .key(format!("user-{}", i % 17))
                .header("trace", format!("t-{i:08}"))
                .header_null("tenant")
                .header("trace", "");
            r = match i % 10 {
                0 => r,
                1 => r.value(""),
                _ => r.value(format!(
                    r#"{{"event":"page_view","n":{i},"page":"/products/{}","country":"DE"}}"#,
                    i * 7 % 1000
                )),
            };
            r
        })
        .collect()
}

/// Produces `records(topic)` with this codec and level and reads the partition back.
async fn round_trip(client: &Client, topic: &str, codec: Compression, level: Option<i32>) {
    client
        .admin()
        .create_topic(topic, 1, Default::default())
        .await
        .unwrap();
    let producer = client
        .producer(
            ProducerConfig::default()
                .linger_ms(20)
                .compression(codec)
                .compression_level(level),
        )
        .unwrap();
    let sent = records(topic);
    let mut handles = Vec::new();
    for record in sent.clone() {
        handles.push(producer.send(record).await.unwrap());
    }
    producer.close(Duration::from_secs(10)).await.unwrap();
    for (i, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.await.unwrap().offset, i as u64, "{codec}");
    }
    let stats = producer.stats();
    if codec != Compression::None {
        assert!(stats.compression_ratio() > 1.2, "{codec}: {stats:?}");
    }
    let got = read_partition(client, topic, 0).await;
    assert_eq!(got.len(), sent.len(), "{codec}");
    for (m, r) in got.iter().zip(&sent) {
        assert_eq!(m.key, r.key, "{codec} offset {}", m.offset);
        assert_eq!(m.value, r.value, "{codec} offset {}", m.offset);
        assert_eq!(m.headers, r.headers, "{codec} offset {}", m.offset);
    }
    assert_eq!(got[1].header("tenant"), Some(None), "a null header value");
    assert_eq!(got[1].header_values("trace").count(), 2);
}

/// The codec of every whole batch the broker serves from the start of partition 0 of `topic`
/// in one fetch (a trailing partial batch, if the fetch cut one, is left out).
fn stored_codecs(broker: &BrokerProcess, topic: &str) -> Vec<Compression> {
    let fetched = broker.client().fetch(topic, 0, 0);
    rustlog_protocol::batch::batches(&fetched.records)
        .map_while(Result::ok)
        .map(|b| b.header().compression().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_codec_round_trips_and_is_stored_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = client(&broker.addr().to_string()).await;
    for codec in Compression::ALL {
        let topic = format!("codec-{codec}");
        round_trip(&client, &topic, *codec, None).await;
        let codecs = stored_codecs(&broker, &topic);
        assert!(!codecs.is_empty());
        assert!(codecs.iter().all(|c| c == codec), "{codec}: {codecs:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn levels_round_trip_and_a_bad_level_fails_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = client(&broker.addr().to_string()).await;
    for (codec, level) in [
        (Compression::Gzip, 1),
        (Compression::Gzip, 9),
        (Compression::Zstd, -5),
        (Compression::Zstd, 19),
    ] {
        let topic = format!("level-{codec}-{}", level + 10);
        round_trip(&client, &topic, codec, Some(level)).await;
    }
    client
        .admin()
        .create_topic("bad-level", 1, Default::default())
        .await
        .unwrap();
    for (codec, level) in [
        (Compression::Gzip, 10),
        (Compression::Snappy, 1),
        (Compression::Zstd, 23),
    ] {
        let err = client
            .producer(
                ProducerConfig::default()
                    .compression(codec)
                    .compression_level(Some(level)),
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorCode::InvalidArgument, "{codec} {level}");
        assert!(err.to_string().contains(codec.name()), "{err}");
    }
    let end = client
        .list_offset("bad-level", 0, OffsetSpec::Latest)
        .await
        .unwrap();
    assert_eq!(end, Some(0), "nothing was sent");
}

/// The consumer sees the batch bytes the broker stored: a view parses and passes its CRC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_batches_fetched_raw_pass_their_crc() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = client(&broker.addr().to_string()).await;
    round_trip(&client, "raw", Compression::Lz4, None).await;
    let fetched = broker.client().fetch("raw", 0, 0);
    let view = RecordBatchView::parse(&fetched.records).unwrap();
    view.validate().unwrap();
    assert_eq!(view.header().compression().unwrap(), Compression::Lz4);
}

/// KafkaJS's per-send `acks` and `compression`: a variant of the producer sends with them,
/// made once per set and closed with its producer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_send_overrides_use_a_variant_that_closes_with_its_producer() {
    let dir = tempfile::tempdir().unwrap();
    let broker = rustlog_tests::BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = client_support::client(&broker.addr().to_string()).await;
    client
        .admin()
        .create_topic("ov", 1, Default::default())
        .await
        .unwrap();
    let producer = client
        .producer(rustlog::ProducerConfig::default().linger_ms(0))
        .unwrap();
    let overrides = rustlog::SendOverrides {
        acks: Some(rustlog::Acks::None),
        compression: Some(rustlog::Compression::Gzip),
        delivery_timeout_ms: None,
    };
    let variant = producer.with_overrides(overrides).unwrap();
    assert_eq!(variant.config().acks, rustlog::Acks::None);
    assert!(
        !variant.config().idempotence,
        "acks none sends without a producer id"
    );
    let value = "compress me ".repeat(200);
    variant
        .send(rustlog::Record::new("ov").value(value.clone()))
        .await
        .unwrap()
        .await
        .unwrap();
    // The same set gives the same variant; no overrides give the producer itself.
    let again = producer.with_overrides(overrides).unwrap();
    let same = producer
        .with_overrides(rustlog::SendOverrides::default())
        .unwrap();
    producer
        .send(rustlog::Record::new("ov").value("plain"))
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(again.stats().records, 1);
    assert_eq!(same.stats().records, 1);
    assert!(
        again.stats().sent_bytes < again.stats().uncompressed_bytes,
        "gzip was used"
    );

    let read = client_support::read_partition(&client, "ov", 0).await;
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].value.as_deref(), Some(value.as_bytes()));
    producer
        .close(std::time::Duration::from_secs(5))
        .await
        .unwrap();
    let err = variant
        .send(rustlog::Record::new("ov").value("late"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), rustlog::ErrorCode::Closed);
    let err = producer.with_overrides(overrides).unwrap_err();
    assert_eq!(err.kind(), rustlog::ErrorCode::Closed);
}
