//! Scenario: the process dies in the middle of retention or compaction (simulated by stopping
//! between steps with a test hook). On reopen the log is consistent: all old or all new.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rustlog_broker::storage::{CleanupPolicy, CrashPoint, LogConfig, PartitionLog, StorageError};

fn compact_config() -> LogConfig {
    LogConfig {
        cleanup_policy: CleanupPolicy::Compact,
        ..small_config(300)
    }
}

/// Many overwritten keys over several segments; returns (before, after compaction) contents,
/// computed in a scratch copy.
fn compactable_log(dir: &std::path::Path) -> PartitionLog {
    let log = open(dir, compact_config());
    for i in 0..60u8 {
        let key = vec![b'k', i % 5];
        log.append(&batch(&[(1, Some(key), Some(vec![i; 20]))]))
            .unwrap();
    }
    log.roll().unwrap();
    log
}

fn expected_after_compaction() -> Vec<Rec> {
    let scratch = tempfile::tempdir().unwrap();
    let log = compactable_log(scratch.path());
    log.compact(10).unwrap();
    read_all(&log)
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".cleaned") || n.ends_with(".tmp") || n == "cleaner-swap.json")
        .collect()
}

fn crash_compaction_at(point: CrashPoint) -> (Vec<Rec>, Vec<Rec>, Vec<Rec>) {
    let dir = tempfile::tempdir().unwrap();
    let log = compactable_log(dir.path());
    let before = read_all(&log);
    log.set_crash_point(Some(point));
    let err = log.compact(10).unwrap_err();
    assert!(matches!(err, StorageError::SimulatedCrash { .. }), "{err}");
    drop(log); // the "crash": nothing else runs
    let log = open(dir.path(), compact_config());
    let after_reopen = read_all(&log);
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
    // The log keeps working: compaction completes and appends continue.
    log.compact(10).unwrap();
    assert_eq!(read_all(&log), expected_after_compaction());
    assert_eq!(
        log.append(&simple_batch("z", 1, 1)).unwrap().base_offset,
        60
    );
    (before, after_reopen, expected_after_compaction())
}

#[test]
fn crash_before_the_swap_is_committed_leaves_the_old_segments() {
    let (before, after, _) = crash_compaction_at(CrashPoint::CompactionBeforeSwapMarker);
    assert_eq!(after, before);
}

#[test]
fn crash_right_after_the_commit_marker_rolls_forward_to_the_new_segments() {
    let (before, after, compacted) = crash_compaction_at(CrashPoint::CompactionAfterSwapMarker);
    assert_ne!(before, compacted);
    assert_eq!(after, compacted);
}

#[test]
fn crash_in_the_middle_of_the_renames_rolls_forward_too() {
    let (_, after, compacted) = crash_compaction_at(CrashPoint::CompactionMidSwap);
    assert_eq!(after, compacted);
}

#[test]
fn crash_after_the_retention_checkpoint_finishes_the_deletion_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        retention_ms: Some(1_000),
        ..small_config(400)
    };
    let log = open(dir.path(), config.clone());
    for i in 0..30 {
        log.append(&simple_batch(&format!("r{i}"), 2, i * 100))
            .unwrap();
    }
    let all = read_all(&log);
    let files_before = files_with_ext(dir.path(), "log").len();
    log.set_crash_point(Some(CrashPoint::RetentionAfterCheckpoint));
    let err = log.maintain(2_500).unwrap_err();
    assert!(matches!(err, StorageError::SimulatedCrash { .. }), "{err}");
    // In memory nothing changed yet; on disk only the checkpoint did.
    assert_eq!(log.log_start_offset(), 0);
    assert_eq!(files_with_ext(dir.path(), "log").len(), files_before);
    drop(log);
    let log = open(dir.path(), config);
    let start = log.log_start_offset();
    assert!(start > 0);
    assert_eq!(
        files_with_ext(dir.path(), "log").len(),
        log.info().segments.len()
    );
    assert!(files_with_ext(dir.path(), "log").len() < files_before);
    let remaining = read_all(&log);
    assert_eq!(remaining[..], all[start as usize..]);
}
