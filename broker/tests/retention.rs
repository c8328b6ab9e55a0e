//! Scenario: retention by time and by size deletes whole sealed segments (never the active
//! one), advances the log start offset and remembers it across a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rustlog_broker::storage::{FsyncPolicy, LogConfig, PartitionLog, StorageError};

fn fill(log: &PartitionLog, batches: i64) {
    for i in 0..batches {
        // Timestamp = 1000 * batch number.
        log.append(&simple_batch(&format!("r{i}"), 2, 1000 * i))
            .unwrap();
    }
}

#[test]
fn time_retention_deletes_old_sealed_segments_and_checkpoints_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        retention_ms: Some(10_000),
        ..small_config(500)
    };
    let log = open(dir.path(), config.clone());
    fill(&log, 40);
    let before = log.info();
    let files_before = files_with_ext(dir.path(), "log").len();
    // now = 30_000: segments whose newest record is older than 20_000 go.
    log.maintain(30_000).unwrap();
    let after = log.info();
    assert!(after.segments.len() < before.segments.len());
    let start = log.log_start_offset();
    assert_eq!(start, after.segments[0].base_offset);
    for s in &before.segments {
        let gone = s.base_offset < start;
        assert_eq!(
            gone,
            s.max_timestamp_ms.unwrap() < 20_000 && s.sealed,
            "{s:?}"
        );
    }
    assert!(files_with_ext(dir.path(), "log").len() < files_before);
    let err = log.read(start - 1, 100).unwrap_err();
    assert!(
        matches!(err, StorageError::OffsetOutOfRange { .. }),
        "{err}"
    );
    let remaining = read_all(&log);
    assert_eq!(remaining.first().unwrap().offset, start);
    assert_eq!(remaining.last().unwrap().offset, 79);
    drop(log);
    let log = open(dir.path(), config);
    assert_eq!(log.log_start_offset(), start);
    assert_eq!(read_all(&log), remaining);
}

#[test]
fn size_retention_keeps_at_least_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        retention_bytes: Some(2_000),
        ..small_config(500)
    };
    let log = open(dir.path(), config);
    fill(&log, 40);
    let total_before = log.info().size_bytes;
    log.maintain(0).unwrap();
    let info = log.info();
    assert!(info.size_bytes >= 2_000, "{info:?}");
    assert!(
        info.size_bytes - info.segments[0].size_bytes < 2_000,
        "deleted too little: {info:?}"
    );
    assert!(info.size_bytes < total_before);
    assert_eq!(info.log_start_offset, info.segments[0].base_offset);
}

#[test]
fn the_active_segment_is_never_deleted_and_appends_continue() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        retention_ms: Some(1),
        retention_bytes: Some(0),
        ..small_config(500)
    };
    let log = open(dir.path(), config);
    fill(&log, 20);
    let hw = log.high_watermark();
    log.maintain(1_000_000).unwrap();
    let info = log.info();
    assert_eq!(info.segments.len(), 1);
    assert!(!info.segments[0].sealed);
    assert_eq!(log.high_watermark(), hw);
    assert_eq!(log.log_start_offset(), info.segments[0].base_offset);
    assert_eq!(
        log.append(&simple_batch("x", 1, 5)).unwrap().base_offset,
        hw
    );
}

#[test]
fn segments_roll_by_age_and_interval_fsync_runs_in_maintenance() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        segment_ms: 60_000,
        fsync: FsyncPolicy::Interval { interval_ms: 100 },
        ..small_config(1 << 20)
    };
    let log = open(dir.path(), config);
    log.append(&simple_batch("a", 3, 1)).unwrap();
    assert_eq!(log.durable_offset(), 0);
    let now = rustlog_protocol_now();
    log.maintain(now + 1_000).unwrap();
    assert_eq!(log.durable_offset(), 3, "interval fsync did not run");
    assert_eq!(log.info().segments.len(), 1);
    log.maintain(now + 61_000).unwrap();
    let info = log.info();
    assert_eq!(info.segments.len(), 2, "{info:?}");
    assert!(info.segments[0].sealed);
    // An empty active segment does not roll again.
    log.maintain(now + 200_000).unwrap();
    assert_eq!(log.info().segments.len(), 2);
}

#[test]
fn a_clock_stepped_back_does_not_delay_the_interval_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        fsync: FsyncPolicy::Interval { interval_ms: 100 },
        ..small_config(1 << 20)
    };
    let log = open(dir.path(), config);
    let now = rustlog_protocol_now();
    log.append(&simple_batch("a", 3, 1)).unwrap();
    log.maintain(now + 1_000).unwrap();
    assert_eq!(log.durable_offset(), 3);
    log.append(&simple_batch("b", 3, 2)).unwrap();
    // The wall clock steps back an hour (an NTP step, a VM restored from a snapshot).
    log.maintain(now - 3_600_000).unwrap();
    assert_eq!(log.durable_offset(), 6, "the fsync waited for the clock");
    // And the interval counts from the new clock.
    log.append(&simple_batch("c", 3, 3)).unwrap();
    log.maintain(now - 3_600_000 + 50).unwrap();
    assert_eq!(
        log.durable_offset(),
        6,
        "an fsync before the interval passed"
    );
    log.maintain(now - 3_600_000 + 150).unwrap();
    assert_eq!(log.durable_offset(), 9);
}

fn rustlog_protocol_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
