//! Scenario: readers keep reading while appends roll segments, retention deletes them and
//! compaction swaps them. No SIGBUS, no torn or wrong bytes: every record served is exactly
//! the record written at its offset.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::*;
use rustlog_broker::storage::{CleanupPolicy, LogConfig, OpenSegments, PartitionLog, StorageError};

/// The value written at `offset`: readers can check any record on its own.
fn value_for(offset: u64) -> Vec<u8> {
    format!("value-of-{offset}-{}", "x".repeat((offset % 50) as usize)).into_bytes()
}

fn append_one(log: &PartitionLog, keys: u64) {
    let next = log.high_watermark();
    let key = format!("k{}", next % keys).into_bytes();
    log.append(&batch(&[(next as i64, Some(key), Some(value_for(next)))]))
        .unwrap();
}

fn reader(log: Arc<PartitionLog>, stop: Arc<AtomicBool>) -> u64 {
    let mut checked = 0u64;
    let mut held = Vec::new();
    let mut next = 0u64;
    while !stop.load(Ordering::Relaxed) {
        match log.read(next, 4096) {
            Ok(res) => {
                for r in decode(&res.records) {
                    assert_eq!(
                        r.value.as_deref(),
                        Some(&value_for(r.offset)[..]),
                        "offset {}",
                        r.offset
                    );
                    checked += 1;
                    next = next.max(r.offset + 1);
                }
                if res.records.is_empty() {
                    next = log.log_start_offset().max(next);
                    std::thread::yield_now();
                }
                // Keep some buffers across deletions and swaps, and check them again later.
                if held.len() < 64 {
                    held.push(res.records);
                }
            }
            Err(StorageError::OffsetOutOfRange {
                log_start_offset,
                high_watermark,
                ..
            }) => {
                next = if next > high_watermark {
                    0
                } else {
                    log_start_offset
                };
            }
            Err(e) => panic!("reader failed: {e}"),
        }
        if next >= log.high_watermark() {
            next = 0; // start over: exercise the oldest (soon deleted) segments too
        }
    }
    for bytes in held {
        for r in decode(&bytes) {
            assert_eq!(r.value.as_deref(), Some(&value_for(r.offset)[..]));
        }
    }
    checked
}

/// `open_segments_max` 1 makes nearly every read of a sealed segment unmap another one and map
/// its own again, while retention and compaction replace them.
fn run(config: LogConfig, keys: u64, open_segments_max: usize) {
    let dir = tempfile::tempdir().unwrap();
    let cap = OpenSegments::new(open_segments_max);
    let log =
        Arc::new(PartitionLog::open_capped(dir.path(), config, std_io(), cap.clone()).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (log, stop) = (log.clone(), stop.clone());
            std::thread::spawn(move || reader(log, stop))
        })
        .collect();
    for round in 0..60 {
        for _ in 0..20 {
            append_one(&log, keys);
        }
        // Time far in the future: retention may delete every sealed segment.
        log.maintain(i64::MAX / 2 + round).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0, "a reader checked nothing");
    }
    assert_eq!(log.high_watermark(), 1200);
    assert!(cap.open_count() <= open_segments_max);
}

fn retention() -> LogConfig {
    LogConfig {
        retention_bytes: Some(3_000),
        ..small_config(1_000)
    }
}

fn compaction() -> LogConfig {
    LogConfig {
        cleanup_policy: CleanupPolicy::Compact,
        ..small_config(1_000)
    }
}

#[test]
fn readers_during_retention() {
    run(retention(), 1_000_000, 1_000);
}

#[test]
fn readers_during_retention_with_one_open_segment() {
    run(retention(), 1_000_000, 1);
}

#[test]
fn readers_during_compaction() {
    run(compaction(), 7, 1_000);
}

#[test]
fn readers_during_compaction_with_one_open_segment() {
    run(compaction(), 7, 1);
}
