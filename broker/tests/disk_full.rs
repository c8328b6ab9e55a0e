//! Scenario: the disk fills up under a partition log, then space comes back. ENOSPC on a write
//! is not an fsync failure: the partial write is cut back to the last whole batch, reads keep
//! working, appends answer the retriable DiskFull, and appends resume by themselves once space
//! is back (the next append, or the maintenance probe) at the next offset: no hole, no reused
//! offset, and a reopen recovers cleanly. Index files, the checkpoint and the producer snapshot
//! hitting ENOSPC never stop the log either.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use rustlog_broker::storage::{
    FaultyIo, FsyncPolicy, Io, LogConfig, LogManager, PartitionLog, StorageError, WriteFault,
    DISK_FULL_PROBE_INTERVAL_MS,
};
use rustlog_protocol::{ErrorCode, ProducerStamp, RecordBatchBuilder};

fn faulty_log(dir: &Path, config: LogConfig) -> (FaultyIo, PartitionLog) {
    let faulty = FaultyIo::new();
    let io: Arc<dyn Io> = Arc::new(faulty.clone());
    let log = PartitionLog::open(dir, config, io).unwrap();
    (faulty, log)
}

fn durable_config(segment_bytes: u64) -> LogConfig {
    LogConfig {
        fsync: FsyncPolicy::Always,
        ..small_config(segment_bytes)
    }
}

/// Appends `n` two-record batches tagged `tag`, each acknowledged durable.
fn append_durable(log: &PartitionLog, tag: &str, n: usize) {
    for i in 0..n {
        let info = log
            .append(&simple_batch(&format!("{tag}{i}"), 2, 1))
            .unwrap();
        log.sync_to(info.last_offset).unwrap();
    }
}

fn active_file_len(dir: &Path) -> u64 {
    let active = files_with_ext(dir, "log").pop().unwrap();
    std::fs::metadata(active).unwrap().len()
}

fn assert_disk_full(err: &StorageError) {
    assert!(matches!(err, StorageError::DiskFull { .. }), "{err}");
    assert_eq!(err.code(), ErrorCode::DiskFull);
    assert!(err.code().is_retriable());
}

/// Appends two-record batches (each at the next offset) until one fails, as the roll that an
/// armed fault waits for does; returns that error.
fn append_until_the_roll_fails(log: &PartitionLog) -> StorageError {
    for i in 0..20 {
        match log.append(&simple_batch(&format!("r{i}"), 2, 1)) {
            Ok(info) => assert_eq!(info.base_offset, log.high_watermark() - 2),
            Err(e) => return e,
        }
    }
    panic!("20 appends and the roll never hit the injected ENOSPC");
}

/// After a fault passed: ten more appends go through, every offset is there once, what was
/// read before (`before`) is unchanged, and a reopen reads the same.
fn appends_go_on_and_survive_a_reopen(log: PartitionLog, dir: &Path, before: &[Rec]) {
    for i in 0..10 {
        log.append(&simple_batch(&format!("more{i}"), 2, 1))
            .unwrap();
    }
    let all = read_all(&log);
    assert_dense(&all);
    assert_eq!(&all[..before.len()], before);
    drop(log);
    assert_eq!(read_all(&open(dir, small_config(300))), all);
}

/// Offsets 0..n, each once, in order.
fn assert_dense(records: &[Rec]) {
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.offset, i as u64, "hole or reused offset at {i}");
    }
}

#[test]
fn enospc_mid_batch_is_cut_back_and_appends_resume_at_the_next_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (faulty, log) = faulty_log(dir.path(), durable_config(1 << 20));
    append_durable(&log, "before", 5);
    let acked = read_all(&log);
    let hw = log.high_watermark();
    let len = active_file_len(dir.path());

    // 30 bytes fit: the next batch is torn mid-write by ENOSPC.
    faulty.set_space_left(Some(30));
    let err = log.append(&simple_batch("torn", 2, 1)).unwrap_err();
    assert_disk_full(&err);
    assert_eq!(active_file_len(dir.path()), len, "the torn bytes were cut");
    assert_eq!(log.info().size_bytes, len);
    assert_eq!(log.high_watermark(), hw);
    assert!(log.is_disk_full());
    assert!(!log.is_read_only(), "a full disk is not an fsync failure");
    assert_eq!(read_all(&log), acked, "reads keep working");
    // Still full: every attempt answers DiskFull and leaves nothing behind.
    for _ in 0..3 {
        assert_disk_full(&log.append(&simple_batch("still", 2, 1)).unwrap_err());
        assert_eq!(active_file_len(dir.path()), len);
    }
    // Acknowledged records stay durable meanwhile: a flush works.
    log.flush().unwrap();

    faulty.set_space_left(None);
    let info = log.append(&simple_batch("after", 2, 1)).unwrap();
    assert_eq!(info.base_offset, hw, "no hole, no reused offset");
    log.sync_to(info.last_offset).unwrap();
    assert!(!log.is_disk_full());
    let all = read_all(&log);
    assert_eq!(all.len() as u64, hw + 2);
    assert_eq!(&all[..acked.len()], &acked[..]);
    assert_eq!(all[acked.len()].value.as_deref(), Some(&b"after-0"[..]));
    assert_dense(&all);
    drop(log);

    let log = open(dir.path(), small_config(1 << 20));
    assert_eq!(
        read_all(&log),
        all,
        "the reopen finds exactly what was acknowledged"
    );
    assert_eq!(
        log.append(&simple_batch("x", 1, 1)).unwrap().base_offset,
        hw + 2
    );
}

#[test]
fn the_maintenance_probe_notices_that_space_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let (faulty, log) = faulty_log(dir.path(), durable_config(1 << 20));
    append_durable(&log, "a", 2);
    faulty.set_space_left(Some(0));
    assert_disk_full(&log.append(&simple_batch("b", 2, 1)).unwrap_err());
    let mut now = wall_clock_ms();

    // Still full: the probe fails and the state stays.
    now += DISK_FULL_PROBE_INTERVAL_MS;
    log.maintain(now).unwrap();
    assert!(log.is_disk_full());

    faulty.set_space_left(None);
    // Within the probe interval nothing is probed.
    log.maintain(now + 1).unwrap();
    assert!(log.is_disk_full());
    now += DISK_FULL_PROBE_INTERVAL_MS;
    log.maintain(now).unwrap();
    assert!(!log.is_disk_full(), "the probe saw the space come back");
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(log.append(&simple_batch("c", 2, 1)).unwrap().base_offset, 4);
}

/// Wall-clock ms (the log's maintenance compares against segment creation times).
fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn a_one_shot_enospc_write_fault_costs_only_that_append() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    faulty.only_paths_ending_with(Some(".log"));
    faulty.fail_nth_write(3, WriteFault::DiskFull);
    let io: Arc<dyn Io> = Arc::new(faulty);
    let log = PartitionLog::open(dir.path(), small_config(2000), io).unwrap();
    for i in 0..2 {
        log.append(&simple_batch(&format!("a{i}"), 2, i)).unwrap();
    }
    assert_disk_full(&log.append(&simple_batch("lost", 2, 1)).unwrap_err());
    let info = log.append(&simple_batch("next", 2, 1)).unwrap();
    assert_eq!(info.base_offset, 4);
    assert!(!log.is_disk_full() && !log.is_read_only());
    let all = read_all(&log);
    assert_eq!(all.len(), 6);
    assert_dense(&all);
    drop(log);
    assert_eq!(read_all(&open(dir.path(), small_config(2000))), all);
}

#[test]
fn enospc_on_an_index_file_during_a_roll_keeps_the_active_segment_appendable() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    faulty.only_paths_ending_with(Some(".timeindex.tmp"));
    faulty.fail_nth_write(1, WriteFault::DiskFull);
    let io: Arc<dyn Io> = Arc::new(faulty);
    let log = PartitionLog::open(dir.path(), small_config(300), io).unwrap();
    let err = append_until_the_roll_fails(&log);
    assert_disk_full(&err);
    assert!(err.to_string().contains(".timeindex"), "{err}");
    assert!(!log.is_read_only());
    assert_eq!(log.info().segments.len(), 1, "the roll did not happen");
    let before = read_all(&log);
    // The fault was one-shot: the next append rolls and goes on.
    let info = log.append(&simple_batch("after", 2, 1)).unwrap();
    assert_eq!(info.base_offset, before.len() as u64);
    assert_eq!(log.info().segments.len(), 2);
    appends_go_on_and_survive_a_reopen(log, dir.path(), &before);
}

#[test]
fn enospc_creating_the_next_segment_keeps_the_old_one_active_and_appendable() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    faulty.only_paths_ending_with(Some(".log"));
    let io: Arc<dyn Io> = Arc::new(faulty.clone());
    let log = PartitionLog::open(dir.path(), small_config(300), io).unwrap();
    // The first segment file exists; the next creation is the roll's.
    faulty.fail_nth_create(1);
    assert_disk_full(&append_until_the_roll_fails(&log));
    assert_eq!(
        files_with_ext(dir.path(), "log").len(),
        1,
        "no half-made segment"
    );
    assert!(!log.is_read_only());
    let before = read_all(&log);
    let hw = log.high_watermark();
    // Reads of the old active segment still work after its indexes were written.
    assert!(!log.read(0, 64).unwrap().records.is_empty());
    let info = log.append(&simple_batch("after", 2, 1)).unwrap();
    assert_eq!(info.base_offset, hw);
    appends_go_on_and_survive_a_reopen(log, dir.path(), &before);
}

#[test]
fn enospc_creating_the_recovery_point_is_disk_full_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    faulty.only_paths_ending_with(Some("recovery-point"));
    let io: Arc<dyn Io> = Arc::new(faulty.clone());
    let log = PartitionLog::open(dir.path(), durable_config(1 << 20), io).unwrap();
    // The first fsync creates the recovery-point file: that creation finds the disk full.
    faulty.fail_nth_create(1);
    let info = log.append(&simple_batch("r0", 2, 1)).unwrap();
    assert_disk_full(&log.sync_to(info.last_offset).unwrap_err());
    assert!(!log.is_read_only(), "a full disk is not the fsyncgate rule");
    log.sync_to(info.last_offset).unwrap();
    append_durable(&log, "more", 3);
    drop(log);
    assert_dense(&read_all(&open(dir.path(), durable_config(1 << 20))));
}

#[test]
fn enospc_on_the_checkpoint_leaves_retention_to_the_next_pass() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    faulty.only_paths_ending_with(Some("checkpoint.json.tmp"));
    let io: Arc<dyn Io> = Arc::new(faulty.clone());
    let config = LogConfig {
        retention_bytes: Some(600),
        ..small_config(300)
    };
    let log = PartitionLog::open(dir.path(), config, io).unwrap();
    for i in 0..20 {
        log.append(&simple_batch(&format!("r{i}"), 2, 1)).unwrap();
    }
    let start = log.log_start_offset();
    faulty.fail_nth_write(1, WriteFault::DiskFull);
    let err = log.apply_retention(wall_clock_ms()).unwrap_err();
    assert_disk_full(&err);
    assert_eq!(log.log_start_offset(), start, "nothing was deleted");
    assert!(!log.is_read_only());
    assert!(!dir.path().join("checkpoint.json.tmp").exists());
    log.append(&simple_batch("after", 2, 1)).unwrap();
    assert!(
        log.apply_retention(wall_clock_ms()).unwrap() > 0,
        "the next pass works"
    );
    assert!(log.log_start_offset() > start);
    let kept = read_all(&log);
    drop(log);
    assert_eq!(read_all(&open(dir.path(), small_config(300))), kept);
}

#[test]
fn a_clean_close_on_a_full_disk_flushes_everything_and_reports_the_snapshots_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    let io: Arc<dyn Io> = Arc::new(faulty.clone());
    let mgr = LogManager::open(dir.path(), small_config(1 << 20), io).unwrap();
    mgr.create_topic("t", 1, &Default::default()).unwrap();
    let log = mgr.partition("t", 0).unwrap();
    // An idempotent producer's batch makes the snapshot worth writing at close.
    let mut builder = RecordBatchBuilder::new().producer(ProducerStamp {
        producer_id: 7,
        producer_epoch: 0,
        base_sequence: 0,
    });
    builder.push(1, None, Some(b"v"), &[]).unwrap();
    let idem = builder.finish(0).unwrap();
    let info = log.append(&idem).unwrap();
    // Acknowledged durable while there was room (the recovery point has its file); the
    // unflushed case is `a_flush_on_a_full_disk_before_the_recovery_point_exists_is_reported`.
    log.sync_to(info.last_offset).unwrap();
    faulty.set_space_left(Some(0));
    assert_disk_full(&log.append(&simple_batch("full", 2, 1)).unwrap_err());

    let report = mgr
        .flush_all()
        .expect("every acknowledged record is durable");
    assert_eq!(report.partitions_flushed, 1);
    assert_eq!(report.snapshots_not_written.len(), 1, "{report:?}");
    let (topic, partition, err) = &report.snapshots_not_written[0];
    assert_eq!((topic.as_str(), *partition), ("t", 0));
    assert_disk_full(err);
    assert_eq!(log.durable_offset(), 1);
}

#[test]
fn a_flush_on_a_full_disk_before_the_recovery_point_exists_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    let io: Arc<dyn Io> = Arc::new(faulty.clone());
    let mgr = LogManager::open(dir.path(), small_config(1 << 20), io).unwrap();
    mgr.create_topic("t", 1, &Default::default()).unwrap();
    let log = mgr.partition("t", 0).unwrap();
    log.append(&simple_batch("unflushed", 2, 1)).unwrap();
    faulty.only_paths_ending_with(Some("recovery-point"));
    faulty.fail_nth_create(1);

    let report = mgr
        .flush_all()
        .expect("a recovery point that does not fit is not a failed fsync");
    assert_eq!(report.partitions_flushed, 1);
    assert_eq!(report.recovery_points_not_written.len(), 1, "{report:?}");
    assert_disk_full(&report.recovery_points_not_written[0].2);
    assert!(!log.is_read_only());
}
