//! Scenario: the disk fails — a write errors, a write is torn short, fsync fails (even with
//! ENOSPC). The log answers with a clear error, turns read-only (never retries and acks), keeps
//! serving reads, loses no acknowledged record, and reopens cleanly. A full disk on a write is
//! not a failure: `disk_full.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use rustlog_broker::storage::{
    FaultyIo, FsyncPolicy, Io, LogConfig, PartitionLog, StorageError, WriteFault,
};
use rustlog_protocol::ErrorCode;

fn config(fsync: FsyncPolicy) -> LogConfig {
    LogConfig {
        fsync,
        ..small_config(2000)
    }
}

/// Appends until an error; returns the acknowledged records and the error.
fn append_until_error(log: &PartitionLog, always: bool) -> (Vec<Rec>, StorageError) {
    for i in 0..1000 {
        let b = simple_batch(&format!("a{i}"), 2, i);
        match log.append(&b).and_then(|info| {
            if always {
                log.sync_to(info.last_offset)?;
            }
            Ok(info)
        }) {
            Ok(_) => {}
            Err(e) => {
                let acked = read_all(log)
                    .into_iter()
                    .filter(|r| !always || r.offset < log.durable_offset())
                    .collect();
                return (acked, e);
            }
        }
    }
    panic!("the injected fault never fired");
}

fn assert_refuses_appends_but_reads(log: &PartitionLog, acked: &[Rec]) {
    assert!(log.is_read_only());
    let again = log.append(&simple_batch("late", 1, 1)).unwrap_err();
    assert!(matches!(again, StorageError::ReadOnly { .. }), "{again}");
    let served = read_all(log);
    assert!(served.len() >= acked.len());
    assert_eq!(&served[..acked.len()], acked);
}

fn reopen_clean(dir: &std::path::Path, acked: &[Rec]) {
    let log = open(dir, small_config(2000));
    let all = read_all(&log);
    assert!(all.len() >= acked.len(), "acknowledged records lost");
    assert_eq!(&all[..acked.len()], acked);
    let next = log.append(&simple_batch("after", 1, 1)).unwrap();
    assert_eq!(next.base_offset, all.len() as u64);
}

#[test]
fn a_failed_write_turns_the_log_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    faulty.only_paths_ending_with(Some(".log"));
    faulty.fail_nth_write(7, WriteFault::Error);
    let io: Arc<dyn Io> = Arc::new(faulty.clone());
    let log = PartitionLog::open(dir.path(), config(FsyncPolicy::Never), io).unwrap();
    let (acked, err) = append_until_error(&log, false);
    assert_eq!(acked.len(), 12, "six batches of two were written");
    assert!(matches!(err, StorageError::Io { op: "write", .. }), "{err}");
    assert_eq!(err.code(), ErrorCode::StorageError);
    assert!(err.to_string().contains(".log"), "{err}");
    assert_refuses_appends_but_reads(&log, &acked);
    drop(log);
    reopen_clean(dir.path(), &acked);
}

#[test]
fn a_torn_short_write_is_cut_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    faulty.only_paths_ending_with(Some(".log"));
    faulty.fail_nth_write(4, WriteFault::Short { bytes: 30 });
    let io: Arc<dyn Io> = Arc::new(faulty);
    let log = PartitionLog::open(dir.path(), config(FsyncPolicy::Never), io).unwrap();
    let (acked, _err) = append_until_error(&log, false);
    assert_eq!(acked.len(), 6);
    assert_refuses_appends_but_reads(&log, &acked);
    drop(log);
    let active = files_with_ext(dir.path(), "log").pop().unwrap();
    let len_with_torn_tail = std::fs::metadata(&active).unwrap().len();
    reopen_clean(dir.path(), &acked);
    assert!(std::fs::metadata(&active).unwrap().len() < len_with_torn_tail + 100);
}

#[test]
fn a_failed_fsync_is_never_acknowledged_and_never_retried() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    faulty.only_paths_ending_with(Some(".log"));
    faulty.fail_nth_sync(5);
    let io: Arc<dyn Io> = Arc::new(faulty.clone());
    let log = PartitionLog::open(dir.path(), config(FsyncPolicy::Always), io).unwrap();
    let (acked, err) = append_until_error(&log, true);
    assert!(matches!(err, StorageError::Io { op: "fsync", .. }), "{err}");
    assert!(acked.len() >= 8, "{}", acked.len());
    let syncs_after_failure = faulty.syncs();
    // Waiting again does not retry the fsync and does not succeed.
    let hw = log.high_watermark();
    assert!(log.sync_to(hw - 1).is_err());
    assert!(log.flush().is_err());
    assert_eq!(faulty.syncs(), syncs_after_failure, "fsync was retried");
    assert_refuses_appends_but_reads(&log, &acked);
    drop(log);
    reopen_clean(dir.path(), &acked);
}

#[test]
fn an_fsync_that_reports_enospc_is_still_an_fsync_failure() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    faulty.only_paths_ending_with(Some(".log"));
    faulty.fail_nth_sync_with_enospc(3);
    let io: Arc<dyn Io> = Arc::new(faulty.clone());
    let log = PartitionLog::open(dir.path(), config(FsyncPolicy::Always), io).unwrap();
    let (acked, err) = append_until_error(&log, true);
    // Not DiskFull: the pages the fsync lost are gone, so no retry may ever ack them.
    assert!(matches!(err, StorageError::Io { op: "fsync", .. }), "{err}");
    assert_eq!(err.code(), ErrorCode::StorageError);
    assert!(!err.code().is_retriable());
    assert!(!log.is_disk_full());
    let syncs_after_failure = faulty.syncs();
    faulty.reset();
    assert_refuses_appends_but_reads(&log, &acked);
    assert!(log.flush().is_err(), "never retried, even with space");
    assert_eq!(
        faulty.syncs(),
        0,
        "fsync was retried after {syncs_after_failure}"
    );
    drop(log);
    reopen_clean(dir.path(), &acked);
}

#[test]
fn a_failure_while_sealing_a_segment_stops_appends() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    faulty.only_paths_ending_with(Some(".index.tmp")); // indexes are replaced atomically
    faulty.fail_nth_write(1, WriteFault::Error);
    let io: Arc<dyn Io> = Arc::new(faulty);
    // fsync never: the only index writes are the ones a roll does.
    let log = PartitionLog::open(dir.path(), config(FsyncPolicy::Never), io).unwrap();
    let (acked, err) = append_until_error(&log, false);
    assert!(err.to_string().contains(".index"), "{err}");
    assert_refuses_appends_but_reads(&log, &acked);
    drop(log);
    reopen_clean(dir.path(), &acked);
}

#[test]
fn a_failed_compaction_leaves_the_log_as_it_was_and_writable() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    faulty.only_paths_ending_with(Some(".log.cleaned"));
    faulty.fail_nth_write(1, WriteFault::DiskFull);
    let io: Arc<dyn Io> = Arc::new(faulty);
    let config = LogConfig {
        cleanup_policy: rustlog_broker::storage::CleanupPolicy::Compact,
        ..small_config(300)
    };
    let log = PartitionLog::open(dir.path(), config, io).unwrap();
    // Even records have their own key (kept), odd ones share three (mostly removed), so every
    // segment is rewritten with something left in it.
    for i in 0..30u8 {
        let key = if i % 2 == 0 {
            vec![100 + i]
        } else {
            vec![i % 3]
        };
        log.append(&batch(&[(1, Some(key), Some(vec![i; 30]))]))
            .unwrap();
    }
    log.roll().unwrap();
    let before = read_all(&log);
    let err = log.compact(10).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DiskFull, "{err}");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".cleaned")), "{names:?}");
    assert_eq!(read_all(&log), before);
    assert!(
        !log.is_read_only(),
        "a failed compaction loses nothing; appends go on"
    );
    log.append(&simple_batch("after", 1, 1)).unwrap();
    // The fault was one-shot: the next pass succeeds.
    assert!(log.compact(10).unwrap().records_removed > 0);
}
