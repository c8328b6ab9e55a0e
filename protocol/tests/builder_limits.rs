//! The batch builder enforces every limit as records are pushed: an oversized record is refused
//! with `LimitExceeded`, the builder is left unchanged, and `finish` never produces a batch a
//! reader would refuse.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::batch::{BATCH_HEADER_BYTES, RECORD_OVERHEAD_BYTES};
use rustlog_protocol::limits::{
    BATCH_BYTES_MAX, HEADERS_PER_RECORD_MAX, HEADER_KEY_BYTES_MAX, HEADER_VALUE_BYTES_MAX,
    KEY_BYTES_MAX, RECORDS_PER_BATCH_MAX, VALUE_BYTES_MAX,
};
use rustlog_protocol::{ProtocolError, RecordBatchBuilder, RecordBatchView};

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
    headers: &[(&str, &[u8])],
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
    b.push(5, Some(&key), Some(&value), &[(&header_key, &header_value)])
        .unwrap();
    let many: Vec<(&str, &[u8])> = (0..HEADERS_PER_RECORD_MAX)
        .map(|_| ("x", &b""[..]))
        .collect();
    b.push(6, None, None, &many).unwrap();
    let batch = b.finish(0);
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
    let many: Vec<(&str, &[u8])> = (0..=HEADERS_PER_RECORD_MAX)
        .map(|_| ("x", &b""[..]))
        .collect();
    refused(&mut b, None, None, &many, "headers per record");
    let long_key = "h".repeat(HEADER_KEY_BYTES_MAX as usize + 1);
    refused(&mut b, None, None, &[(&long_key, b"")], "header key bytes");
    let long_value = vec![0u8; HEADER_VALUE_BYTES_MAX as usize + 1];
    refused(
        &mut b,
        None,
        None,
        &[("h", &long_value)],
        "header value bytes",
    );
    // The builder still finishes into the one good record.
    let batch = b.finish(0);
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
    let batch = b.finish(0);
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
    let batch = b.finish(0);
    let view = RecordBatchView::parse(&batch).unwrap();
    view.validate_for_append().unwrap();
    assert_eq!(view.header().record_count, RECORDS_PER_BATCH_MAX);
    assert_eq!(view.header().last_offset_delta, RECORDS_PER_BATCH_MAX - 1);
}

#[test]
fn encoded_lengths_are_exact() {
    let mut b = RecordBatchBuilder::new();
    assert!(b.is_empty());
    assert_eq!(b.encoded_len(), BATCH_HEADER_BYTES);
    let headers: [(&str, &[u8]); 2] = [("ab", b"xyz"), ("", b"")];
    let expected = RecordBatchBuilder::record_encoded_len(Some(b"key"), Some(b"value"), &headers);
    assert_eq!(
        expected,
        RECORD_OVERHEAD_BYTES + 3 + 5 + (2 + 2 + 4 + 3) + (2 + 4)
    );
    b.push(1, Some(b"key"), Some(b"value"), &headers).unwrap();
    assert_eq!(b.encoded_len(), BATCH_HEADER_BYTES + expected);
    assert_eq!(b.clone().finish(0).len(), b.encoded_len());
    // Null and empty fields cost the same four length bytes.
    assert_eq!(
        RecordBatchBuilder::record_encoded_len(None, None, &[]),
        RecordBatchBuilder::record_encoded_len(Some(b""), Some(b""), &[])
    );
}

#[test]
fn timestamps_set_first_and_max() {
    let mut b = RecordBatchBuilder::new();
    b.push(100, None, Some(b"a"), &[]).unwrap();
    b.push(90, None, Some(b"b"), &[]).unwrap();
    b.push(300, None, Some(b"c"), &[]).unwrap();
    let batch = b.finish(7);
    let view = RecordBatchView::parse(&batch).unwrap();
    view.validate_for_append().unwrap();
    assert_eq!(view.header().first_timestamp, 100);
    assert_eq!(view.header().max_timestamp, 300);
    let ts: Vec<i64> = view.records().map(|r| r.unwrap().timestamp_ms).collect();
    assert_eq!(ts, [100, 90, 300]);
}
