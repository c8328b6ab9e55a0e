//! Cross-checks against an independent RecordBatch v2 implementation, the `kafka-protocol`
//! crate (tychedelia/kafka-protocol-rs): for every codec (none, gzip, snappy, lz4, zstd),
//!
//! - batches its `RecordBatchEncoder` writes decode with ours: CRC valid, `validate_for_append`
//!   passes (they are dense), and every offset, timestamp, key, value, header and the producer
//!   id, epoch and sequence are equal;
//! - batches our `RecordBatchBuilder` writes decode with its `RecordBatchDecoder` equally.
//!
//! One limit of kafka-protocol shapes the header checks: its `Record` holds headers in an
//! `IndexMap`, so it cannot write a key twice, and reads a repeated key as one entry (first
//! position, last value). Null header values it keeps. Our reader returns every header in order;
//! for our batches with repeated keys we check kafka-protocol sees exactly that map of them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::{Bytes, BytesMut};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression as KCompression, Record, RecordBatchDecoder, RecordBatchEncoder,
    RecordEncodeOptions, TimestampType as KTimestampType,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use rustlog_protocol::batch::{
    set_base_offset, set_partition_leader_epoch, stamp_log_append_time, HeaderRef, TimestampType,
};
use rustlog_protocol::{Compression, ProducerStamp, RecordBatchBuilder, RecordBatchView};

/// What one record holds, independent of either implementation.
#[derive(Debug, Clone, PartialEq)]
struct Rec {
    timestamp: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(String, Option<Vec<u8>>)>,
}

/// A batch to write: records plus the batch-level fields both sides can express.
#[derive(Debug, Clone)]
struct Batch {
    records: Vec<Rec>,
    codec: Compression,
    producer: ProducerStamp,
    base_offset: i64,
    leader_epoch: i32,
}

fn kafka_codec(codec: Compression) -> KCompression {
    match codec {
        Compression::None => KCompression::None,
        Compression::Gzip => KCompression::Gzip,
        Compression::Snappy => KCompression::Snappy,
        Compression::Lz4 => KCompression::Lz4,
        Compression::Zstd => KCompression::Zstd,
    }
}

/// Kafka's rule for the sequence of the record `delta` after the first.
fn sequence(base: i32, delta: usize) -> i32 {
    if base < 0 {
        // kafka-protocol gives records of a batch without a producer base + delta too.
        return base.wrapping_add(delta as i32);
    }
    ((i64::from(base) + delta as i64) % (i64::from(i32::MAX) + 1)) as i32
}

/// How kafka-protocol's map holds `headers`: one entry per key, at its first position, with
/// its last value.
fn as_map(headers: &[(String, Option<Vec<u8>>)]) -> Vec<(String, Option<Vec<u8>>)> {
    let mut map: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    for (k, v) in headers {
        match map.iter_mut().find(|(key, _)| key == k) {
            Some(entry) => entry.1 = v.clone(),
            None => map.push((k.clone(), v.clone())),
        }
    }
    map
}

// ---- writing ----

fn write_with_kafka_protocol(batch: &Batch) -> Bytes {
    let records: Vec<Record> = batch
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: batch.leader_epoch,
            producer_id: batch.producer.producer_id,
            producer_epoch: batch.producer.producer_epoch,
            timestamp_type: KTimestampType::Creation,
            offset: batch.base_offset + i as i64,
            sequence: sequence(batch.producer.base_sequence, i),
            timestamp: r.timestamp,
            key: r.key.clone().map(Bytes::from),
            value: r.value.clone().map(Bytes::from),
            headers: as_map(&r.headers)
                .into_iter()
                .map(|(k, v)| (StrBytes::from_string(k), v.map(Bytes::from)))
                .collect(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        records.iter(),
        &RecordEncodeOptions {
            version: 2,
            compression: kafka_codec(batch.codec),
        },
    )
    .unwrap();
    buf.freeze()
}

fn write_with_ours(batch: &Batch) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new()
        .compression(batch.codec, None)
        .unwrap()
        .producer(batch.producer);
    for r in &batch.records {
        let headers: Vec<HeaderRef<'_>> = r
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        b.push(r.timestamp, r.key.as_deref(), r.value.as_deref(), &headers)
            .unwrap();
    }
    let mut bytes = b.finish(0).unwrap();
    set_base_offset(&mut bytes, batch.base_offset as u64);
    set_partition_leader_epoch(&mut bytes, batch.leader_epoch);
    bytes
}

// ---- reading and comparing ----

/// Decodes `bytes` with ours and requires it to be exactly `batch`.
fn read_with_ours_and_compare(bytes: &[u8], batch: &Batch) -> Result<(), TestCaseError> {
    let view = RecordBatchView::parse(bytes).unwrap();
    prop_assert_eq!(view.as_bytes().len(), bytes.len());
    view.verify_crc().unwrap();
    view.validate_for_append().unwrap();
    let h = view.header();
    prop_assert_eq!(h.magic, 2);
    prop_assert_eq!(h.base_offset, batch.base_offset as u64);
    prop_assert_eq!(h.partition_leader_epoch, batch.leader_epoch);
    prop_assert_eq!(h.compression().unwrap(), batch.codec);
    prop_assert_eq!(h.timestamp_type(), TimestampType::CreateTime);
    prop_assert!(!h.is_transactional() && !h.is_control());
    prop_assert_eq!(h.producer(), batch.producer);
    prop_assert_eq!(h.record_count as usize, batch.records.len());
    prop_assert_eq!(h.last_offset_delta as usize, batch.records.len() - 1);
    let max = batch.records.iter().map(|r| r.timestamp).max().unwrap();
    prop_assert_eq!(h.max_timestamp, max);
    if h.has_producer_id() {
        prop_assert_eq!(
            h.last_sequence(),
            sequence(batch.producer.base_sequence, batch.records.len() - 1)
        );
    }
    let records = view.records().unwrap();
    let mut seen = 0;
    for (i, (got, want)) in records.iter().zip(&batch.records).enumerate() {
        let got = got.unwrap();
        prop_assert_eq!(got.offset, batch.base_offset as u64 + i as u64);
        prop_assert_eq!(got.offset_delta as usize, i);
        prop_assert_eq!(got.timestamp_ms, want.timestamp);
        prop_assert_eq!(got.key, want.key.as_deref());
        prop_assert_eq!(got.value, want.value.as_deref());
        let headers: Vec<(String, Option<Vec<u8>>)> = got
            .headers()
            .map(|h| {
                let (k, v) = h.unwrap();
                (k.to_string(), v.map(<[u8]>::to_vec))
            })
            .collect();
        prop_assert_eq!(headers, want.headers.clone());
        seen += 1;
    }
    prop_assert_eq!(seen, batch.records.len());
    Ok(())
}

/// Decodes `bytes` with kafka-protocol and requires it to be `batch` (headers as its map).
fn read_with_kafka_protocol_and_compare(
    bytes: &[u8],
    batch: &Batch,
    timestamp_type: KTimestampType,
) -> Result<(), TestCaseError> {
    let mut buf = Bytes::copy_from_slice(bytes);
    let set = RecordBatchDecoder::decode(&mut buf).unwrap();
    prop_assert!(buf.is_empty(), "one batch");
    prop_assert_eq!(set.version, 2);
    prop_assert_eq!(set.compression, kafka_codec(batch.codec));
    prop_assert_eq!(set.records.len(), batch.records.len());
    for (i, (got, want)) in set.records.iter().zip(&batch.records).enumerate() {
        prop_assert_eq!(got.offset, batch.base_offset + i as i64);
        prop_assert_eq!(got.sequence, sequence(batch.producer.base_sequence, i));
        prop_assert_eq!(got.producer_id, batch.producer.producer_id);
        prop_assert_eq!(got.producer_epoch, batch.producer.producer_epoch);
        prop_assert_eq!(got.partition_leader_epoch, batch.leader_epoch);
        prop_assert_eq!(got.timestamp_type, timestamp_type);
        prop_assert!(!got.transactional && !got.control);
        // kafka-protocol reports the stored create time even under LogAppendTime.
        prop_assert_eq!(got.timestamp, want.timestamp);
        prop_assert_eq!(got.key.as_deref(), want.key.as_deref());
        prop_assert_eq!(got.value.as_deref(), want.value.as_deref());
        let headers: Vec<(String, Option<Vec<u8>>)> = got
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.as_ref().map(|b| b.to_vec())))
            .collect();
        prop_assert_eq!(headers, as_map(&want.headers));
    }
    Ok(())
}

// ---- fixed scenarios, every codec ----

const IDEMPOTENT: ProducerStamp = ProducerStamp {
    producer_id: 4_242,
    producer_epoch: 7,
    base_sequence: 1_000,
};

fn sample(codec: Compression, producer: ProducerStamp, unique_header_keys: bool) -> Batch {
    let t0 = common::T0_MS;
    let mut headers = vec![
        ("trace".to_string(), Some(b"abc".to_vec())),
        ("tombstone-reason".to_string(), None),
        ("".to_string(), Some(Vec::new())),
    ];
    if !unique_header_keys {
        headers.push(("trace".to_string(), Some(b"def".to_vec())));
        headers.push(("trace".to_string(), None));
    }
    let value = b"{\"event\":\"page_view\",\"path\":\"/products/42\"}".to_vec();
    Batch {
        records: vec![
            Rec {
                timestamp: t0,
                key: Some(b"user-1".to_vec()),
                value: Some(value.clone()),
                headers,
            },
            Rec {
                timestamp: t0 + 10,
                key: None,
                value: Some(value.clone()),
                headers: vec![],
            },
            Rec {
                timestamp: t0 + 3,
                key: Some(Vec::new()),
                value: None,
                headers: vec![("h".to_string(), None)],
            },
            Rec {
                timestamp: t0 + 250,
                key: Some(b"user-2".to_vec()),
                value: Some(value),
                headers: vec![("k1".to_string(), Some(b"v1".to_vec()))],
            },
        ],
        codec,
        producer,
        base_offset: 1_234,
        leader_epoch: 0,
    }
}

/// kafka-protocol writes the base timestamp as the smallest one; ours writes the first
/// record's. Both are valid v2; for the kafka→ours direction the first record is the earliest.
fn earliest_first(mut batch: Batch) -> Batch {
    batch.records[2].timestamp = batch.records[0].timestamp + 1;
    batch
}

#[test]
fn kafka_protocol_batches_decode_with_ours_for_every_codec() {
    for codec in Compression::ALL {
        for producer in [ProducerStamp::NONE, IDEMPOTENT] {
            let batch = earliest_first(sample(*codec, producer, true));
            let bytes = write_with_kafka_protocol(&batch);
            read_with_ours_and_compare(&bytes, &batch).unwrap();
        }
    }
}

#[test]
fn our_batches_decode_with_kafka_protocol_for_every_codec() {
    for codec in Compression::ALL {
        for producer in [ProducerStamp::NONE, IDEMPOTENT] {
            for unique in [true, false] {
                let batch = sample(*codec, producer, unique);
                let bytes = write_with_ours(&batch);
                read_with_kafka_protocol_and_compare(&bytes, &batch, KTimestampType::Creation)
                    .unwrap();
            }
        }
    }
}

#[test]
fn both_write_the_same_bytes_for_the_same_uncompressed_batch() {
    // With codec none, the first record the earliest, and unique header keys there is one
    // encoding: the two implementations must agree on every byte.
    for producer in [ProducerStamp::NONE, IDEMPOTENT] {
        let batch = earliest_first(sample(Compression::None, producer, true));
        assert_eq!(
            write_with_kafka_protocol(&batch).as_ref(),
            write_with_ours(&batch).as_slice()
        );
    }
}

#[test]
fn kafka_protocol_reads_our_log_append_time_bit() {
    for codec in Compression::ALL {
        let batch = sample(*codec, ProducerStamp::NONE, true);
        let mut bytes = write_with_ours(&batch);
        stamp_log_append_time(&mut bytes, common::APPEND_TIME_MS).unwrap();
        read_with_kafka_protocol_and_compare(&bytes, &batch, KTimestampType::LogAppend).unwrap();
    }
}

#[test]
fn every_golden_batch_vector_decodes_with_kafka_protocol() {
    for (name, _, bytes) in common::sample_batches() {
        let view = RecordBatchView::parse(&bytes).unwrap();
        let ours = view.records().unwrap();
        let mut buf = Bytes::copy_from_slice(&bytes);
        let theirs = RecordBatchDecoder::decode(&mut buf).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(theirs.records.len(), ours.iter().count(), "{name}");
        for (a, b) in ours.iter().zip(&theirs.records) {
            let a = a.unwrap();
            assert_eq!(a.offset as i64, b.offset, "{name}");
            assert_eq!(a.key, b.key.as_deref(), "{name}");
            assert_eq!(a.value, b.value.as_deref(), "{name}");
            if view.header().timestamp_type() == TimestampType::CreateTime {
                assert_eq!(a.timestamp_ms, b.timestamp, "{name}");
            }
            assert_eq!(
                view.header().producer_id,
                b.producer_id,
                "{name}: producer id"
            );
        }
    }
}

// ---- random batches ----

fn header_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["trace", "retry", "", "é"]).prop_map(String::from),
        1 => "[a-z]{0,6}",
    ]
}

fn rec() -> impl Strategy<Value = Rec> {
    (
        -1_000_000i64..1_000_000,
        option::of(vec(any::<u8>(), 0..32)),
        option::of(vec(any::<u8>(), 0..64)),
        vec((header_key(), option::of(vec(any::<u8>(), 0..8))), 0..5),
    )
        .prop_map(|(dt, key, value, headers)| Rec {
            timestamp: common::T0_MS + dt,
            key,
            value,
            headers,
        })
}

fn batch_strategy() -> impl Strategy<Value = Batch> {
    (
        vec(rec(), 1..8),
        prop::sample::select(Compression::ALL.to_vec()),
        option::of((0..=i64::MAX / 2, 0..=i16::MAX, 0..=i32::MAX)),
        0..(1i64 << 40),
        0..=i32::MAX,
    )
        .prop_map(
            |(records, codec, producer, base_offset, leader_epoch)| Batch {
                records,
                codec,
                producer: producer.map_or(ProducerStamp::NONE, |(id, epoch, seq)| ProducerStamp {
                    producer_id: id,
                    producer_epoch: epoch,
                    base_sequence: seq,
                }),
                base_offset,
                leader_epoch,
            },
        )
}

/// What kafka-protocol can write of `batch`: unique header keys, the earliest record first.
fn expressible_by_kafka_protocol(mut batch: Batch) -> Batch {
    for r in &mut batch.records {
        r.headers = as_map(&r.headers).into_iter().collect();
    }
    let min = batch.records.iter().map(|r| r.timestamp).min().unwrap();
    batch.records[0].timestamp = min;
    batch
}

proptest! {
    #![proptest_config(common::proptest_config(128))]

    #[test]
    fn random_kafka_protocol_batches_decode_with_ours(batch in batch_strategy()) {
        let batch = expressible_by_kafka_protocol(batch);
        let bytes = write_with_kafka_protocol(&batch);
        read_with_ours_and_compare(&bytes, &batch)?;
    }

    #[test]
    fn random_batches_of_ours_decode_with_kafka_protocol(batch in batch_strategy()) {
        let bytes = write_with_ours(&batch);
        read_with_kafka_protocol_and_compare(&bytes, &batch, KTimestampType::Creation)?;
        // And with ours, of course.
        read_with_ours_and_compare(&bytes, &batch)?;
    }
}
