//! Scenario: topics under one data directory — create, reopen, delete, bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::*;
use rustlog_broker::storage::{CleanupPolicy, LogConfig, LogManager, StorageError};
use rustlog_protocol::ErrorCode;

fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn topics_survive_a_restart_with_their_data_and_config() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mgr = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap();
        let meta = mgr
            .create_topic("orders", 3, &overrides(&[("cleanup.policy", "compact")]))
            .unwrap();
        assert_eq!(meta.partitions, 3);
        assert_eq!(meta.config.cleanup_policy, CleanupPolicy::Compact);
        mgr.create_topic("audit", 1, &BTreeMap::new()).unwrap();
        let p1 = mgr.partition("orders", 1).unwrap();
        p1.append(&simple_batch("x", 4, 1)).unwrap();
        mgr.flush_all().unwrap();
        mgr.run_maintenance(1);
    }
    let mgr = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap();
    let names: Vec<String> = mgr.topics().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["audit", "orders"]);
    let orders = mgr.topic("orders").unwrap();
    assert_eq!(orders.config.cleanup_policy, CleanupPolicy::Compact);
    assert_eq!(mgr.partition("orders", 1).unwrap().high_watermark(), 4);
    assert_eq!(mgr.partition("orders", 0).unwrap().high_watermark(), 0);
    assert!(dir.path().join("topics/orders/topic.json").exists());
    assert!(dir
        .path()
        .join("topics/orders/2/00000000000000000000.log")
        .exists());
}

#[test]
fn bad_requests_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mgr = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap();
    let none = BTreeMap::new();
    let err = mgr.create_topic("../etc", 1, &none).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidTopicName, "{err}");
    let err = mgr.create_topic("t", 0, &none).unwrap_err();
    assert!(
        matches!(err, StorageError::InvalidPartitions { partitions: 0, .. }),
        "{err}"
    );
    let err = mgr.create_topic("t", 100_000, &none).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidPartitions);
    let err = mgr
        .create_topic("t", 1, &overrides(&[("retention.ms", "soon")]))
        .unwrap_err();
    assert!(
        matches!(err, StorageError::InvalidConfig { ref key, .. } if key == "retention.ms"),
        "{err}"
    );
    assert!(mgr.topics().is_empty());
    mgr.create_topic("t", 2, &none).unwrap();
    let err = mgr.create_topic("t", 2, &none).unwrap_err();
    assert_eq!(err.code(), ErrorCode::TopicAlreadyExists);
    assert_eq!(
        mgr.partition("t", 2).unwrap_err().code(),
        ErrorCode::PartitionNotFound
    );
    assert_eq!(
        mgr.partition("u", 0).unwrap_err().code(),
        ErrorCode::TopicNotFound
    );
    assert_eq!(
        mgr.delete_topic("u").unwrap_err().code(),
        ErrorCode::TopicNotFound
    );
}

#[test]
fn deleting_a_topic_removes_its_data_and_fences_old_handles() {
    let dir = tempfile::tempdir().unwrap();
    let mgr = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap();
    mgr.create_topic("gone", 1, &BTreeMap::new()).unwrap();
    let old = mgr.partition("gone", 0).unwrap();
    old.append(&simple_batch("a", 2, 1)).unwrap();
    mgr.delete_topic("gone").unwrap();
    assert!(mgr.topic("gone").is_none());
    assert!(!dir.path().join("topics/gone").exists());
    // A handle kept across the delete reads what it had but writes nothing anywhere.
    assert_eq!(read_all(&old).len(), 2);
    assert!(old.append(&simple_batch("b", 1, 1)).is_err());
    // The name is free again and starts empty.
    mgr.create_topic("gone", 1, &BTreeMap::new()).unwrap();
    assert_eq!(mgr.partition("gone", 0).unwrap().high_watermark(), 0);
}

#[test]
fn leftovers_of_interrupted_creates_and_deletes_are_cleared_on_open() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("topics/half/0")).unwrap();
    std::fs::create_dir_all(dir.path().join("deleted/old.0/0")).unwrap();
    let mgr = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap();
    assert!(mgr.topics().is_empty());
    assert!(!dir.path().join("topics/half").exists());
    assert!(!dir.path().join("deleted/old.0").exists());
}

#[test]
fn a_topic_that_lost_its_metadata_but_holds_records_is_kept_aside_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mgr = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap();
        mgr.create_topic("orders", 1, &BTreeMap::new()).unwrap();
        let log = mgr.partition("orders", 0).unwrap();
        log.append(&simple_batch("kept", 2, 1)).unwrap();
        log.flush().unwrap();
    }
    std::fs::remove_file(dir.path().join("topics/orders/topic.json")).unwrap();
    let mgr = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap();
    assert!(mgr.topics().is_empty());
    let kept: Vec<_> = std::fs::read_dir(dir.path().join("orphaned"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("orders."));
    assert!(!files_with_ext(&kept[0].join("0"), "log").is_empty());
    // The name is free again.
    mgr.create_topic("orders", 1, &BTreeMap::new()).unwrap();
}

#[test]
fn damaged_topic_metadata_is_reported_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mgr = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap();
        mgr.create_topic("t", 1, &BTreeMap::new()).unwrap();
    }
    let meta = dir.path().join("topics/t/topic.json");
    for bad in [
        "not json".to_string(),
        std::fs::read_to_string(&meta)
            .unwrap()
            .replace("\"t\"", "\"u\""),
        std::fs::read_to_string(&meta)
            .unwrap()
            .replace("\"partitions\": 1", "\"partitions\": 4000000000"),
    ] {
        let original = std::fs::read(&meta).unwrap();
        std::fs::write(&meta, &bad).unwrap();
        let err = LogManager::open(dir.path(), LogConfig::default(), std_io()).unwrap_err();
        assert!(matches!(err, StorageError::Corrupt { .. }), "{bad}: {err}");
        assert!(err.to_string().contains("topic.json"), "{err}");
        std::fs::write(&meta, original).unwrap();
    }
    assert!(LogManager::open(dir.path(), LogConfig::default(), std_io()).is_ok());
}

#[test]
fn a_second_manager_on_the_same_data_dir_is_refused_until_the_first_closes() {
    let dir = tempfile::tempdir().unwrap();
    let io: std::sync::Arc<dyn rustlog_broker::storage::Io> =
        std::sync::Arc::new(rustlog_broker::storage::StdIo);
    let first = LogManager::open(dir.path(), LogConfig::default(), io.clone()).unwrap();
    let err = LogManager::open(dir.path(), LogConfig::default(), io.clone()).unwrap_err();
    assert!(matches!(err, StorageError::DataDirLocked { .. }), "{err}");
    assert_eq!(err.code(), ErrorCode::StorageError);
    assert!(err.to_string().contains(".lock"), "{err}");
    drop(first);
    LogManager::open(dir.path(), LogConfig::default(), io).unwrap();
}
