//! Scenario: one partition's active segment is corrupt in the middle. Start-up quarantines that
//! partition only; the operator's offline `repair` (dry run first) cuts it at the damage,
//! keeping a copy of the cut bytes, and the partition serves its good prefix again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use rustlog_broker::storage::repair::{cut_copy_path, repair};
use rustlog_broker::storage::{LogConfig, LogManager, StorageError};
use rustlog_protocol::batch::batches;
use rustlog_protocol::ErrorCode;

fn config() -> LogConfig {
    small_config(1 << 20)
}

/// Two topics with ten flushed batches each; flips a byte inside the fourth batch of
/// `damaged/0`. Returns (that log file, the byte of the damage).
fn damaged_data_dir(data_dir: &Path) -> (PathBuf, u64) {
    {
        let mgr = LogManager::open(data_dir, config(), std_io()).unwrap();
        for topic in ["damaged", "healthy"] {
            mgr.create_topic(topic, 2, &BTreeMap::new()).unwrap();
            let log = mgr.partition(topic, 0).unwrap();
            for i in 0..10 {
                log.append(&simple_batch(&format!("v{i}"), 2, i)).unwrap();
            }
        }
        mgr.flush_all().unwrap();
    }
    let log = data_dir.join("topics/damaged/0/00000000000000000000.log");
    let mut bytes = std::fs::read(&log).unwrap();
    let fourth: usize = batches(&bytes)
        .take(3)
        .map(|v| v.unwrap().as_bytes().len())
        .sum();
    bytes[fourth + 70] ^= 0x01;
    std::fs::write(&log, &bytes).unwrap();
    (log, fourth as u64)
}

#[test]
fn a_corrupt_partition_is_quarantined_and_every_other_one_opens() {
    let dir = tempfile::tempdir().unwrap();
    let (log_path, byte) = damaged_data_dir(dir.path());
    let before = std::fs::read(&log_path).unwrap();
    let mgr = LogManager::open(dir.path(), config(), std_io()).unwrap();
    assert_eq!(mgr.partition("healthy", 0).unwrap().high_watermark(), 20);
    assert_eq!(mgr.partition("damaged", 1).unwrap().high_watermark(), 0);
    let err = mgr.partition("damaged", 0).unwrap_err();
    assert_eq!(err.code(), ErrorCode::CorruptRecord);
    match &err {
        StorageError::Quarantined { path, position, .. } => {
            assert_eq!(path, &log_path);
            assert_eq!(*position, byte);
        }
        other => panic!("{other}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("00000000000000000000.log") && text.contains(&format!("byte {byte}")),
        "{text}"
    );
    let quarantined = mgr.quarantined();
    assert_eq!(quarantined.len(), 1);
    assert_eq!(
        (quarantined[0].topic.as_str(), quarantined[0].partition),
        ("damaged", 0)
    );
    // Maintenance and flushes pass over it; nothing was cut.
    mgr.run_maintenance(i64::MAX / 2);
    mgr.flush_all().unwrap();
    assert_eq!(std::fs::read(&log_path).unwrap(), before);
}

#[test]
fn repair_refuses_beside_a_broker_and_its_dry_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (log_path, byte) = damaged_data_dir(dir.path());
    let before = std::fs::read(&log_path).unwrap();
    {
        let _broker = LogManager::open(dir.path(), config(), std_io()).unwrap();
        let err = repair(&std_io(), dir.path(), "damaged", 0, false).unwrap_err();
        assert!(matches!(err, StorageError::DataDirLocked { .. }), "{err}");
    }
    let plan = repair(&std_io(), dir.path(), "damaged", 0, true).unwrap();
    let (path, position, _) = plan.damage.clone().unwrap();
    assert_eq!((path, position), (log_path.clone(), byte));
    assert_eq!(plan.cut_bytes, before.len() as u64 - byte);
    assert_eq!(plan.next_offset, 6);
    assert_eq!(plan.recovery_point, 20);
    assert_eq!(std::fs::read(&log_path).unwrap(), before);
    assert!(!cut_copy_path(&log_path, byte).exists());
}

#[test]
fn repair_keeps_the_cut_bytes_and_the_partition_serves_its_good_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let (log_path, byte) = damaged_data_dir(dir.path());
    let before = std::fs::read(&log_path).unwrap();
    let plan = repair(&std_io(), dir.path(), "damaged", 0, false).unwrap();
    assert!(plan.to_string().contains("offsets 6..20"), "{plan}");
    let copy = std::fs::read(cut_copy_path(&log_path, byte)).unwrap();
    assert_eq!(copy, before[byte as usize..]);
    assert_eq!(std::fs::read(&log_path).unwrap(), before[..byte as usize]);

    let mgr = LogManager::open(dir.path(), config(), std_io()).unwrap();
    assert!(mgr.quarantined().is_empty());
    let log = mgr.partition("damaged", 0).unwrap();
    let served = read_all(&log);
    assert_eq!(served.len(), 6);
    assert_eq!(served.last().unwrap().offset, 5);
    // Appends continue after the good prefix (the operator accepted the loss of 6..20).
    let next = log.append(&simple_batch("after", 1, 99)).unwrap();
    assert_eq!(next.base_offset, 6);
    // A second repair finds nothing to cut.
    drop(log);
    drop(mgr);
    let again = repair(&std_io(), dir.path(), "damaged", 0, false).unwrap();
    assert!(again.is_noop(), "{again}");
}

#[test]
fn repair_of_a_sealed_segment_also_cuts_every_later_segment() {
    let dir = tempfile::tempdir().unwrap();
    let small = small_config(400);
    {
        let mgr = LogManager::open(dir.path(), small.clone(), std_io()).unwrap();
        mgr.create_topic("t", 1, &BTreeMap::new()).unwrap();
        let log = mgr.partition("t", 0).unwrap();
        for i in 0..12 {
            log.append(&simple_batch(&format!("v{i}"), 2, i)).unwrap();
        }
        mgr.flush_all().unwrap();
    }
    let part = dir.path().join("topics/t/0");
    let logs = files_with_ext(&part, "log");
    assert!(logs.len() >= 3, "{logs:?}");
    let mut first = std::fs::read(&logs[0]).unwrap();
    let first_len: usize = batches(&first).next().unwrap().unwrap().as_bytes().len();
    first[first_len + 70] ^= 0x01;
    std::fs::write(&logs[0], &first).unwrap();
    // A sealed segment with consistent indexes opens without a full scan: its damage shows
    // when it is read.
    let mgr = LogManager::open(dir.path(), small.clone(), std_io()).unwrap();
    let err = mgr.partition("t", 0).unwrap().read(2, 1 << 20).unwrap_err();
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
    drop(mgr);
    let later: Vec<Vec<u8>> = logs[1..]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let plan = repair(&std_io(), dir.path(), "t", 0, false).unwrap();
    assert_eq!(plan.later_segments, logs[1..]);
    for (path, bytes) in logs[1..].iter().zip(&later) {
        assert!(!path.exists());
        assert_eq!(&std::fs::read(cut_copy_path(path, 0)).unwrap(), bytes);
    }
    let mgr = LogManager::open(dir.path(), small, std_io()).unwrap();
    let log = mgr.partition("t", 0).unwrap();
    assert_eq!(read_all(&log).len(), 2);
    assert_eq!(
        log.append(&simple_batch("after", 1, 99))
            .unwrap()
            .base_offset,
        2
    );
}

#[test]
fn errors_other_than_corruption_still_fail_start_up() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mgr = LogManager::open(dir.path(), config(), std_io()).unwrap();
        mgr.create_topic("t", 1, &BTreeMap::new()).unwrap();
    }
    // The partition directory is not a directory: an I/O error, not damaged data.
    let part = dir.path().join("topics/t/0");
    std::fs::remove_dir_all(&part).unwrap();
    std::fs::write(&part, b"not a directory").unwrap();
    let err = LogManager::open(dir.path(), config(), std_io()).unwrap_err();
    assert!(matches!(err, StorageError::Io { .. }), "{err}");
}
