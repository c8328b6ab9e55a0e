//! Scenario: single bit flips in stored data. A damaged batch is detected — at open or at
//! read — and never returned as data; corruption in the middle of the log is reported with the
//! file and position, never cut silently.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rustlog_broker::storage::{PartitionLog, StorageError};
use rustlog_protocol::batch::batches;
use rustlog_protocol::ErrorCode;

const SEGMENT_BYTES: u64 = 700;

fn build(dir: &std::path::Path) -> Vec<Rec> {
    let log = open(dir, small_config(SEGMENT_BYTES));
    for i in 0..30 {
        log.append(&simple_batch(&format!("v{i}"), 2, 500 + i))
            .unwrap();
    }
    log.flush().unwrap();
    read_all(&log)
}

/// Reads everything it can, one batch at a time; returns the records served and whether a
/// `Corrupt` error was seen. Panics on any other error.
fn read_what_is_readable(log: &PartitionLog) -> (Vec<Rec>, bool) {
    let mut served = Vec::new();
    let mut corrupt = false;
    for offset in log.log_start_offset()..log.high_watermark() {
        match log.read(offset, 1) {
            Ok(res) => served.extend(decode(&res.records)),
            Err(StorageError::Corrupt { .. }) => corrupt = true,
            Err(e) => panic!("unexpected error at {offset}: {e}"),
        }
    }
    served.sort_by_key(|r| r.offset);
    served.dedup();
    (served, corrupt)
}

#[test]
fn every_single_bit_flip_in_a_sealed_segment_is_detected_and_never_served() {
    let dir = tempfile::tempdir().unwrap();
    let records = build(dir.path());
    let sealed = files_with_ext(dir.path(), "log")[1].clone();
    let original = std::fs::read(&sealed).unwrap();
    // Every byte, one bit each (rotating which bit), keeps the run short but covers all fields.
    for pos in 0..original.len() {
        let mut damaged = original.clone();
        damaged[pos] ^= 1 << (pos % 8);
        std::fs::write(&sealed, &damaged).unwrap();
        match PartitionLog::open(dir.path(), small_config(SEGMENT_BYTES), std_io()) {
            Err(e) => {
                assert!(matches!(e, StorageError::Corrupt { .. }), "byte {pos}: {e}");
                assert_eq!(e.code(), ErrorCode::CorruptRecord);
                assert!(e.to_string().contains(".log"), "{e}");
            }
            Ok(log) => {
                let (served, corrupt) = read_what_is_readable(&log);
                assert!(corrupt, "byte {pos}: flip not detected");
                for r in &served {
                    assert_eq!(
                        r, &records[r.offset as usize],
                        "byte {pos}: damaged data served"
                    );
                }
            }
        }
    }
    std::fs::write(&sealed, &original).unwrap();
    let log = open(dir.path(), small_config(SEGMENT_BYTES));
    assert_eq!(read_all(&log), records);
}

#[test]
fn corruption_in_the_middle_of_the_active_segment_is_reported_not_cut() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = open(dir.path(), small_config(1 << 20));
        for i in 0..10 {
            log.append(&simple_batch(&format!("v{i}"), 3, i)).unwrap();
        }
        log.flush().unwrap();
    }
    let active = files_with_ext(dir.path(), "log").pop().unwrap();
    let mut bytes = std::fs::read(&active).unwrap();
    let original_len = bytes.len();
    let third_batch: usize = batches(&bytes)
        .take(2)
        .map(|v| v.unwrap().as_bytes().len())
        .sum();
    bytes[third_batch + 50] ^= 0x10;
    std::fs::write(&active, &bytes).unwrap();
    let err = PartitionLog::open(dir.path(), small_config(1 << 20), std_io()).unwrap_err();
    match &err {
        StorageError::Corrupt { path, position, .. } => {
            assert_eq!(path, &active);
            assert_eq!(*position, third_batch as u64);
        }
        other => panic!("{other}"),
    }
    // Nothing was cut.
    assert_eq!(
        std::fs::metadata(&active).unwrap().len(),
        original_len as u64
    );
}

/// Collects everything the `tracing` macros print while `f` runs.
fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Sink(std::sync::Arc<parking_lot::Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8_lossy(&sink.0.lock()).into_owned();
    (out, text)
}

#[test]
fn a_read_spanning_a_corrupt_batch_returns_the_good_prefix_and_the_read_at_it_fails() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config(1 << 20));
    for i in 0..6 {
        log.append(&simple_batch(&format!("v{i}"), 2, i)).unwrap();
    }
    let records = read_all(&log);
    // Damage the fourth batch (offsets 6 and 7) under the running log, as bit rot would.
    let active = files_with_ext(dir.path(), "log").pop().unwrap();
    let mut bytes = std::fs::read(&active).unwrap();
    let fourth: usize = batches(&bytes)
        .take(3)
        .map(|v| v.unwrap().as_bytes().len())
        .sum();
    bytes[fourth + 70] ^= 0x04;
    std::fs::write(&active, &bytes).unwrap();

    let (spanning, spanning_log) = logged(|| log.read(0, 1 << 20));
    let served = decode(&spanning.unwrap().records);
    assert_eq!(served, records[..6], "the good prefix is served");
    assert!(spanning_log.contains("corrupt"), "{spanning_log}");

    let (at_bad, at_bad_log) = logged(|| log.read(6, 1 << 20));
    match at_bad {
        Err(StorageError::Corrupt { path, position, .. }) => {
            assert_eq!(path, active);
            assert_eq!(position, fourth as u64);
        }
        other => panic!("expected a corrupt read, got {other:?}"),
    }
    assert!(
        at_bad_log.contains("read hit a corrupt batch") && at_bad_log.contains(".log"),
        "{at_bad_log}"
    );
    // Past the damage, reads work again.
    assert_eq!(decode(&log.read(8, 1 << 20).unwrap().records), records[8..]);
}
