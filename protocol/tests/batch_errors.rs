//! RecordBatch v2 bytes that must be refused, each with its specific error and each next to the
//! good input it was made from: CRC mismatch, truncation, magic, codec, counts, offset deltas,
//! timestamps, varints, lengths, every per-record limit, and the Kafka features RustLog does not
//! take (transactions, control batches). Plus what the broker relies on: stamping the base
//! offset or leader epoch keeps the CRC valid, LogAppendTime and producer restamps recompute it,
//! compaction keeps offsets and the last sequence.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fix_crc, CRC_OFFSET, CRC_SPAN_START};
use rustlog_protocol::batch::{
    batch_total_len, batches, rebuild_batch, set_base_offset, set_partition_leader_epoch,
    set_producer, stamp_log_append_time, TimestampType, ATTR_CONTROL, ATTR_LOG_APPEND_TIME,
    ATTR_TRANSACTIONAL, BATCH_HEADER_BYTES, MAGIC, NO_PRODUCER_ID, NO_SEQUENCE,
};
use rustlog_protocol::limits::{
    BATCH_BYTES_MAX, HEADERS_PER_RECORD_MAX, HEADER_KEY_BYTES_MAX, HEADER_VALUE_BYTES_MAX,
    KEY_BYTES_MAX, RECORDS_PER_BATCH_MAX, VALUE_BYTES_MAX,
};
use rustlog_protocol::{
    Compression, ErrorCode, ProducerStamp, ProtocolError, RecordBatchBuilder, RecordBatchView,
};

// ---- a hand encoder, written from SPEC.md §8 and independent of the crate's ----

/// Batch header fields a test may want to get wrong.
#[derive(Clone, Copy)]
struct Header {
    magic: u8,
    attributes: u16,
    last_offset_delta: i32,
    base_timestamp: i64,
    max_timestamp: i64,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    record_count: i32,
}

const GOOD: Header = Header {
    magic: MAGIC,
    attributes: 0,
    last_offset_delta: 0,
    base_timestamp: 1_000,
    max_timestamp: 1_000,
    producer_id: -1,
    producer_epoch: -1,
    base_sequence: -1,
    record_count: 1,
};

/// Encodes a batch by hand around an already encoded records section, with a correct CRC-32C.
fn raw_batch(h: Header, records: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0u64.to_be_bytes());
    out.extend_from_slice(&((BATCH_HEADER_BYTES - 12 + records.len()) as u32).to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes()); // partition leader epoch
    out.push(h.magic);
    out.extend_from_slice(&[0; 4]); // crc, below
    out.extend_from_slice(&h.attributes.to_be_bytes());
    out.extend_from_slice(&h.last_offset_delta.to_be_bytes());
    out.extend_from_slice(&h.base_timestamp.to_be_bytes());
    out.extend_from_slice(&h.max_timestamp.to_be_bytes());
    out.extend_from_slice(&h.producer_id.to_be_bytes());
    out.extend_from_slice(&h.producer_epoch.to_be_bytes());
    out.extend_from_slice(&h.base_sequence.to_be_bytes());
    out.extend_from_slice(&h.record_count.to_be_bytes());
    assert_eq!(out.len(), BATCH_HEADER_BYTES);
    out.extend_from_slice(records);
    fix_crc(&mut out);
    out
}

/// Zig-zag varint (protobuf's sint32).
fn varint(out: &mut Vec<u8>, value: i32) {
    uvarint(out, ((value << 1) ^ (value >> 31)) as u32 as u64);
}

/// Zig-zag varlong (protobuf's sint64).
fn varlong(out: &mut Vec<u8>, value: i64) {
    uvarint(out, ((value << 1) ^ (value >> 63)) as u64);
}

fn uvarint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// One record by hand; lengths and counts are given raw so they can lie.
#[derive(Clone, Copy)]
struct RawRecord<'a> {
    /// `None`: the true length of the body.
    length: Option<i32>,
    attributes: u8,
    timestamp_delta: i64,
    offset_delta: i32,
    key_len: i32,
    key: &'a [u8],
    value_len: i32,
    value: &'a [u8],
    header_count: i32,
    headers: &'a [u8],
}

const REC: RawRecord<'static> = RawRecord {
    length: None,
    attributes: 0,
    timestamp_delta: 0,
    offset_delta: 0,
    key_len: 1,
    key: b"k",
    value_len: 1,
    value: b"v",
    header_count: 0,
    headers: b"",
};

impl RawRecord<'_> {
    fn body(&self) -> Vec<u8> {
        let mut body = vec![self.attributes];
        varlong(&mut body, self.timestamp_delta);
        varint(&mut body, self.offset_delta);
        varint(&mut body, self.key_len);
        body.extend_from_slice(self.key);
        varint(&mut body, self.value_len);
        body.extend_from_slice(self.value);
        varint(&mut body, self.header_count);
        body.extend_from_slice(self.headers);
        body
    }

    fn encode(&self) -> Vec<u8> {
        let body = self.body();
        let mut out = Vec::new();
        varint(&mut out, self.length.unwrap_or(body.len() as i32));
        out.extend_from_slice(&body);
        out
    }
}

/// One header by hand: raw lengths, `-1` value length for null.
fn header_bytes(key_len: i32, key: &[u8], value_len: i32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(&mut out, key_len);
    out.extend_from_slice(key);
    varint(&mut out, value_len);
    out.extend_from_slice(value);
    out
}

/// A one-record batch whose record body is `body` verbatim (for malformed varints).
fn batch_with_record_body(body: &[u8]) -> Vec<u8> {
    let mut record = Vec::new();
    varint(&mut record, body.len() as i32);
    record.extend_from_slice(body);
    raw_batch(GOOD, &record)
}

// ---- assertions ----

fn validate(batch: &[u8]) -> Result<(), ProtocolError> {
    RecordBatchView::parse(batch)?.validate()
}

fn validate_for_append(batch: &[u8]) -> Result<(), ProtocolError> {
    RecordBatchView::parse(batch)?.validate_for_append()
}

fn assert_invalid(result: Result<(), ProtocolError>, needle: &str) {
    match result {
        Err(err @ ProtocolError::InvalidBatch { .. }) => {
            assert!(err.to_string().contains(needle), "{err} lacks {needle:?}");
            assert_eq!(err.code(), ErrorCode::InvalidRecord);
        }
        other => panic!("expected InvalidBatch({needle}), got {other:?}"),
    }
}

fn assert_limit(result: Result<(), ProtocolError>, expected_what: &str) {
    match result {
        Err(err @ ProtocolError::LimitExceeded { .. }) => {
            let ProtocolError::LimitExceeded { what, value, max } = err else {
                unreachable!()
            };
            assert_eq!(what, expected_what);
            assert!(value > max);
            assert_eq!(err.code(), ErrorCode::RecordTooLarge);
        }
        other => panic!("expected LimitExceeded({expected_what}), got {other:?}"),
    }
}

fn assert_truncated(result: Result<(), ProtocolError>, expected_what: &str) {
    match result {
        Err(ProtocolError::Truncated { what, .. }) => assert_eq!(what, expected_what),
        other => panic!("expected Truncated({expected_what}), got {other:?}"),
    }
}

// ---- the good input ----

#[test]
fn a_hand_encoded_batch_is_what_the_builder_writes() {
    let mut b = RecordBatchBuilder::new();
    b.push(1_000, Some(b"k"), Some(b"v"), &[]).unwrap();
    let hand = raw_batch(GOOD, &REC.encode());
    assert_eq!(hand, b.finish(0).unwrap());
    validate_for_append(&hand).unwrap();
}

#[test]
fn the_crc_is_crc32c_of_bytes_21_to_the_end() {
    for (name, _, batch) in common::sample_batches() {
        let stored = u32::from_be_bytes(batch[CRC_OFFSET..CRC_SPAN_START].try_into().unwrap());
        assert_eq!(stored, crc32c::crc32c(&batch[CRC_SPAN_START..]), "{name}");
        // Not CRC-32 (IEEE), the v0/v1 message checksum.
        let mut ieee = flate2::Crc::new();
        ieee.update(&batch[CRC_SPAN_START..]);
        assert_ne!(stored, ieee.sum(), "{name}");
    }
}

// ---- CRC ----

#[test]
fn any_flipped_bit_in_the_crc_or_its_span_is_a_crc_mismatch() {
    for (name, _, batch) in common::sample_batches() {
        validate(&batch).unwrap();
        for at in CRC_OFFSET..batch.len() {
            let mut bad = batch.clone();
            bad[at] ^= 0x10;
            let err = validate(&bad).unwrap_err();
            assert!(
                matches!(err, ProtocolError::CrcMismatch { .. }),
                "{name} byte {at}: {err}"
            );
            assert_eq!(err.code(), ErrorCode::CorruptRecord);
        }
    }
}

#[test]
fn stamping_the_base_offset_or_leader_epoch_keeps_the_crc_valid() {
    let original = common::batch_multi();
    let mut stamped = original.clone();
    set_base_offset(&mut stamped, 9_000_000_000);
    set_partition_leader_epoch(&mut stamped, 12);
    assert_eq!(
        &stamped[16..],
        &original[16..],
        "only bytes 0..8 and 12..16 change"
    );
    assert_eq!(&stamped[8..12], &original[8..12]);
    let view = RecordBatchView::parse(&stamped).unwrap();
    view.validate_for_append().unwrap();
    assert_eq!(view.header().base_offset, 9_000_000_000);
    assert_eq!(view.header().partition_leader_epoch, 12);
    assert_eq!(view.header().next_offset(), 9_000_000_005);
    let records = view.records().unwrap();
    let offsets: Vec<u64> = records.iter().map(|r| r.unwrap().offset).collect();
    assert_eq!(offsets, (9_000_000_000..9_000_000_005).collect::<Vec<_>>());
}

#[test]
fn log_append_time_and_producer_restamps_recompute_the_crc() {
    let mut batch = common::batch_keyed();
    stamp_log_append_time(&mut batch, common::T0_MS + 60_000).unwrap();
    let view = RecordBatchView::parse(&batch).unwrap();
    view.validate_for_append().unwrap();
    assert_eq!(view.header().timestamp_type(), TimestampType::LogAppendTime);
    assert_eq!(view.header().max_timestamp, common::T0_MS + 60_000);
    let records = view.records().unwrap();
    assert!(records
        .iter()
        .all(|r| r.unwrap().timestamp_ms == common::T0_MS + 60_000));

    let stamp = ProducerStamp {
        producer_id: 5,
        producer_epoch: 1,
        base_sequence: 0,
    };
    set_producer(&mut batch, stamp).unwrap();
    let view = RecordBatchView::parse(&batch).unwrap();
    view.validate_for_append().unwrap();
    assert_eq!(view.header().producer(), stamp);
    assert_eq!(view.header().last_sequence(), 1);
}

// ---- framing ----

#[test]
fn every_cut_of_a_batch_is_truncated() {
    let batch = common::batch_keyed();
    for cut in 0..batch.len() {
        let err = RecordBatchView::parse(&batch[..cut]).unwrap_err();
        assert!(
            matches!(err, ProtocolError::Truncated { .. }),
            "cut {cut}: {err}"
        );
        let expected = (cut >= 12).then_some(batch.len());
        assert_eq!(batch_total_len(&batch[..cut]).unwrap(), expected);
    }
}

#[test]
fn batch_length_below_the_header_or_above_the_limit_is_refused() {
    let mut short = common::batch_keyed();
    short[8..12].copy_from_slice(&48u32.to_be_bytes());
    assert_invalid(
        RecordBatchView::parse(&short).map(|_| ()),
        "shorter than the batch header",
    );
    let mut negative = common::batch_keyed();
    negative[8..12].copy_from_slice(&(-1i32).to_be_bytes());
    assert_invalid(
        RecordBatchView::parse(&negative).map(|_| ()),
        "shorter than the batch header",
    );
    let mut huge = common::batch_keyed();
    huge[8..12].copy_from_slice(&BATCH_BYTES_MAX.to_be_bytes());
    assert_limit(
        RecordBatchView::parse(&huge).map(|_| ()),
        "record batch bytes",
    );
}

#[test]
fn magic_2_is_read_and_magic_0_1_and_3_are_refused() {
    validate(&raw_batch(GOOD, &REC.encode())).unwrap();
    for magic in [0, 1, 3] {
        let batch = raw_batch(Header { magic, ..GOOD }, &REC.encode());
        assert_invalid(
            RecordBatchView::parse(&batch).map(|_| ()),
            &format!("magic {magic} is not supported"),
        );
    }
}

#[test]
fn a_corrupt_batch_stops_the_batch_iterator() {
    let good = common::batch_keyed();
    let mut bad = common::batch_unkeyed();
    bad[16] = 1; // magic
    let joined = [good.clone(), bad, common::batch_headers()].concat();
    let mut it = batches(&joined);
    assert_eq!(it.next().unwrap().unwrap().as_bytes(), &good[..]);
    assert!(matches!(
        it.next(),
        Some(Err(ProtocolError::InvalidBatch { .. }))
    ));
    assert!(it.next().is_none());
}

// ---- attributes ----

#[test]
fn codecs_0_to_4_are_read_and_5_6_7_are_unsupported_compression() {
    for codec in Compression::ALL {
        validate(&common::batch_compressed(*codec)).unwrap();
    }
    for codec in [5u16, 6, 7] {
        let batch = raw_batch(
            Header {
                attributes: codec,
                ..GOOD
            },
            &REC.encode(),
        );
        let view = RecordBatchView::parse(&batch).unwrap();
        for err in [
            view.header().compression().unwrap_err(),
            view.validate().unwrap_err(),
            view.records().unwrap_err(),
        ] {
            assert!(
                matches!(err, ProtocolError::UnsupportedCompression { codec: c } if u16::from(c) == codec),
                "{err}"
            );
            assert_eq!(err.code(), ErrorCode::UnsupportedCompressionType);
            assert_eq!(err.code().code(), 76);
        }
    }
}

#[test]
fn control_and_transactional_batches_are_valid_kafka_but_not_appended() {
    let plain = raw_batch(GOOD, &REC.encode());
    validate_for_append(&plain).unwrap();
    for (bits, needle) in [
        (ATTR_CONTROL, "control batches"),
        (ATTR_TRANSACTIONAL, "transactional batches"),
        (ATTR_CONTROL | ATTR_TRANSACTIONAL, "control batches"),
    ] {
        let batch = raw_batch(
            Header {
                attributes: bits,
                producer_id: 9,
                producer_epoch: 0,
                base_sequence: 0,
                ..GOOD
            },
            &REC.encode(),
        );
        // A reader (a consumer of a Kafka log) can walk them...
        validate(&batch).unwrap();
        // ...the broker does not take them from a producer.
        match validate_for_append(&batch) {
            Err(err @ ProtocolError::Unsupported { what }) => {
                assert!(what.contains(needle), "{what}");
                assert_eq!(err.code(), ErrorCode::InvalidRecord);
            }
            other => panic!("expected Unsupported({needle}), got {other:?}"),
        }
    }
}

#[test]
fn log_append_time_bit_is_the_timestamp_type() {
    let create = raw_batch(GOOD, &REC.encode());
    let view = RecordBatchView::parse(&create).unwrap();
    assert_eq!(view.header().timestamp_type(), TimestampType::CreateTime);
    let append = raw_batch(
        Header {
            attributes: ATTR_LOG_APPEND_TIME,
            max_timestamp: 5_000,
            ..GOOD
        },
        &RawRecord {
            timestamp_delta: 77,
            ..REC
        }
        .encode(),
    );
    let view = RecordBatchView::parse(&append).unwrap();
    view.validate_for_append().unwrap();
    assert_eq!(view.header().timestamp_type(), TimestampType::LogAppendTime);
    let records = view.records().unwrap();
    assert_eq!(records.iter().next().unwrap().unwrap().timestamp_ms, 5_000);
}

#[test]
fn producer_fields_are_all_unset_or_a_valid_id_epoch_and_sequence() {
    let idempotent = Header {
        producer_id: 7,
        producer_epoch: 0,
        base_sequence: 0,
        ..GOOD
    };
    validate_for_append(&raw_batch(idempotent, &REC.encode())).unwrap();
    assert_eq!(GOOD.producer_id, NO_PRODUCER_ID);
    validate_for_append(&raw_batch(GOOD, &REC.encode())).unwrap();
    for bad in [
        Header {
            producer_epoch: -1,
            ..idempotent
        },
        Header {
            base_sequence: -1,
            ..idempotent
        },
    ] {
        assert_invalid(
            validate_for_append(&raw_batch(bad, &REC.encode())),
            "producerId 7",
        );
    }
}

// ---- counts and offset deltas ----

#[test]
fn record_count_must_be_last_offset_delta_plus_one_for_append() {
    let two = [
        REC.encode(),
        RawRecord {
            offset_delta: 1,
            ..REC
        }
        .encode(),
    ]
    .concat();
    let dense = Header {
        record_count: 2,
        last_offset_delta: 1,
        ..GOOD
    };
    validate_for_append(&raw_batch(dense, &two)).unwrap();
    // lastOffsetDelta 2 for two records: a stored batch may claim it (compaction), a produced
    // one may not.
    let sparse = raw_batch(
        Header {
            last_offset_delta: 2,
            ..dense
        },
        &two,
    );
    validate(&sparse).unwrap();
    assert_invalid(
        validate_for_append(&sparse),
        "recordCount 2 but lastOffsetDelta 2",
    );
    // lastOffsetDelta 0 for two records is wrong everywhere.
    let short = raw_batch(
        Header {
            last_offset_delta: 0,
            ..dense
        },
        &two,
    );
    assert_invalid(validate(&short), "lastOffsetDelta 0 is below recordCount 2");
    assert_invalid(
        validate_for_append(&short),
        "recordCount 2 but lastOffsetDelta 0",
    );
}

#[test]
fn record_counts_must_be_nonzero_within_the_limit_and_match_the_records() {
    assert_invalid(
        validate(&raw_batch(
            Header {
                record_count: 0,
                ..GOOD
            },
            b"",
        )),
        "no records",
    );
    assert_limit(
        validate(&raw_batch(
            Header {
                record_count: RECORDS_PER_BATCH_MAX as i32 + 1,
                last_offset_delta: RECORDS_PER_BATCH_MAX as i32,
                ..GOOD
            },
            &REC.encode(),
        )),
        "records per batch",
    );
    // Claims two records, holds one.
    assert_truncated(
        validate(&raw_batch(
            Header {
                record_count: 2,
                last_offset_delta: 1,
                ..GOOD
            },
            &REC.encode(),
        )),
        "record length",
    );
    // Claims one record, holds two.
    let two = [
        REC.encode(),
        RawRecord {
            offset_delta: 1,
            ..REC
        }
        .encode(),
    ]
    .concat();
    let err = validate(&raw_batch(GOOD, &two));
    assert!(
        matches!(
            err,
            Err(ProtocolError::TrailingBytes {
                what: "record batch",
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn negative_record_count_or_last_offset_delta_is_invalid() {
    for h in [
        Header {
            record_count: -1,
            ..GOOD
        },
        Header {
            last_offset_delta: -1,
            ..GOOD
        },
    ] {
        assert_invalid(
            RecordBatchView::parse(&raw_batch(h, &REC.encode())).map(|_| ()),
            "negative lastOffsetDelta",
        );
    }
}

#[test]
fn offset_deltas_must_increase_and_stay_within_last_offset_delta() {
    let h = Header {
        record_count: 2,
        last_offset_delta: 1,
        ..GOOD
    };
    let same = [REC.encode(), REC.encode()].concat();
    assert_invalid(
        validate(&raw_batch(h, &same)),
        "offset delta 0 out of order",
    );
    let beyond = RawRecord {
        offset_delta: 5,
        ..REC
    }
    .encode();
    assert_invalid(
        validate(&raw_batch(GOOD, &beyond)),
        "offset delta 5 out of order",
    );
    let negative = RawRecord {
        offset_delta: -1,
        ..REC
    }
    .encode();
    assert_invalid(
        validate(&raw_batch(GOOD, &negative)),
        "negative record offsetDelta -1",
    );
    // A gap is fine in a stored (compacted) batch, not in a freshly produced one.
    let gap = [
        REC.encode(),
        RawRecord {
            offset_delta: 3,
            ..REC
        }
        .encode(),
    ]
    .concat();
    let batch = raw_batch(
        Header {
            record_count: 2,
            last_offset_delta: 3,
            ..GOOD
        },
        &gap,
    );
    validate(&batch).unwrap();
    assert_invalid(
        validate_for_append(&batch),
        "recordCount 2 but lastOffsetDelta 3",
    );
}

#[test]
fn create_time_timestamps_must_stay_within_max_timestamp() {
    let late = RawRecord {
        timestamp_delta: 1,
        ..REC
    }
    .encode();
    assert_invalid(
        validate(&raw_batch(GOOD, &late)),
        "record timestamp 1001 above maxTimestamp 1000",
    );
    validate(&raw_batch(
        Header {
            max_timestamp: 1_001,
            ..GOOD
        },
        &late,
    ))
    .unwrap();
    // Earlier than the base timestamp is fine (records need not be in time order).
    let early = RawRecord {
        timestamp_delta: -500,
        ..REC
    }
    .encode();
    validate(&raw_batch(GOOD, &early)).unwrap();
}

// ---- varints ----

#[test]
fn a_six_byte_varint_is_refused() {
    // Five bytes is the most a 32-bit varint takes.
    let five = [0x80, 0x80, 0x80, 0x80, 0x00];
    let mut body = vec![0u8, 0x00]; // attributes, timestampDelta 0
    body.extend_from_slice(&five); // offsetDelta 0 in five bytes
    body.extend_from_slice(&[0x02, b'k', 0x02, b'v', 0x00]);
    validate(&batch_with_record_body(&body)).unwrap();
    let mut body = vec![0u8, 0x00];
    body.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
    body.extend_from_slice(&[0x02, b'k', 0x02, b'v', 0x00]);
    assert_invalid(
        validate(&batch_with_record_body(&body)),
        "record offsetDelta: varint longer than 5 bytes",
    );
    // The record length itself.
    let mut records = vec![0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    records.extend_from_slice(&REC.body());
    assert_invalid(
        validate(&raw_batch(GOOD, &records)),
        "record length: varint longer than 5 bytes",
    );
}

#[test]
fn a_varint_cut_short_is_truncated_at_any_byte_and_multi_byte_ones_read_whole() {
    // timestampDelta -300 takes two bytes (zig-zag 599 = 0xd7 0x04).
    let mut body = vec![0u8, 0xd7, 0x04, 0x00];
    body.extend_from_slice(&[0x02, b'k', 0x02, b'v', 0x00]);
    let batch = batch_with_record_body(&body);
    validate(&batch).unwrap();
    let view = RecordBatchView::parse(&batch).unwrap();
    let records = view.records().unwrap();
    let record = records.iter().next().unwrap().unwrap();
    assert_eq!(record.timestamp_ms, GOOD.base_timestamp - 300);
    // Cut after the first byte of that varint, and after a continuation byte of four.
    assert_truncated(
        validate(&batch_with_record_body(&[0u8, 0xd7])),
        "record timestampDelta",
    );
    assert_truncated(
        validate(&batch_with_record_body(&[0u8, 0x00, 0x80, 0x80, 0x80])),
        "record offsetDelta",
    );
}

#[test]
fn a_varint_over_32_bits_is_refused() {
    // 0x0f in the fifth byte fills bits 28..32: still a u32 (zig-zag 0xffff_fffe = i32::MAX).
    let max = [0xfe, 0xff, 0xff, 0xff, 0x0f];
    let mut body = vec![0u8, 0x00];
    body.extend_from_slice(&max);
    body.extend_from_slice(&[0x02, b'k', 0x02, b'v', 0x00]);
    let batch = batch_with_record_body(&body);
    assert_invalid(validate(&batch), "offset delta 2147483647 out of order");
    // 0x10 in the fifth byte is bit 32: over i32.
    let mut body = vec![0u8, 0x00];
    body.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x10]);
    body.extend_from_slice(&[0x02, b'k', 0x02, b'v', 0x00]);
    assert_invalid(
        validate(&batch_with_record_body(&body)),
        "record offsetDelta: varint overflows i32",
    );
    // Same for a key length.
    let mut body = vec![0u8, 0x00, 0x00];
    body.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x7f]);
    assert_invalid(
        validate(&batch_with_record_body(&body)),
        "record key: varint overflows i32",
    );
}

#[test]
fn a_timestamp_varlong_over_ten_bytes_is_refused() {
    let mut ten = vec![0u8];
    ten.extend_from_slice(&[0xff; 9]);
    ten.push(0x01); // i64::MIN
    ten.extend_from_slice(&[0x00, 0x02, b'k', 0x02, b'v', 0x00]);
    let batch = raw_batch(
        Header {
            max_timestamp: i64::MAX,
            ..GOOD
        },
        &{
            let mut r = Vec::new();
            varint(&mut r, ten.len() as i32);
            r.extend_from_slice(&ten);
            r
        },
    );
    validate(&batch).unwrap();
    let mut eleven = vec![0u8];
    eleven.extend_from_slice(&[0xff; 10]);
    eleven.push(0x01);
    eleven.extend_from_slice(&[0x00, 0x02, b'k', 0x02, b'v', 0x00]);
    assert_invalid(
        validate(&batch_with_record_body(&eleven)),
        "record timestampDelta: varint longer than 10 bytes",
    );
}

// ---- lengths ----

#[test]
fn a_record_whose_length_runs_past_its_batch_is_truncated() {
    let record = REC.encode();
    validate(&raw_batch(GOOD, &record)).unwrap();
    let long = RawRecord {
        length: Some(REC.body().len() as i32 + 1),
        ..REC
    }
    .encode();
    assert_truncated(validate(&raw_batch(GOOD, &long)), "record");
    let huge = RawRecord {
        length: Some(i32::MAX),
        ..REC
    }
    .encode();
    // Refused by the bound before anything is read or allocated.
    assert_limit(validate(&raw_batch(GOOD, &huge)), "record");
}

#[test]
fn a_record_shorter_than_its_fields_is_truncated() {
    let short = RawRecord {
        length: Some(REC.body().len() as i32 - 1),
        ..REC
    }
    .encode();
    let err = validate(&raw_batch(GOOD, &short));
    assert!(
        matches!(err, Err(ProtocolError::Truncated { .. })),
        "{err:?}"
    );
}

#[test]
fn minus_one_is_null_and_other_negative_lengths_are_invalid() {
    let null_key = RawRecord {
        key_len: -1,
        key: b"",
        ..REC
    };
    let null_value = RawRecord {
        value_len: -1,
        value: b"",
        ..REC
    };
    for rec in [null_key, null_value] {
        validate(&raw_batch(GOOD, &rec.encode())).unwrap();
    }
    let cases: [(RawRecord<'_>, &str); 4] = [
        (
            RawRecord {
                key_len: -2,
                key: b"",
                ..REC
            },
            "record key length -2 is negative",
        ),
        (
            RawRecord {
                value_len: i32::MIN,
                value: b"",
                ..REC
            },
            "record value length -2147483648 is negative",
        ),
        (
            RawRecord {
                length: Some(-1),
                ..REC
            },
            "record length -1 is negative",
        ),
        (
            RawRecord {
                header_count: -1,
                ..REC
            },
            "negative header count -1",
        ),
    ];
    for (rec, needle) in cases {
        assert_invalid(validate(&raw_batch(GOOD, &rec.encode())), needle);
    }
}

#[test]
fn header_values_are_nullable_and_header_keys_are_not() {
    let null_value = header_bytes(1, b"h", -1, b"");
    let rec = RawRecord {
        header_count: 1,
        headers: &null_value,
        ..REC
    };
    let batch = raw_batch(GOOD, &rec.encode());
    let view = RecordBatchView::parse(&batch).unwrap();
    view.validate().unwrap();
    let records = view.records().unwrap();
    let record = records.iter().next().unwrap().unwrap();
    let headers: Vec<_> = record.headers().map(Result::unwrap).collect();
    assert_eq!(headers, vec![("h", None)]);
    for (h, needle) in [
        (
            header_bytes(-1, b"", 0, b""),
            "header key bytes length -1 is negative",
        ),
        (
            header_bytes(1, b"h", -2, b""),
            "header value bytes length -2 is negative",
        ),
    ] {
        let rec = RawRecord {
            header_count: 1,
            headers: &h,
            ..REC
        };
        assert_invalid(validate(&raw_batch(GOOD, &rec.encode())), needle);
    }
}

// ---- per-record limits ----

#[test]
fn key_and_value_lengths_above_their_limits_are_refused_before_reading() {
    let rec = RawRecord {
        key_len: KEY_BYTES_MAX as i32 + 1,
        key: b"",
        ..REC
    };
    assert_limit(validate(&raw_batch(GOOD, &rec.encode())), "record key");
    let rec = RawRecord {
        value_len: VALUE_BYTES_MAX as i32 + 1,
        value: b"",
        ..REC
    };
    assert_limit(validate(&raw_batch(GOOD, &rec.encode())), "record value");
    // Within the limit but past the end of the record: truncated.
    let rec = RawRecord {
        key_len: 100,
        ..REC
    };
    assert_truncated(validate(&raw_batch(GOOD, &rec.encode())), "record key");
}

#[test]
fn header_counts_and_sizes_above_their_limits_are_refused() {
    let rec = RawRecord {
        header_count: HEADERS_PER_RECORD_MAX as i32 + 1,
        ..REC
    };
    assert_limit(
        validate(&raw_batch(GOOD, &rec.encode())),
        "headers per record",
    );
    let h = header_bytes(HEADER_KEY_BYTES_MAX as i32 + 1, b"", 0, b"");
    let rec = RawRecord {
        header_count: 1,
        headers: &h,
        ..REC
    };
    assert_limit(
        validate(&raw_batch(GOOD, &rec.encode())),
        "header key bytes",
    );
    let h = header_bytes(1, b"h", HEADER_VALUE_BYTES_MAX as i32 + 1, b"");
    let rec = RawRecord {
        header_count: 1,
        headers: &h,
        ..REC
    };
    assert_limit(
        validate(&raw_batch(GOOD, &rec.encode())),
        "header value bytes",
    );
}

#[test]
fn header_keys_must_be_utf8() {
    let good = header_bytes(2, "é".as_bytes(), 0, b"");
    let rec = RawRecord {
        header_count: 1,
        headers: &good,
        ..REC
    };
    validate(&raw_batch(GOOD, &rec.encode())).unwrap();
    let bad = header_bytes(2, b"\xc3\x28", 0, b"");
    let rec = RawRecord {
        header_count: 1,
        headers: &bad,
        ..REC
    };
    let err = validate(&raw_batch(GOOD, &rec.encode())).unwrap_err();
    assert!(
        matches!(err, ProtocolError::InvalidUtf8 { what: "header key" }),
        "{err}"
    );
}

#[test]
fn bytes_after_the_last_header_are_trailing() {
    let h = [header_bytes(1, b"h", 1, b"x"), vec![0xAA]].concat();
    let rec = RawRecord {
        header_count: 1,
        headers: &h,
        ..REC
    };
    let err = validate(&raw_batch(GOOD, &rec.encode())).unwrap_err();
    assert!(
        matches!(
            err,
            ProtocolError::TrailingBytes {
                what: "record",
                extra: 1
            }
        ),
        "{err}"
    );
}

// ---- compaction ----

#[test]
fn compaction_rebuild_keeps_offsets_the_last_offset_and_the_last_sequence() {
    let records = common::multi_records();
    let batch = common::build_with(
        &records,
        common::Options {
            codec: Compression::Lz4,
            producer: Some(common::SAMPLE_PRODUCER),
            base_offset: 100,
            ..common::Options::default()
        },
    );
    let view = RecordBatchView::parse(&batch).unwrap();
    let source = *view.header();
    let decoded = view.records().unwrap();
    // Keep records 101 and 103 only.
    let kept: Vec<_> = decoded
        .iter()
        .map(Result::unwrap)
        .filter(|r| r.offset == 101 || r.offset == 103)
        .collect();
    let rebuilt = rebuild_batch(kept.clone(), &source, 101, source.last_offset())
        .unwrap()
        .unwrap();
    let rv = RecordBatchView::parse(&rebuilt).unwrap();
    rv.validate().unwrap();
    let h = rv.header();
    assert_eq!(h.base_offset, 101);
    assert_eq!(h.next_offset(), 105, "the log's next offset is unchanged");
    assert_eq!(h.compression().unwrap(), Compression::Lz4);
    assert_eq!(h.producer_id, source.producer_id);
    assert_eq!(h.producer_epoch, source.producer_epoch);
    assert_eq!(h.last_sequence(), source.last_sequence());
    let again = rv.records().unwrap();
    let again: Vec<_> = again.iter().map(Result::unwrap).collect();
    assert_eq!(again.len(), 2);
    for (a, b) in again.iter().zip(&kept) {
        assert_eq!(
            (a.offset, a.timestamp_ms, a.key, a.value),
            (b.offset, b.timestamp_ms, b.key, b.value)
        );
        assert!(a
            .headers()
            .map(Result::unwrap)
            .eq(b.headers().map(Result::unwrap)));
    }
    assert!(rebuild_batch(Vec::new(), &source, 0, 0).unwrap().is_none());
    // A base offset after a kept record cannot be expressed.
    assert_invalid(
        rebuild_batch(kept, &source, 102, 104).map(|_| ()),
        "record offset 101 not within i32 of base 102",
    );
}

#[test]
fn a_batch_without_a_producer_has_no_last_sequence() {
    let multi = common::batch_multi();
    let plain = RecordBatchView::parse(&multi).unwrap();
    assert_eq!(plain.header().base_sequence, NO_SEQUENCE);
    assert_eq!(plain.header().last_sequence(), NO_SEQUENCE);
    let idempotent = common::batch_idempotent();
    let view = RecordBatchView::parse(&idempotent).unwrap();
    assert_eq!(view.header().last_sequence(), 42);
    // Sequences wrap from i32::MAX to 0.
    let mut wrapping = idempotent.clone();
    set_producer(
        &mut wrapping,
        ProducerStamp {
            base_sequence: i32::MAX - 1,
            ..common::SAMPLE_PRODUCER
        },
    )
    .unwrap();
    let view = RecordBatchView::parse(&wrapping).unwrap();
    view.validate_for_append().unwrap();
    assert_eq!(view.header().last_sequence(), 0);
}
