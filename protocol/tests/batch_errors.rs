//! Record batches that must be refused, each with its specific error: CRC mismatch, truncation,
//! bad magic, attributes, counts, deltas, timestamps, and every per-record limit. Plus the
//! properties the broker relies on: stamping keeps the CRC valid, compaction keeps offsets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use rustlog_protocol::batch::{
    batch_total_len, rebuild_batch, set_base_offset, BATCH_HEADER_BYTES, CRC_OFFSET,
    CRC_SPAN_START, MAGIC,
};
use rustlog_protocol::limits::{
    BATCH_BYTES_MAX, HEADERS_PER_RECORD_MAX, HEADER_KEY_BYTES_MAX, HEADER_VALUE_BYTES_MAX,
    KEY_BYTES_MAX, RECORDS_PER_BATCH_MAX, VALUE_BYTES_MAX,
};
use rustlog_protocol::{ErrorCode, ProtocolError, RecordBatchView};

/// Batch header fields a test may want to get wrong.
#[derive(Clone, Copy)]
struct Header {
    magic: u8,
    attributes: u16,
    last_offset_delta: u32,
    first_timestamp: i64,
    max_timestamp: i64,
    record_count: u32,
}

const GOOD: Header = Header {
    magic: MAGIC,
    attributes: 0,
    last_offset_delta: 0,
    first_timestamp: 1_000,
    max_timestamp: 1_000,
    record_count: 1,
};

/// Encodes a batch by hand, with a correct CRC, around already encoded records.
fn raw_batch(h: Header, records: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0u64.to_be_bytes());
    out.extend_from_slice(&((BATCH_HEADER_BYTES - 12 + records.len()) as u32).to_be_bytes());
    out.push(h.magic);
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&h.attributes.to_be_bytes());
    out.extend_from_slice(&h.last_offset_delta.to_be_bytes());
    out.extend_from_slice(&h.first_timestamp.to_be_bytes());
    out.extend_from_slice(&h.max_timestamp.to_be_bytes());
    out.extend_from_slice(&h.record_count.to_be_bytes());
    out.extend_from_slice(records);
    fix_crc(&mut out);
    out
}

fn fix_crc(batch: &mut [u8]) {
    let crc = crc32fast::hash(&batch[CRC_SPAN_START..]);
    batch[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
}

/// Encodes one record by hand; lengths are given raw so they can lie.
struct RawRecord<'a> {
    attributes: u8,
    timestamp_delta: i64,
    offset_delta: u32,
    key_len: i32,
    key: &'a [u8],
    value_len: i32,
    value: &'a [u8],
    header_count: u32,
    headers: &'a [u8],
}

const REC: RawRecord<'static> = RawRecord {
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
    fn encode(&self) -> Vec<u8> {
        let mut body = vec![self.attributes];
        body.extend_from_slice(&self.timestamp_delta.to_be_bytes());
        body.extend_from_slice(&self.offset_delta.to_be_bytes());
        body.extend_from_slice(&self.key_len.to_be_bytes());
        body.extend_from_slice(self.key);
        body.extend_from_slice(&self.value_len.to_be_bytes());
        body.extend_from_slice(self.value);
        body.extend_from_slice(&self.header_count.to_be_bytes());
        body.extend_from_slice(self.headers);
        let mut out = (body.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&body);
        out
    }
}

fn validate(batch: &[u8]) -> Result<(), ProtocolError> {
    RecordBatchView::parse(batch)?.validate()
}

fn assert_invalid(result: Result<(), ProtocolError>, needle: &str) {
    match result {
        Err(ProtocolError::InvalidBatch { reason }) => {
            assert!(reason.contains(needle), "{reason:?} lacks {needle:?}")
        }
        other => panic!("expected InvalidBatch({needle}), got {other:?}"),
    }
}

fn assert_limit(result: Result<(), ProtocolError>, expected_what: &str) {
    match result {
        Err(ProtocolError::LimitExceeded { what, value, max }) => {
            assert_eq!(what, expected_what);
            assert!(value > max);
        }
        other => panic!("expected LimitExceeded({expected_what}), got {other:?}"),
    }
}

#[test]
fn hand_encoded_batch_matches_the_builder() {
    let mut b = rustlog_protocol::RecordBatchBuilder::new();
    b.push(1_000, Some(b"k"), Some(b"v"), &[]).unwrap();
    assert_eq!(raw_batch(GOOD, &REC.encode()), b.finish(0));
    validate(&raw_batch(GOOD, &REC.encode())).unwrap();
}

#[test]
fn any_flipped_bit_in_the_crc_span_or_field_is_a_crc_mismatch() {
    for (name, _, batch) in common::sample_batches() {
        // Everything from the CRC field on is protected; base offset, length and magic are
        // outside the span (the offset so it can be stamped; length and magic are checked
        // structurally).
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
fn stamping_the_base_offset_keeps_the_crc_valid() {
    let original = common::batch_multi();
    let mut stamped = original.clone();
    set_base_offset(&mut stamped, 9_000_000_000);
    assert_eq!(&stamped[8..], &original[8..], "only bytes 0..8 change");
    let view = RecordBatchView::parse(&stamped).unwrap();
    view.validate_for_append().unwrap();
    assert_eq!(view.header().base_offset, 9_000_000_000);
    assert_eq!(view.header().next_offset(), 9_000_000_005);
    let offsets: Vec<u64> = view.records().map(|r| r.unwrap().offset).collect();
    assert_eq!(offsets, (9_000_000_000..9_000_000_005).collect::<Vec<_>>());
}

#[test]
fn truncated_batches_are_truncated() {
    let batch = common::batch_keyed();
    for cut in 0..batch.len() {
        let err = RecordBatchView::parse(&batch[..cut]).unwrap_err();
        assert!(
            matches!(err, ProtocolError::Truncated { .. }),
            "cut {cut}: {err}"
        );
        if cut >= 12 {
            assert_eq!(batch_total_len(&batch[..cut]).unwrap(), Some(batch.len()));
        } else {
            assert_eq!(batch_total_len(&batch[..cut]).unwrap(), None);
        }
    }
}

#[test]
fn batch_length_below_the_header_or_above_the_limit_is_refused() {
    let mut short = common::batch_keyed();
    short[8..12].copy_from_slice(&30u32.to_be_bytes());
    assert_invalid(
        RecordBatchView::parse(&short).map(|_| ()),
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
fn unknown_magic_is_invalid() {
    let batch = raw_batch(Header { magic: 2, ..GOOD }, &REC.encode());
    assert_invalid(
        RecordBatchView::parse(&batch).map(|_| ()),
        "unknown magic 2",
    );
}

#[test]
fn compression_and_reserved_attribute_bits_are_invalid() {
    let zstd = raw_batch(
        Header {
            attributes: 4,
            ..GOOD
        },
        &REC.encode(),
    );
    assert_invalid(validate(&zstd), "compression codec 4");
    let reserved = raw_batch(
        Header {
            attributes: 0x0100,
            ..GOOD
        },
        &REC.encode(),
    );
    let err = validate(&reserved);
    assert_invalid(err, "reserved attribute bits");
}

#[test]
fn record_counts_must_be_nonzero_within_the_limit_and_match() {
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
                record_count: RECORDS_PER_BATCH_MAX + 1,
                ..GOOD
            },
            &REC.encode(),
        )),
        "records per batch",
    );
    // Claims two records, holds one.
    let err = validate(&raw_batch(
        Header {
            record_count: 2,
            last_offset_delta: 1,
            ..GOOD
        },
        &REC.encode(),
    ));
    assert!(
        matches!(err, Err(ProtocolError::Truncated { .. })),
        "{err:?}"
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
fn offset_deltas_must_increase_and_stay_within_last_offset_delta() {
    let same = [REC.encode(), REC.encode()].concat();
    let h = Header {
        record_count: 2,
        last_offset_delta: 1,
        ..GOOD
    };
    assert_invalid(validate(&raw_batch(h, &same)), "does not increase");
    let beyond = RawRecord {
        offset_delta: 5,
        ..REC
    }
    .encode();
    assert_invalid(
        validate(&raw_batch(GOOD, &beyond)),
        "exceeds last_offset_delta",
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
        RecordBatchView::parse(&batch)
            .unwrap()
            .validate_for_append(),
        "must be dense",
    );
}

#[test]
fn timestamps_must_stay_within_max_timestamp() {
    let late = RawRecord {
        timestamp_delta: 1,
        ..REC
    }
    .encode();
    assert_invalid(validate(&raw_batch(GOOD, &late)), "above max_timestamp");
    let h = Header {
        max_timestamp: 999,
        ..GOOD
    };
    assert_invalid(
        validate(&raw_batch(h, &REC.encode())),
        "max_timestamp is before",
    );
}

#[test]
fn record_attributes_are_reserved() {
    let rec = RawRecord {
        attributes: 1,
        ..REC
    }
    .encode();
    assert_invalid(
        validate(&raw_batch(GOOD, &rec)),
        "reserved record attributes",
    );
}

#[test]
fn negative_lengths_other_than_null_are_invalid() {
    let rec = RawRecord {
        key_len: -2,
        key: b"",
        ..REC
    }
    .encode();
    assert_invalid(validate(&raw_batch(GOOD, &rec)), "record key length -2");
    let rec = RawRecord {
        value_len: i32::MIN,
        value: b"",
        ..REC
    }
    .encode();
    assert_invalid(validate(&raw_batch(GOOD, &rec)), "record value length");
}

#[test]
fn key_and_value_lengths_above_their_limits_are_refused_before_reading() {
    let rec = RawRecord {
        key_len: KEY_BYTES_MAX as i32 + 1,
        key: b"",
        ..REC
    }
    .encode();
    assert_limit(validate(&raw_batch(GOOD, &rec)), "record key");
    let rec = RawRecord {
        value_len: VALUE_BYTES_MAX as i32 + 1,
        value: b"",
        ..REC
    }
    .encode();
    assert_limit(validate(&raw_batch(GOOD, &rec)), "record value");
    // Within the limit but past the end of the record: truncated.
    let rec = RawRecord {
        key_len: 100,
        ..REC
    }
    .encode();
    let err = validate(&raw_batch(GOOD, &rec));
    assert!(
        matches!(
            err,
            Err(ProtocolError::Truncated {
                what: "record key",
                ..
            })
        ),
        "{err:?}"
    );
}

fn header_bytes(key_len: u16, key: &[u8], value_len: u32, value: &[u8]) -> Vec<u8> {
    let mut out = key_len.to_be_bytes().to_vec();
    out.extend_from_slice(key);
    out.extend_from_slice(&value_len.to_be_bytes());
    out.extend_from_slice(value);
    out
}

#[test]
fn header_counts_and_sizes_above_their_limits_are_refused() {
    let rec = RawRecord {
        header_count: HEADERS_PER_RECORD_MAX + 1,
        ..REC
    }
    .encode();
    assert_limit(validate(&raw_batch(GOOD, &rec)), "headers per record");
    let h = header_bytes(HEADER_KEY_BYTES_MAX as u16 + 1, b"", 0, b"");
    let rec = RawRecord {
        header_count: 1,
        headers: &h,
        ..REC
    }
    .encode();
    assert_limit(validate(&raw_batch(GOOD, &rec)), "header key bytes");
    let h = header_bytes(1, b"h", HEADER_VALUE_BYTES_MAX + 1, b"");
    let rec = RawRecord {
        header_count: 1,
        headers: &h,
        ..REC
    }
    .encode();
    assert_limit(validate(&raw_batch(GOOD, &rec)), "header value bytes");
}

#[test]
fn header_keys_must_be_utf8() {
    let h = header_bytes(2, b"\xc3\x28", 0, b"");
    let rec = RawRecord {
        header_count: 1,
        headers: &h,
        ..REC
    }
    .encode();
    let err = validate(&raw_batch(GOOD, &rec)).unwrap_err();
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
    }
    .encode();
    let err = validate(&raw_batch(GOOD, &rec)).unwrap_err();
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

#[test]
fn a_corrupt_batch_stops_the_batch_iterator() {
    let good = common::batch_keyed();
    let mut bad = common::batch_unkeyed();
    bad[12] = 9;
    let joined = [good.clone(), bad, common::batch_headers()].concat();
    let mut it = rustlog_protocol::batch::batches(&joined);
    assert_eq!(it.next().unwrap().unwrap().as_bytes(), &good[..]);
    assert!(matches!(
        it.next(),
        Some(Err(ProtocolError::InvalidBatch { .. }))
    ));
    assert!(it.next().is_none());
}

#[test]
fn compaction_rebuild_keeps_offsets_and_the_last_offset() {
    let mut stamped = common::batch_multi();
    set_base_offset(&mut stamped, 100);
    let view = RecordBatchView::parse(&stamped).unwrap();
    // Keep records 101 and 103 only.
    let kept: Vec<_> = view
        .records()
        .map(Result::unwrap)
        .filter(|r| r.offset == 101 || r.offset == 103)
        .collect();
    let rebuilt = rebuild_batch(kept.clone(), 101, view.header().last_offset())
        .unwrap()
        .unwrap();
    let rv = RecordBatchView::parse(&rebuilt).unwrap();
    rv.validate().unwrap();
    assert_eq!(rv.header().base_offset, 101);
    assert_eq!(
        rv.header().next_offset(),
        105,
        "the log's next offset is unchanged"
    );
    let again: Vec<_> = rv.records().map(Result::unwrap).collect();
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
    assert!(rebuild_batch(Vec::new(), 0, 0).unwrap().is_none());
    // A base offset after a kept record cannot be expressed.
    assert!(matches!(
        rebuild_batch(kept, 102, 104),
        Err(ProtocolError::InvalidBatch { .. })
    ));
}
