//! Scenario: key compaction keeps the newest record per key, preserves offsets, keeps records
//! without a key, and drops tombstones only after `delete.retention.ms`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rustlog_broker::storage::{CleanupPolicy, LogConfig, PartitionLog};

fn config() -> LogConfig {
    LogConfig {
        cleanup_policy: CleanupPolicy::Compact,
        delete_retention_ms: 1_000,
        ..small_config(400)
    }
}

fn put(log: &PartitionLog, key: &str, value: Option<&str>, ts: i64) -> u64 {
    log.append(&batch(&[(
        ts,
        Some(key.as_bytes().to_vec()),
        value.map(|v| v.as_bytes().to_vec()),
    )]))
    .unwrap()
    .base_offset
}

fn live(records: &[Rec]) -> Vec<(String, Option<String>, u64)> {
    records
        .iter()
        .map(|r| {
            (
                String::from_utf8(r.key.clone().unwrap_or_default()).unwrap(),
                r.value.clone().map(|v| String::from_utf8(v).unwrap()),
                r.offset,
            )
        })
        .collect()
}

#[test]
fn compaction_keeps_the_newest_value_per_key_with_original_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), config());
    for round in 0..10 {
        for key in ["a", "b", "c"] {
            put(&log, key, Some(&format!("{key}{round}")), 100);
        }
    }
    // A record without a key is always kept.
    log.append(&batch(&[(100, None, Some(b"nokey".to_vec()))]))
        .unwrap();
    put(&log, "a", Some("a-final"), 100);
    log.roll().unwrap();
    let hw = log.high_watermark();
    let before_size = log.info().size_bytes;
    let stats = log.compact(200).unwrap();
    assert!(
        stats.segments_rewritten > 0 && stats.records_removed == 28,
        "{stats:?}"
    );
    assert!(log.info().size_bytes < before_size);
    assert_eq!(log.high_watermark(), hw);
    let kept = live(&read_all(&log));
    assert_eq!(
        kept,
        vec![
            ("b".into(), Some("b9".into()), 28),
            ("c".into(), Some("c9".into()), 29),
            ("".into(), Some("nokey".into()), 30),
            ("a".into(), Some("a-final".into()), 31),
        ]
    );
    // Any offset in a removed range reads from the next kept record.
    assert_eq!(decode(&log.read(5, 1).unwrap().records)[0].offset, 28);
    assert_eq!(
        log.append(&simple_batch("next", 1, 1)).unwrap().base_offset,
        hw
    );
    drop(log);
    let log = open(dir.path(), config());
    assert_eq!(live(&read_all(&log))[..4], kept[..]);
    // Nothing new: a second pass rewrites nothing.
    assert_eq!(log.compact(200).unwrap().segments_rewritten, 0);
}

#[test]
fn tombstones_survive_delete_retention_then_disappear() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), config());
    put(&log, "x", Some("1"), 5_000);
    put(&log, "y", Some("1"), 5_000);
    put(&log, "x", None, 5_000);
    // The last batch before the active segment is always kept; make it an unrelated one.
    put(&log, "z", Some("1"), 5_000);
    log.roll().unwrap();
    log.maintain(5_500).unwrap();
    // x's value is gone, its tombstone stays (500 ms old < 1000 ms).
    assert_eq!(
        live(&read_all(&log)),
        vec![
            ("y".into(), Some("1".into()), 1),
            ("x".into(), None, 2),
            ("z".into(), Some("1".into()), 3)
        ]
    );
    // Maintenance knows a tombstone is pending and compacts again once it expired.
    log.maintain(6_000).unwrap();
    assert_eq!(
        live(&read_all(&log)),
        vec![
            ("y".into(), Some("1".into()), 1),
            ("z".into(), Some("1".into()), 3)
        ]
    );
    assert_eq!(log.high_watermark(), 4);
}

#[test]
fn a_key_rewritten_in_the_active_segment_is_compacted_out_of_sealed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), config());
    put(&log, "k", Some("old"), 1);
    log.roll().unwrap();
    put(&log, "other", Some("1"), 1);
    log.roll().unwrap();
    put(&log, "k", Some("new"), 1);
    log.compact(10).unwrap();
    assert_eq!(
        live(&read_all(&log)),
        vec![
            ("other".into(), Some("1".into()), 1),
            ("k".into(), Some("new".into()), 2)
        ]
    );
    assert_eq!(log.log_start_offset(), 0);
    // Reading from offset 0 (now an empty segment) lands on the next record.
    assert_eq!(decode(&log.read(0, 100).unwrap().records)[0].offset, 1);
}

#[test]
fn the_last_batch_before_the_active_segment_is_kept_so_consumers_can_advance() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(
        dir.path(),
        LogConfig {
            delete_retention_ms: 0,
            ..config()
        },
    );
    put(&log, "t", None, 1);
    log.roll().unwrap();
    log.compact(10_000).unwrap();
    // An expired tombstone, but it is all there is below the high watermark.
    let res = log.read(0, 100).unwrap();
    assert_eq!(live(&decode(&res.records)), vec![("t".into(), None, 0)]);
}

/// 200 keys, 5 versions each, through a key map of 16 keys: each pass maps at most 16 keys and
/// cleans up to where its map filled; passes go on until the log is clean, and the result is
/// the same as one pass with room for every key.
#[test]
fn a_key_map_smaller_than_the_keys_compacts_over_several_passes_to_the_same_result() {
    let write = |dir: &std::path::Path, map_bytes_max: usize| {
        let log = open(
            dir,
            LogConfig {
                compaction_map_bytes_max: map_bytes_max,
                ..config()
            },
        );
        for round in 0..5 {
            for key in 0..200 {
                put(&log, &format!("k{key}"), Some(&format!("v{round}")), 100);
            }
        }
        put(&log, "k7", None, 100); // a tombstone, too young to drop
        log.roll().unwrap();
        log
    };
    let (small_dir, big_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let small = write(small_dir.path(), 16 * 32);
    let big = write(big_dir.path(), 1 << 20);
    let hw = small.high_watermark();

    let one = big.compact(200).unwrap();
    assert_eq!((one.map_keys, one.clean_end_offset), (200, hw));
    let mut passes = 0;
    loop {
        let stats = small.compact(200).unwrap();
        passes += 1;
        assert!(stats.map_keys <= 16, "{stats:?}");
        if stats.clean_end_offset == hw {
            break;
        }
        assert!(passes < 200, "no progress: {stats:?}");
    }
    assert!(passes > 10, "only {passes} passes");
    let kept = live(&read_all(&small));
    assert_eq!(kept, live(&read_all(&big)));
    assert_eq!(kept.len(), 200);
    assert!(kept
        .iter()
        .all(|(k, v, _)| v.as_deref() == Some("v4") || k == "k7"));
    // A pass over a clean log maps only what came after it, and removes nothing.
    assert_eq!(small.compact(200).unwrap().records_removed, 0);
}

#[test]
fn a_key_map_of_one_key_still_makes_progress() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(
        dir.path(),
        LogConfig {
            compaction_map_bytes_max: 1,
            ..config()
        },
    );
    for round in 0..3 {
        for key in ["a", "b", "c"] {
            put(&log, key, Some(&format!("{key}{round}")), 100);
        }
    }
    log.roll().unwrap();
    let hw = log.high_watermark();
    let mut passes = 0;
    while log.compact(200).unwrap().clean_end_offset < hw {
        passes += 1;
        assert!(passes < 20);
    }
    let values: Vec<_> = live(&read_all(&log))
        .into_iter()
        .map(|(_, v, _)| v)
        .collect();
    assert_eq!(
        values,
        vec![Some("a2".into()), Some("b2".into()), Some("c2".into())]
    );
}
