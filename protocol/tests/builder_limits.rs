//! The batch builder enforces every limit as records are pushed: an oversized record is refused
//! with `LimitExceeded`, the builder is left unchanged, and `finish` never produces a batch a
//! reader would refuse (the one exception, compression growing a batch past its limit, is an
//! error from `finish`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::batch::{HeaderRef, BATCH_HEADER_BYTES, RECORD_OVERHEAD_BYTES};
use rustlog_protocol::limits::{
    BATCH_BYTES_MAX, HEADERS_PER_RECORD_MAX, HEADER_KEY_BYTES_MAX, HEADER_VALUE_BYTES_MAX,
    KEY_BYTES_MAX, RECORDS_PER_BATCH_MAX, VALUE_BYTES_MAX,
};
use rustlog_protocol::{
    Compression, ErrorCode, ProtocolError, RecordBatchBuilder, RecordBatchView,
};

fn assert_limit(result: Result<(), ProtocolError>, expected_what: &str) {
    match result {
        Err(ProtocolError::LimitExceeded { what, value, max }) => {
            assert_eq!(what, expected_what);
            assert!(value > max, "{value} > {max}");
        }
        other => panic!("expected LimitExceeded({expected_what}), got {other:?}"),
    }
}

/// Pushes a record that must be refused and checks the builder did not change.
fn refused(
    b: &mut RecordBatchBuilder,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[HeaderRef<'_>],
    what: &str,
) {
    let (len, count) = (b.encoded_len(), b.record_count());
    assert_limit(b.push(1, key, value, headers), what);
    assert_limit(RecordBatchBuilder::check_record(key, value, headers), what);
    assert_eq!((b.encoded_len(), b.record_count()), (len, count));
}

#[test]
fn records_at_each_limit_are_accepted() {
    let key = vec![b'k'; KEY_BYTES_MAX as usize];
    let value = vec![b'v'; VALUE_BYTES_MAX as usize];
    let header_key = "h".repeat(HEADER_KEY_BYTES_MAX as usize);
    let header_value = vec![0u8; HEADER_VALUE_BYTES_MAX as usize];
    let mut b = RecordBatchBuilder::new();
    b.push(
        5,
        Some(&key),
        Some(&value),
        &[(&header_key, Some(&header_value))],
    )
    .unwrap();
    let many: Vec<HeaderRef<'_>> = (0..HEADERS_PER_RECORD_MAX)
        .map(|i| ("x", (i % 2 == 0).then_some(&b""[..])))
        .collect();
    b.push(6, None, None, &many).unwrap();
    let batch = b.finish(0).unwrap();
    let view = RecordBatchView::parse(&batch).unwrap();
    view.validate_for_append().unwrap();
    assert_eq!(view.header().record_count, 2);
}

#[test]
fn records_over_a_limit_are_refused_and_leave_the_builder_unchanged() {
    let mut b = RecordBatchBuilder::new();
    b.push(1, Some(b"k"), Some(b"v"), &[]).unwrap();
    let big_key = vec![0u8; KEY_BYTES_MAX as usize + 1];
    refused(&mut b, Some(&big_key), None, &[], "record key");
    let big_value = vec![0u8; VALUE_BYTES_MAX as usize + 1];
    refused(&mut b, None, Some(&big_value), &[], "record value");
    let many: Vec<HeaderRef<'_>> = (0..=HEADERS_PER_RECORD_MAX).map(|_| ("x", None)).collect();
    refused(&mut b, None, None, &many, "headers per record");
    let long_key = "h".repeat(HEADER_KEY_BYTES_MAX as usize + 1);
    refused(&mut b, None, None, &[(&long_key, None)], "header key bytes");
    let long_value = vec![0u8; HEADER_VALUE_BYTES_MAX as usize + 1];
    refused(
        &mut b,
        None,
        None,
        &[("h", Some(&long_value))],
        "header value bytes",
    );
    // The builder still finishes into the one good record.
    let batch = b.finish(0).unwrap();
    let view = RecordBatchView::parse(&batch).unwrap();
    view.validate_for_append().unwrap();
    assert_eq!(view.header().record_count, 1);
}

#[test]
fn a_full_batch_refuses_the_record_that_would_overflow_it() {
    let value = vec![7u8; VALUE_BYTES_MAX as usize];
    let mut b = RecordBatchBuilder::with_capacity(BATCH_BYTES_MAX as usize);
    while b.push(1, None, Some(&value), &[]).is_ok() {}
    assert_eq!(b.record_count(), 1, "two 4 MiB values do not fit in 8 MiB");
    let len = b.encoded_len();
    assert_limit(b.push(1, None, Some(&value), &[]), "record batch bytes");
    assert_eq!(b.encoded_len(), len);
    // A smaller record still fits.
    b.push(1, None, Some(b"small"), &[]).unwrap();
    let batch = b.finish(0).unwrap();
    assert!(batch.len() <= BATCH_BYTES_MAX as usize);
    RecordBatchView::parse(&batch).unwrap().validate().unwrap();
}

#[test]
fn records_per_batch_is_enforced() {
    let mut b = RecordBatchBuilder::new();
    for _ in 0..RECORDS_PER_BATCH_MAX {
        b.push(0, None, None, &[]).unwrap();
    }
    assert_limit(b.push(0, None, None, &[]), "records per batch");
    let batch = b.finish(0).unwrap();
    let view = RecordBatchView::parse(&batch).unwrap();
    view.validate_for_append().unwrap();
    assert_eq!(view.header().record_count, RECORDS_PER_BATCH_MAX);
    assert_eq!(view.header().last_offset_delta, RECORDS_PER_BATCH_MAX - 1);
}

#[test]
fn encoded_lengths_are_exact_and_the_record_estimate_is_an_upper_bound() {
    let mut b = RecordBatchBuilder::new();
    assert!(b.is_empty());
    assert_eq!(b.encoded_len(), BATCH_HEADER_BYTES);
    let headers: [HeaderRef<'_>; 3] = [("ab", Some(b"xyz")), ("", Some(b"")), ("n", None)];
    let estimate = RecordBatchBuilder::record_encoded_len(Some(b"key"), Some(b"value"), &headers);
    assert_eq!(
        estimate,
        RECORD_OVERHEAD_BYTES + 3 + 5 + (10 + 2 + 3) + 10 + (10 + 1)
    );
    b.push(1, Some(b"key"), Some(b"value"), &headers).unwrap();
    // length 1 | attributes 1 | timestampDelta 1 | offsetDelta 1 | key 1+3 | value 1+5 |
    // headerCount 1 | "ab" 1+2 1+3 | "" 1 1 | "n" 1+1 1: every varint fits one byte here.
    let exact = 1 + 1 + 1 + 1 + 4 + 6 + 1 + 7 + 2 + 3;
    assert_eq!(b.encoded_len(), BATCH_HEADER_BYTES + exact);
    assert!(exact <= estimate);
    assert_eq!(b.clone().finish(0).unwrap().len(), b.encoded_len());
    // Null and empty fields cost the same: a one-byte varint, -1 or 0.
    assert_eq!(
        RecordBatchBuilder::record_encoded_len(None, None, &[]),
        RecordBatchBuilder::record_encoded_len(Some(b""), Some(b""), &[])
    );
    let mut null = RecordBatchBuilder::new();
    null.push(1, None, None, &[]).unwrap();
    let mut empty = RecordBatchBuilder::new();
    empty.push(1, Some(b""), Some(b""), &[]).unwrap();
    assert_eq!(null.encoded_len(), empty.encoded_len());
}

#[test]
fn codec_levels_are_checked_when_the_builder_is_configured() {
    for (codec, good, bad) in [
        (Compression::Gzip, 9, 10),
        (Compression::Zstd, 22, 23),
        (Compression::Zstd, -7, -8),
    ] {
        RecordBatchBuilder::new()
            .compression(codec, Some(good))
            .unwrap();
        let err = RecordBatchBuilder::new()
            .compression(codec, Some(bad))
            .unwrap_err();
        assert!(
            matches!(err, ProtocolError::InvalidCompressionLevel { level, .. } if level == bad),
            "{err}"
        );
        assert_eq!(err.code(), ErrorCode::UnsupportedCompressionType);
    }
    for codec in [Compression::None, Compression::Snappy, Compression::Lz4] {
        RecordBatchBuilder::new().compression(codec, None).unwrap();
        assert!(RecordBatchBuilder::new()
            .compression(codec, Some(1))
            .is_err());
    }
}

/// Deterministic incompressible bytes (xorshift64).
fn noise(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

#[test]
fn a_full_batch_that_compression_grows_past_the_limit_fails_in_finish() {
    let mut b = RecordBatchBuilder::with_capacity(BATCH_BYTES_MAX as usize)
        .compression(Compression::Gzip, Some(0))
        .unwrap();
    // Fill to within a few bytes of the limit with incompressible values, all different.
    let mut seed = 1;
    for len in [1 << 20, 512, 16] {
        loop {
            seed += 1;
            if b.push(1, None, Some(&noise(len, seed)), &[]).is_err() {
                break;
            }
        }
    }
    assert!(b.encoded_len() > BATCH_BYTES_MAX as usize - 64);
    // Uncompressed it would fit...
    let plain = b.clone().compression(Compression::None, None).unwrap();
    assert!(plain.finish(0).unwrap().len() <= BATCH_BYTES_MAX as usize);
    // ...but gzip at level 0 stores it in deflate blocks, 5 bytes of framing per 64 KiB.
    assert_limit(b.finish(0).map(|_| ()), "record batch bytes");
}

#[test]
fn timestamps_set_base_and_max() {
    let mut b = RecordBatchBuilder::new();
    b.push(100, None, Some(b"a"), &[]).unwrap();
    b.push(90, None, Some(b"b"), &[]).unwrap();
    b.push(300, None, Some(b"c"), &[]).unwrap();
    let batch = b.finish(7).unwrap();
    let view = RecordBatchView::parse(&batch).unwrap();
    view.validate_for_append().unwrap();
    assert_eq!(view.header().base_timestamp, 100);
    assert_eq!(view.header().max_timestamp, 300);
    let records = view.records().unwrap();
    let ts: Vec<i64> = records.iter().map(|r| r.unwrap().timestamp_ms).collect();
    assert_eq!(ts, [100, 90, 300]);
}
