//! Scenario: the basic life of a partition log — append, read back, roll, reopen.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rustlog_broker::storage::{ReadResult, StorageError};
use rustlog_protocol::ErrorCode;

#[test]
fn append_assigns_offsets_and_reads_return_the_stored_batches() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config(1 << 20));
    assert_eq!(log.high_watermark(), 0);
    let a = log.append(&simple_batch("a", 3, 1_000)).unwrap();
    let b = log.append(&simple_batch("b", 2, 2_000)).unwrap();
    assert_eq!((a.base_offset, a.last_offset, a.record_count), (0, 2, 3));
    assert_eq!((b.base_offset, b.last_offset), (3, 4));
    assert_eq!(b.max_timestamp_ms, 2_000);
    assert_eq!(log.high_watermark(), 5);

    let all = read_all(&log);
    assert_eq!(all.len(), 5);
    assert_eq!(all[3].value.as_deref(), Some(&b"b-0"[..]));
    assert!(all.iter().enumerate().all(|(i, r)| r.offset == i as u64));

    // Reading from the middle of a batch returns the whole batch.
    let mid = log.read(1, 1).unwrap();
    assert_eq!(decode(&mid.records).first().unwrap().offset, 0);
    assert_eq!(mid.high_watermark, 5);

    // At the high watermark: empty; beyond it: out of range.
    let at_end: ReadResult = log.read(5, 1024).unwrap();
    assert!(at_end.records.is_empty());
    let err = log.read(6, 1024).unwrap_err();
    assert!(
        matches!(err, StorageError::OffsetOutOfRange { offset: 6, .. }),
        "{err}"
    );
    assert_eq!(err.code(), ErrorCode::OffsetOutOfRange);
}

#[test]
fn a_bad_batch_is_rejected_and_nothing_is_appended() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config(1 << 20));
    let mut bad = simple_batch("x", 2, 5);
    let last = bad.len() - 1;
    bad[last] ^= 0x40;
    let err = log.append(&bad).unwrap_err();
    assert!(matches!(err, StorageError::InvalidBatch(_)), "{err}");
    assert_eq!(err.code(), ErrorCode::CorruptRecord);
    assert!(matches!(
        log.append(&[1, 2, 3]).unwrap_err(),
        StorageError::InvalidBatch(_)
    ));
    let mut two = simple_batch("x", 1, 5);
    two.extend_from_slice(&simple_batch("y", 1, 5));
    let err = log.append(&two).unwrap_err();
    assert!(
        matches!(err, StorageError::InvalidBatch(_)),
        "exactly one batch per append: {err}"
    );
    assert_eq!(log.high_watermark(), 0);
    // The log still works.
    assert_eq!(
        log.append(&simple_batch("ok", 1, 5)).unwrap().base_offset,
        0
    );
}

#[test]
fn segments_roll_by_size_and_reads_cross_them() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config(600));
    for i in 0..40 {
        log.append(&simple_batch(&format!("r{i}"), 2, 10 * i))
            .unwrap();
    }
    let info = log.info();
    assert!(info.segments.len() > 3, "{info:?}");
    assert!(info.segments.iter().rev().skip(1).all(|s| s.sealed));
    for pair in info.segments.windows(2) {
        assert_eq!(pair[0].next_offset, pair[1].base_offset);
    }
    assert_eq!(files_with_ext(dir.path(), "log").len(), info.segments.len());
    assert_eq!(
        files_with_ext(dir.path(), "log")[1]
            .file_name()
            .unwrap()
            .to_str()
            .unwrap(),
        format!("{:020}.log", info.segments[1].base_offset)
    );
    let all = read_all(&log);
    assert_eq!(all.len(), 80);
    assert!(all.iter().enumerate().all(|(i, r)| r.offset == i as u64));
    // Small budgets: every offset is reachable one batch at a time.
    assert_eq!(read_all_from(&log, 0, 1), all);
    assert_eq!(read_all_from(&log, 37, 1).first().unwrap().offset, 37);
}

/// The broker appends on an async worker with `try_append` and moves to the blocking pool only
/// for a roll: it must decline exactly the batches that need one, without touching the log.
#[test]
fn try_append_declines_only_a_batch_that_needs_a_roll_and_changes_nothing_then() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config(600));
    let mut appended = 0;
    let declined = loop {
        let batch = simple_batch(&format!("r{appended}"), 2, 10 * appended);
        match log.try_append(&batch).unwrap() {
            Some(info) => assert_eq!(info.base_offset, 2 * appended as u64),
            None => break batch,
        }
        appended += 1;
        assert!(appended < 100, "600-byte segments never needed a roll");
    };
    assert!(
        appended > 0,
        "the first batch of an empty segment never rolls"
    );
    let before = log.info();
    assert_eq!(before.segments.len(), 1);
    assert_eq!(log.high_watermark(), 2 * appended as u64);
    assert_eq!(
        files_with_ext(dir.path(), "log").len(),
        1,
        "no file created"
    );
    // Declined again while nothing changed; a bad batch still gets its error first.
    assert!(log.try_append(&declined).unwrap().is_none());
    assert!(log.try_append(b"not a batch").is_err());
    let info = log.append(&declined).unwrap();
    assert_eq!(info.base_offset, 2 * appended as u64);
    assert_eq!(log.info().segments.len(), 2);
    let all = read_all(&log);
    assert_eq!(all.len(), 2 * appended as usize + 2);
    assert!(all.iter().enumerate().all(|(i, r)| r.offset == i as u64));
}

#[test]
fn reopen_keeps_everything_and_continues_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let log = open(dir.path(), small_config(700));
        for i in 0..30 {
            log.append(&simple_batch(&format!("r{i}"), 3, 100 + i))
                .unwrap();
        }
        log.flush().unwrap();
        read_all(&log)
    };
    let log = open(dir.path(), small_config(700));
    assert_eq!(log.high_watermark(), 90);
    assert_eq!(read_all(&log), before);
    assert_eq!(
        log.append(&simple_batch("next", 1, 7)).unwrap().base_offset,
        90
    );
    drop(log);
    let log = open(dir.path(), small_config(700));
    assert_eq!(log.high_watermark(), 91);
}

#[test]
fn offset_for_timestamp_finds_the_first_record_at_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config(500));
    // Timestamps 0, 10, 20, ... one record per batch, with one out-of-order record.
    for i in 0..50i64 {
        let ts = if i == 30 { 5 } else { i * 10 };
        log.append(&batch(&[(ts, None, Some(vec![i as u8]))]))
            .unwrap();
    }
    assert_eq!(log.offset_for_timestamp(0).unwrap(), Some((0, 0)));
    assert_eq!(log.offset_for_timestamp(1).unwrap(), Some((1, 10)));
    assert_eq!(log.offset_for_timestamp(255).unwrap(), Some((26, 260)));
    assert_eq!(log.offset_for_timestamp(490).unwrap(), Some((49, 490)));
    assert_eq!(log.offset_for_timestamp(491).unwrap(), None);
    // Same answers after a reopen (sealed indexes loaded from disk).
    drop(log);
    let log = open(dir.path(), small_config(500));
    assert_eq!(log.offset_for_timestamp(255).unwrap(), Some((26, 260)));
    assert_eq!(log.offset_for_timestamp(491).unwrap(), None);
}

#[test]
fn sync_to_and_flush_make_appends_durable() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = small_config(1 << 20);
    config.fsync = rustlog_broker::storage::FsyncPolicy::Always;
    let log = open(dir.path(), config);
    let info = log.append(&simple_batch("a", 10, 1)).unwrap();
    assert!(log.durable_offset() <= info.last_offset);
    log.sync_to(info.last_offset).unwrap();
    assert!(log.durable_offset() > info.last_offset);
    log.append(&simple_batch("b", 1, 1)).unwrap();
    log.flush().unwrap();
    assert_eq!(log.durable_offset(), log.high_watermark());
}

#[test]
fn group_commit_serves_many_concurrent_appenders() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = small_config(64 * 1024);
    config.fsync = rustlog_broker::storage::FsyncPolicy::Always;
    let log = std::sync::Arc::new(open(dir.path(), config));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let info = log
                        .append(&simple_batch(&format!("t{t}-{i}"), 5, 1))
                        .unwrap();
                    log.sync_to(info.last_offset).unwrap();
                    assert!(log.durable_offset() > info.last_offset);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(log.high_watermark(), 4 * 50 * 5);
    assert_eq!(read_all(&log).len(), 1000);
}
