//! Scenario: a crash tore the end of the active segment. Cut the file at every byte of the last
//! batches: the log recovers to the last whole batch, and the next append gets the next offset.
//! Only bytes never fsynced can be torn: the same damage below the recovery point (after a
//! flush) is corruption, never cut, and acknowledged offsets are never handed out again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rustlog_broker::storage::{PartitionLog, StorageError};
use rustlog_protocol::batch::batches;

/// Appends batches and returns (active log file, its bytes, end position of every batch in it,
/// records).
/// Nothing is flushed (a crash can tear only what was not): the recovery point stays 0, unless
/// `flushed`.
fn prepare(
    dir: &std::path::Path,
    segment_bytes: u64,
) -> (std::path::PathBuf, Vec<u8>, Vec<u64>, Vec<Rec>) {
    prepare_with(dir, segment_bytes, false)
}

fn prepare_with(
    dir: &std::path::Path,
    segment_bytes: u64,
    flushed: bool,
) -> (std::path::PathBuf, Vec<u8>, Vec<u64>, Vec<Rec>) {
    let log = open(dir, small_config(segment_bytes));
    for i in 0..12 {
        log.append(&simple_batch(&format!("b{i}"), 1 + i % 3, 1_000 + i as i64))
            .unwrap();
    }
    if flushed {
        log.flush().unwrap();
    }
    let records = read_all(&log);
    drop(log);
    let active = files_with_ext(dir, "log").pop().unwrap();
    let bytes = std::fs::read(&active).unwrap();
    let mut ends = Vec::new();
    let mut pos = 0u64;
    for view in batches(&bytes) {
        pos += view.unwrap().as_bytes().len() as u64;
        ends.push(pos);
    }
    (active, bytes, ends, records)
}

fn check_cuts(segment_bytes: u64) {
    let dir = tempfile::tempdir().unwrap();
    let (active, bytes, ends, records) = prepare(dir.path(), segment_bytes);
    assert!(ends.len() >= 3, "need a few batches in the active segment");
    let start = ends[ends.len() - 3];
    for cut in start..bytes.len() as u64 {
        std::fs::write(&active, &bytes[..cut as usize]).unwrap();
        let log = open(dir.path(), small_config(segment_bytes));
        let whole_end = ends
            .iter()
            .copied()
            .filter(|&e| e <= cut)
            .max()
            .unwrap_or(0);
        let survived = read_all(&log);
        assert!(
            survived.len() < records.len(),
            "cut {cut}: nothing was lost?"
        );
        assert_eq!(survived[..], records[..survived.len()], "cut {cut}");
        assert_eq!(log.high_watermark(), survived.len() as u64, "cut {cut}");
        assert_eq!(
            std::fs::metadata(&active).unwrap().len(),
            whole_end,
            "cut {cut}: torn tail not truncated to the last whole batch"
        );
        let next = log.append(&simple_batch("after", 1, 9)).unwrap();
        assert_eq!(next.base_offset, survived.len() as u64, "cut {cut}");
        drop(log);
        // And the repaired log reopens cleanly with the new batch.
        let log = open(dir.path(), small_config(segment_bytes));
        assert_eq!(read_all(&log).len(), survived.len() + 1, "cut {cut}");
    }
}

#[test]
fn cut_at_every_byte_of_the_last_batches_of_a_single_segment_log() {
    check_cuts(1 << 20);
}

#[test]
fn cut_at_every_byte_of_the_last_batches_after_several_rolls() {
    check_cuts(400);
}

#[test]
fn zeros_after_the_last_batch_are_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let (active, mut bytes, ends, records) = prepare(dir.path(), 1 << 20);
    bytes.extend_from_slice(&[0u8; 4096]);
    std::fs::write(&active, &bytes).unwrap();
    let log = open(dir.path(), small_config(1 << 20));
    assert_eq!(read_all(&log), records);
    assert_eq!(
        std::fs::metadata(&active).unwrap().len(),
        *ends.last().unwrap()
    );
}

#[test]
fn a_bad_crc_on_the_last_batch_below_the_recovery_point_is_corruption_not_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (active, bytes, ends, _) = prepare_with(dir.path(), 1 << 20, true);
    let mut damaged = bytes.clone();
    let last_value_byte = bytes.len() - 2;
    damaged[last_value_byte] ^= 0x01;
    std::fs::write(&active, &damaged).unwrap();
    let err = PartitionLog::open(dir.path(), small_config(1 << 20), std_io()).unwrap_err();
    let last_start = ends[ends.len() - 2];
    assert!(
        matches!(&err, StorageError::Corrupt { path, position, reason }
            if *path == active && *position == last_start && reason.contains("recovery point")),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&active).unwrap(),
        damaged,
        "the batch was cut"
    );
}

#[test]
fn a_torn_tail_above_the_recovery_point_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (active, bytes, ends, records) = prepare_with(dir.path(), 1 << 20, true);
    // One more batch after the flush, torn in half by the "crash".
    let log = open(dir.path(), small_config(1 << 20));
    log.append(&simple_batch("unflushed", 2, 5_000)).unwrap();
    drop(log);
    let mut grown = std::fs::read(&active).unwrap();
    grown.truncate(bytes.len() + (grown.len() - bytes.len()) / 2);
    std::fs::write(&active, &grown).unwrap();
    let log = open(dir.path(), small_config(1 << 20));
    assert_eq!(read_all(&log), records);
    assert_eq!(
        std::fs::metadata(&active).unwrap().len(),
        *ends.last().unwrap()
    );
}

#[test]
fn offsets_acknowledged_durable_are_never_reused_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (active, bytes, ends, records) = prepare_with(dir.path(), 1 << 20, true);
    let acked = records.len() as u64;
    // The last durable batch vanishes (a shortened file): the log would hand its offsets out
    // again, so it refuses to open instead.
    std::fs::write(&active, &bytes[..ends[ends.len() - 2] as usize]).unwrap();
    let err = PartitionLog::open(dir.path(), small_config(1 << 20), std_io()).unwrap_err();
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
    // Whole again, the next append continues after every acknowledged offset.
    std::fs::write(&active, &bytes).unwrap();
    let log = open(dir.path(), small_config(1 << 20));
    assert_eq!(log.recovery_point(), acked);
    assert_eq!(
        log.append(&simple_batch("next", 1, 9)).unwrap().base_offset,
        acked
    );
}
