//! Scenario: a sealed segment's `.index` / `.timeindex` is missing, garbage, truncated or
//! subtly wrong. The log rebuilds (or routes around) it and every read is identical.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;

const SEGMENT_BYTES: u64 = 1500;

struct Reference {
    records: Vec<Rec>,
    by_time: Vec<Option<(u64, i64)>>,
    indexes: Vec<(PathBuf, Vec<u8>)>,
}

fn times() -> impl Iterator<Item = i64> {
    (-5..130).step_by(7)
}

fn build(dir: &Path) -> Reference {
    let log = open(dir, small_config(SEGMENT_BYTES));
    for i in 0..60i64 {
        // Mostly increasing timestamps with some going backwards.
        let ts = if i % 7 == 3 { i - 20 } else { i * 2 };
        log.append(&batch(&[(ts, Some(vec![i as u8]), Some(vec![7; 40]))]))
            .unwrap();
    }
    log.roll().unwrap();
    let records = read_all(&log);
    let by_time = times()
        .map(|t| log.offset_for_timestamp(t).unwrap())
        .collect();
    drop(log);
    let mut indexes = Vec::new();
    for ext in ["index", "timeindex"] {
        for path in files_with_ext(dir, ext) {
            let bytes = std::fs::read(&path).unwrap();
            indexes.push((path, bytes));
        }
    }
    Reference {
        records,
        by_time,
        indexes,
    }
}

fn check_identical(dir: &Path, reference: &Reference, expect_files_restored: bool) {
    let log = open(dir, small_config(SEGMENT_BYTES));
    assert_eq!(read_all(&log), reference.records);
    assert_eq!(read_all_from(&log, 0, 1), reference.records);
    for offset in [0, 1, 17, 33, 59] {
        let got = decode(&log.read(offset, 1).unwrap().records);
        assert!(got.iter().any(|r| r.offset == offset), "offset {offset}");
    }
    let by_time: Vec<_> = times()
        .map(|t| log.offset_for_timestamp(t).unwrap())
        .collect();
    assert_eq!(by_time, reference.by_time);
    if expect_files_restored {
        for (path, bytes) in &reference.indexes {
            if path
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(&format!("{:020}", log.high_watermark()))
            {
                continue; // the (empty) active segment's index is written when it seals
            }
            assert_eq!(
                &std::fs::read(path).unwrap(),
                bytes,
                "{} not rebuilt identically",
                path.display()
            );
        }
    }
}

#[test]
fn deleted_indexes_are_rebuilt_identically() {
    let dir = tempfile::tempdir().unwrap();
    let reference = build(dir.path());
    assert!(reference.indexes.len() >= 4);
    for (path, _) in &reference.indexes {
        std::fs::remove_file(path).unwrap();
    }
    check_identical(dir.path(), &reference, true);
}

#[test]
fn garbage_indexes_are_rebuilt_identically() {
    let dir = tempfile::tempdir().unwrap();
    let reference = build(dir.path());
    for (i, (path, bytes)) in reference.indexes.iter().enumerate() {
        let garbage: Vec<u8> = (0..bytes.len().max(16))
            .map(|j| (j * 31 + i * 7) as u8)
            .collect();
        std::fs::write(path, garbage).unwrap();
    }
    check_identical(dir.path(), &reference, true);
}

#[test]
fn truncated_indexes_are_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let reference = build(dir.path());
    for (path, bytes) in &reference.indexes {
        std::fs::write(path, &bytes[..bytes.len() / 2 + 1]).unwrap();
    }
    check_identical(dir.path(), &reference, true);
    // Cut at a whole-entry boundary too: a shorter but well-formed index.
    for (path, bytes) in &reference.indexes {
        std::fs::write(path, &bytes[..bytes.len().saturating_sub(24)]).unwrap();
    }
    check_identical(dir.path(), &reference, false);
}

#[test]
fn a_plausible_but_wrong_index_entry_does_not_change_reads() {
    let dir = tempfile::tempdir().unwrap();
    let reference = build(dir.path());
    let (path, bytes) = reference
        .indexes
        .iter()
        .find(|(p, b)| p.extension().unwrap() == "index" && b.len() >= 24)
        .unwrap();
    // Shift the second entry's position by one byte: still increasing, but not a batch start.
    let mut wrong = bytes.clone();
    let pos = u32::from_be_bytes(wrong[12..16].try_into().unwrap()) + 1;
    wrong[12..16].copy_from_slice(&pos.to_be_bytes());
    std::fs::write(path, &wrong).unwrap();
    check_identical(dir.path(), &reference, false);
}
