//! Bad record batches against a real broker process: each kind of damage gets its own error
//! code and a message, nothing is appended (the high watermark and size do not move), and the
//! same connection then produces a good batch.
//!
//! Byte positions are Kafka's RecordBatch v2 header (protocol-spec, and the table at the top of
//! `rustlog_protocol::batch`); a test that damages bytes on purpose has to name them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::limits::BATCH_DECOMPRESSED_BYTES_MAX;
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::{Compression, ErrorCode, RecordBatchBuilder};
use rustlog_tests::{batch_of, now_ms, reseal_crc32c, BrokerProcess, RawClient};

const TOPIC: &str = "bad";
const LENGTH_AT: usize = 8;
const MAGIC_AT: usize = 16;
const ATTRIBUTES_AT: usize = 21;
const RECORD_COUNT_AT: usize = 57;
const RECORDS_AT: usize = 61;

fn good() -> Vec<u8> {
    batch_of(&[b"one", b"two"])
}

fn compressed(codec: Compression) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new().compression(codec, None).unwrap();
    b.push(now_ms(), None, Some(b"compressed value"), &[])
        .unwrap();
    b.finish(0).unwrap()
}

fn set_attributes(batch: &mut [u8], f: impl Fn(u16) -> u16) {
    let attributes = u16::from_be_bytes([batch[ATTRIBUTES_AT], batch[ATTRIBUTES_AT + 1]]);
    batch[ATTRIBUTES_AT..ATTRIBUTES_AT + 2].copy_from_slice(&f(attributes).to_be_bytes());
    reseal_crc32c(batch);
}

/// Replaces the records section, fixing batchLength and the CRC.
fn with_records(mut batch: Vec<u8>, records: &[u8]) -> Vec<u8> {
    batch.truncate(RECORDS_AT);
    batch.extend_from_slice(records);
    let batch_length = (batch.len() - 12) as u32;
    batch[LENGTH_AT..LENGTH_AT + 4].copy_from_slice(&batch_length.to_be_bytes());
    reseal_crc32c(&mut batch);
    batch
}

/// (what, bytes, expected code, a word the message must contain)
fn cases() -> Vec<(&'static str, Vec<u8>, ErrorCode, &'static str)> {
    let mut crc = good();
    let last = crc.len() - 1;
    crc[last] ^= 0x5a;

    let mut magic = good();
    magic[MAGIC_AT] = 1;
    reseal_crc32c(&mut magic);

    let mut count = good();
    count[RECORD_COUNT_AT..RECORD_COUNT_AT + 4].copy_from_slice(&3u32.to_be_bytes());
    reseal_crc32c(&mut count);

    // The first record's length (a zig-zag varint, one byte for a small record) grows by 50
    // bytes: the record claims more bytes than its batch holds.
    let mut past_end = good();
    let zigzag = past_end[RECORDS_AT];
    assert!(zigzag < 0x80 && u32::from(zigzag) + 100 < 0x80);
    past_end[RECORDS_AT] = zigzag + 100;
    reseal_crc32c(&mut past_end);

    let mut codec = good();
    set_attributes(&mut codec, |a| (a & !0b111) | 5);

    // Not a gzip stream at all: its magic bytes are gone.
    let mut corrupt = compressed(Compression::Gzip);
    corrupt[RECORDS_AT] = 0;
    corrupt[RECORDS_AT + 1] = 0;
    reseal_crc32c(&mut corrupt);

    // A few KiB that decompress to 40 MiB of zeros: refused at the bound, not allocated whole.
    let zeros = vec![0u8; 40 * 1024 * 1024];
    assert!(zeros.len() > BATCH_DECOMPRESSED_BYTES_MAX as usize);
    let mut packed = Vec::new();
    Compression::Zstd
        .compress(None, &zeros, &mut packed)
        .unwrap();
    let bomb = with_records(compressed(Compression::Zstd), &packed);

    let mut transactional = good();
    set_attributes(&mut transactional, |a| a | 1 << 4);
    let mut control = good();
    set_attributes(&mut control, |a| a | 1 << 5);

    vec![
        ("CRC mismatch", crc, ErrorCode::CorruptRecord, "CRC"),
        ("wrong magic", magic, ErrorCode::InvalidRecord, "magic"),
        (
            "recordCount != lastOffsetDelta + 1",
            count,
            ErrorCode::InvalidRecord,
            "recordCount 3",
        ),
        (
            "a record running past its batch",
            past_end,
            ErrorCode::InvalidRecord,
            "truncated record",
        ),
        (
            "unknown codec 5",
            codec,
            ErrorCode::UnsupportedCompressionType,
            "codec 5",
        ),
        (
            "corrupt gzip data",
            corrupt,
            ErrorCode::CorruptRecord,
            "corrupt",
        ),
        (
            "decompressed size over the limit",
            bomb,
            ErrorCode::RecordTooLarge,
            "decompressed",
        ),
        (
            "transactional batch",
            transactional,
            ErrorCode::InvalidRecord,
            "transactional",
        ),
        (
            "control batch",
            control,
            ErrorCode::InvalidRecord,
            "control",
        ),
    ]
}

#[test]
fn every_bad_batch_gets_its_code_nothing_is_stored_and_the_connection_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut client: RawClient = broker.client();
    client.create_topic(TOPIC, 1, &[]);
    let mut expected_hw = 0;
    for (what, bytes, code, word) in cases() {
        let before = client.partition_end(TOPIC, 0);
        assert_eq!(before.0, expected_hw);
        let p = client.produce_batch(TOPIC, 0, Acks::Durable, &bytes);
        assert_eq!(p.error_code, code, "{what}: {}", p.error_message);
        assert!(
            p.error_message.contains(word),
            "{what}: {:?} should mention {word:?}",
            p.error_message
        );
        assert_eq!(
            client.partition_end(TOPIC, 0),
            before,
            "{what}: nothing appended"
        );
        let ok = client.produce_batch(TOPIC, 0, Acks::Durable, &good());
        assert_eq!(
            ok.error_code,
            ErrorCode::None,
            "after {what}: {}",
            ok.error_message
        );
        assert_eq!(ok.base_offset, expected_hw, "after {what}");
        expected_hw += 2;
    }
    assert_eq!(
        client.fetch_all_values(TOPIC, 0, 0).len() as u64,
        expected_hw
    );
}

#[test]
fn every_codec_is_accepted_and_served_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut client = broker.client();
    client.create_topic(TOPIC, 1, &[]);
    for (i, codec) in Compression::ALL.iter().enumerate() {
        let sent = compressed(*codec);
        let p = client.produce_batch(TOPIC, 0, Acks::Leader, &sent);
        assert_eq!(
            p.error_code,
            ErrorCode::None,
            "{codec}: {}",
            p.error_message
        );
        assert_eq!(p.base_offset, i as u64);
        let fetched = client.fetch(TOPIC, 0, i as u64);
        // Stored as sent: only the base offset (outside the CRC) differs.
        assert_eq!(&fetched.records[8..], &sent[8..], "{codec}");
    }
    let values = client.fetch_all_values(TOPIC, 0, 0);
    assert!(values.iter().all(|v| v == b"compressed value"));
}
