//! Scenario: a log with many sealed segments under a small `open_segments_max`. Sealed segments
//! hold no file descriptor, at most the cap of them are mapped (as the kernel's own
//! `/proc/self/maps` counts them), and every record still reads back, before and after a
//! restart. Concurrent reads under a cap of one are in `concurrent_readers.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::*;
use rustlog_broker::storage::{OpenSegments, PartitionLog};

const SEGMENT_BYTES: u64 = 1_000;

/// Mappings of this process whose file lies under `dir`.
fn mappings_under(dir: &Path) -> usize {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let dir = dir.to_str().unwrap();
    maps.lines().filter(|l| l.contains(dir)).count()
}

/// Open file descriptors of this process on files under `dir`.
fn fds_under(dir: &Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.starts_with(dir))
        .count()
}

fn filled_log(dir: &Path, cap: &std::sync::Arc<OpenSegments>) -> PartitionLog {
    let log =
        PartitionLog::open_capped(dir, small_config(SEGMENT_BYTES), std_io(), cap.clone()).unwrap();
    for i in 0..200 {
        log.append(&simple_batch(&format!("b{i}"), 5, i)).unwrap();
    }
    log
}

#[test]
fn past_the_cap_sealed_segments_are_unmapped_and_mapped_again_on_their_next_read() {
    let dir = tempfile::tempdir().unwrap();
    let cap = OpenSegments::new(3);
    let log = filled_log(dir.path(), &cap);
    let segments = log.info().segments.len();
    assert!(segments > 20, "only {segments} segments");
    // Rolls map each sealed segment once; the cap already closed all but three.
    assert!(cap.open_count() <= 3 && mappings_under(dir.path()) <= 3);

    let first = read_all(&log);
    assert_eq!(first.len(), 1_000);
    assert_eq!(mappings_under(dir.path()), 3, "a read maps, the cap unmaps");
    // Only the active segment's log file stays open: sealed ones were closed once mapped.
    assert_eq!(
        fds_under(dir.path()),
        1,
        "only the active segment's log file"
    );
    // A second pass maps every segment again and reads the same records.
    let opened = cap.opened_total();
    assert_eq!(read_all(&log), first);
    assert!(cap.opened_total() >= opened + segments as u64 - 4);
    assert!(cap.closed_total() > 0);
}

#[test]
fn a_restart_maps_no_sealed_segment_until_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let cap = OpenSegments::new(1_000);
        let log = filled_log(dir.path(), &cap);
        read_all(&log)
    };
    let cap = OpenSegments::new(2);
    let log = PartitionLog::open_capped(
        dir.path(),
        small_config(SEGMENT_BYTES),
        std_io(),
        cap.clone(),
    )
    .unwrap();
    assert_eq!(mappings_under(dir.path()), 0);
    assert_eq!(cap.opened_total(), 0);
    assert_eq!(read_all(&log), before);
    assert!(mappings_under(dir.path()) <= 2);
}

#[test]
fn records_held_across_an_unmap_stay_readable() {
    let dir = tempfile::tempdir().unwrap();
    let cap = OpenSegments::new(1);
    let log = filled_log(dir.path(), &cap);
    let held = log.read(0, 256).unwrap().records;
    let expected = decode(&held);
    // Reading the rest maps every other segment, so the cap unmaps the first one's entry...
    read_all_from(&log, expected.last().unwrap().offset + 1, 64 * 1024);
    // ...but the bytes handed out keep their own mapping alive until dropped.
    assert_eq!(decode(&held), expected);
    assert!(mappings_under(dir.path()) <= 2);
    drop(held);
    assert!(mappings_under(dir.path()) <= 1);
}
