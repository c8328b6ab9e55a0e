//! Scenario: a topic grows and changes its config after creation — persisted crash-safely
//! (a failure mid-way leaves the old or the new state, never a mix), live at once, and the
//! largest-timestamp lookup (Kafka's ListOffsets -3).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::*;
use rustlog_broker::storage::{
    CleanupPolicy, FaultyIo, LogConfig, LogManager, StorageError, WriteFault,
};
use rustlog_protocol::ErrorCode;

fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn added_partitions_take_appends_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mgr = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap();
        mgr.create_topic("grow", 2, &BTreeMap::new()).unwrap();
        mgr.partition("grow", 0)
            .unwrap()
            .append(&simple_batch("a", 3, 1))
            .unwrap();
        let meta = mgr.add_partitions("grow", 5).unwrap();
        assert_eq!(meta.partitions, 5);
        assert_eq!(mgr.topic("grow").unwrap().partitions, 5);
        mgr.partition("grow", 4)
            .unwrap()
            .append(&simple_batch("b", 2, 1))
            .unwrap();
        mgr.flush_all().unwrap();
    }
    let mgr = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap();
    assert_eq!(mgr.topic("grow").unwrap().partitions, 5);
    assert_eq!(mgr.partition("grow", 0).unwrap().high_watermark(), 3);
    assert_eq!(mgr.partition("grow", 4).unwrap().high_watermark(), 2);
}

#[test]
fn a_grow_that_is_not_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mgr = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap();
    mgr.create_topic("t", 3, &BTreeMap::new()).unwrap();
    for fewer_or_same in [1, 3] {
        let err = mgr.add_partitions("t", fewer_or_same).unwrap_err();
        assert!(
            matches!(err, StorageError::PartitionsNotIncreased { current: 3, .. }),
            "{err}"
        );
        assert_eq!(err.code(), ErrorCode::InvalidPartitions);
    }
    let err = mgr.add_partitions("t", 1_000_000).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidPartitions, "{err}");
    let err = mgr.add_partitions("missing", 4).unwrap_err();
    assert_eq!(err.code(), ErrorCode::TopicNotFound, "{err}");
    assert_eq!(mgr.topic("t").unwrap().partitions, 3);
    assert!(!dir.path().join("topics/t/3").exists());
}

#[test]
fn a_grow_interrupted_before_its_metadata_leaves_the_old_count() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    {
        let mgr =
            LogManager::open(dir.path(), LogConfig::default(), Arc::new(faulty.clone())).unwrap();
        mgr.create_topic("t", 2, &BTreeMap::new()).unwrap();
        // The new topic.json is written to its temp file first: fail that write.
        faulty.only_paths_ending_with(Some("topic.json.tmp"));
        faulty.fail_nth_write(1, WriteFault::Short { bytes: 10 });
        let err = mgr.add_partitions("t", 4).unwrap_err();
        assert_eq!(err.code(), ErrorCode::StorageError, "{err}");
        assert_eq!(mgr.topic("t").unwrap().partitions, 2);
        assert!(mgr.partition("t", 2).is_err());
        // The new partitions' directories were made before the commit point.
        assert!(dir.path().join("topics/t/2").exists());
    }
    let mgr = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap();
    assert_eq!(mgr.topic("t").unwrap().partitions, 2);
    assert!(!dir.path().join("topics/t/2").exists(), "leftover removed");
    assert!(!dir.path().join("topics/t/3").exists(), "leftover removed");
    // And the grow can be done again.
    assert_eq!(mgr.add_partitions("t", 4).unwrap().partitions, 4);
}

#[test]
fn replaced_overrides_take_effect_persist_and_fall_back_to_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let defaults = LogConfig::default()
        .with_overrides(&overrides(&[("retention.ms", "5000")]))
        .unwrap();
    {
        let mgr = LogManager::open(dir.path(), defaults.clone(), std_io()).unwrap();
        mgr.create_topic("c", 2, &overrides(&[("segment.bytes", "4096")]))
            .unwrap();
        let meta = mgr
            .set_topic_overrides("c", &overrides(&[("cleanup.policy", "compact")]))
            .unwrap();
        assert_eq!(meta.config.cleanup_policy, CleanupPolicy::Compact);
        // segment.bytes was not given again: back to the default.
        assert_eq!(meta.config.segment_bytes, defaults.segment_bytes);
        assert_eq!(meta.overrides, overrides(&[("cleanup.policy", "compact")]));
        for p in 0..2 {
            let live = mgr.partition("c", p).unwrap().config();
            assert_eq!(live.cleanup_policy, CleanupPolicy::Compact, "partition {p}");
        }
    }
    let mgr = LogManager::open(dir.path(), defaults.clone(), std_io()).unwrap();
    let meta = mgr.topic("c").unwrap();
    assert_eq!(meta.config.cleanup_policy, CleanupPolicy::Compact);
    assert_eq!(meta.config.retention_ms, Some(5000));
    assert_eq!(meta.overrides, overrides(&[("cleanup.policy", "compact")]));
}

#[test]
fn bad_overrides_and_failed_writes_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    let mgr = LogManager::open(dir.path(), LogConfig::default(), Arc::new(faulty.clone())).unwrap();
    mgr.create_topic("c", 1, &overrides(&[("retention.ms", "100")]))
        .unwrap();
    for (key, value) in [("retention.ms", "soon"), ("no.such.key", "1")] {
        match mgr.set_topic_overrides("c", &overrides(&[(key, value)])) {
            Err(StorageError::InvalidConfig { key: k, .. }) => assert_eq!(k, key),
            other => panic!("{key}={value}: {other:?}"),
        }
    }
    let err = mgr
        .set_topic_overrides("missing", &BTreeMap::new())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::TopicNotFound);
    faulty.only_paths_ending_with(Some("topic.json.tmp"));
    faulty.fail_nth_write(1, WriteFault::Error);
    mgr.set_topic_overrides("c", &overrides(&[("retention.ms", "200")]))
        .unwrap_err();
    let meta = mgr.topic("c").unwrap();
    assert_eq!(meta.config.retention_ms, Some(100));
    assert_eq!(
        mgr.partition("c", 0).unwrap().config().retention_ms,
        Some(100)
    );
    drop(mgr);
    let mgr = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap();
    assert_eq!(mgr.topic("c").unwrap().config.retention_ms, Some(100));
}

#[test]
fn the_largest_timestamp_is_found_across_segments_first_of_equals() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config(256));
    assert_eq!(log.max_timestamp_offset().unwrap(), None, "empty log");
    let records: Vec<NewRec> = [50, 900, 20, 900, 400]
        .iter()
        .map(|ts| (*ts, None, Some(vec![b'x'; 100])))
        .collect();
    for record in &records {
        log.append(&batch(std::slice::from_ref(record))).unwrap();
    }
    assert!(log.info().segments.len() > 1, "spans segments");
    assert_eq!(log.max_timestamp_offset().unwrap(), Some((1, 900)));
    // Inside one batch too.
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), LogConfig::default());
    log.append(&batch(&[
        (5, None, None),
        (70, None, None),
        (9, None, None),
    ]))
    .unwrap();
    assert_eq!(log.max_timestamp_offset().unwrap(), Some((1, 70)));
}
