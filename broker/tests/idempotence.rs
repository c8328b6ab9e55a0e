//! Scenario: idempotent producers on one partition log — duplicates answered with their original
//! offsets, the sequence and epoch rules (45 / 47 / 59), state surviving a reopen through the
//! snapshot and through a header replay without it, expiry of idle ids; and the v2 batch
//! features storage must keep: compaction of compressed batches, LogAppendTime, CRC-32C.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::*;
use rustlog_broker::storage::{
    CleanupPolicy, FaultyIo, Io, LogConfig, PartitionLog, StorageError, WriteFault,
    PRODUCER_ID_EXPIRATION_MS,
};
use rustlog_protocol::batch::{batches, TimestampType, ATTR_CONTROL, ATTR_TRANSACTIONAL};
use rustlog_protocol::{Compression, ErrorCode, ProducerStamp, RecordBatchBuilder};

const PID: i64 = 7;
const SNAPSHOT: &str = "producer.snapshot";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A batch of `n` records from producer `pid` at `epoch`, starting at sequence `seq`.
fn pbatch(pid: i64, epoch: i16, seq: i32, n: usize) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new().producer(ProducerStamp {
        producer_id: pid,
        producer_epoch: epoch,
        base_sequence: seq,
    });
    for i in 0..n {
        let value = format!("p{pid}-e{epoch}-s{}", seq as usize + i);
        b.push(now_ms(), None, Some(value.as_bytes()), &[]).unwrap();
    }
    b.finish(0).unwrap()
}

fn config() -> LogConfig {
    small_config(1 << 20)
}

fn code_of(err: &StorageError) -> ErrorCode {
    err.code()
}

/// Appends that must fail with `code`, leaving the high watermark where it was.
fn refused(log: &PartitionLog, batch: &[u8], code: ErrorCode) -> String {
    let hw = log.high_watermark();
    let err = log.append(batch).unwrap_err();
    assert_eq!(code_of(&err), code, "{err}");
    assert_eq!(log.high_watermark(), hw, "nothing appended for: {err}");
    err.to_string()
}

#[test]
fn duplicates_are_answered_with_their_original_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), config());
    log.append(&simple_batch("plain", 2, 1)).unwrap();
    let first = log.append(&pbatch(PID, 0, 0, 3)).unwrap();
    let second = log.append(&pbatch(PID, 0, 3, 2)).unwrap();
    assert_eq!((first.base_offset, second.base_offset), (2, 5));
    assert!(!first.duplicate && !second.duplicate);
    let hw = log.high_watermark();
    for (batch, original) in [
        (pbatch(PID, 0, 0, 3), first),
        (pbatch(PID, 0, 3, 2), second),
    ] {
        let again = log.append(&batch).unwrap();
        assert!(again.duplicate);
        assert_eq!(
            (again.base_offset, again.last_offset),
            (original.base_offset, original.last_offset)
        );
    }
    assert_eq!(log.high_watermark(), hw, "a duplicate appends nothing");
    assert_eq!(read_all(&log).len(), 7);
    // Batches without a producer id are never deduplicated.
    assert!(!log.append(&simple_batch("plain", 2, 1)).unwrap().duplicate);
}

#[test]
fn only_the_last_five_batches_are_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), config());
    for seq in 0..6 {
        log.append(&pbatch(PID, 0, seq, 1)).unwrap();
    }
    assert!(log.append(&pbatch(PID, 0, 1, 1)).unwrap().duplicate);
    // The first batch fell out of the cache: its retry is out of order, never appended again.
    refused(
        &log,
        &pbatch(PID, 0, 0, 1),
        ErrorCode::OutOfOrderSequenceNumber,
    );
}

#[test]
fn a_sequence_gap_is_out_of_order_and_the_right_sequence_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), config());
    log.append(&pbatch(PID, 0, 0, 5)).unwrap();
    let message = refused(
        &log,
        &pbatch(PID, 0, 10, 1),
        ErrorCode::OutOfOrderSequenceNumber,
    );
    assert!(
        message.contains("expected base sequence 5, got 10"),
        "{message}"
    );
    // A batch overlapping the last one without matching it is out of order too.
    refused(
        &log,
        &pbatch(PID, 0, 3, 2),
        ErrorCode::OutOfOrderSequenceNumber,
    );
    assert_eq!(log.append(&pbatch(PID, 0, 5, 1)).unwrap().base_offset, 5);
}

#[test]
fn an_older_epoch_is_fenced_and_a_new_epoch_restarts_at_zero() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), config());
    log.append(&pbatch(PID, 0, 0, 2)).unwrap();
    let message = refused(
        &log,
        &pbatch(PID, 2, 4, 1),
        ErrorCode::OutOfOrderSequenceNumber,
    );
    assert!(message.contains("new epoch"), "{message}");
    let bumped = log.append(&pbatch(PID, 1, 0, 1)).unwrap();
    assert!(!bumped.duplicate);
    assert_eq!(log.producer_state(PID).unwrap().epoch, 1);
    let message = refused(&log, &pbatch(PID, 0, 2, 1), ErrorCode::InvalidProducerEpoch);
    assert!(
        message.contains("epoch 0") && message.contains("current epoch is 1"),
        "{message}"
    );
    // The new epoch's sequences continue from its own first batch.
    log.append(&pbatch(PID, 1, 1, 1)).unwrap();
}

#[test]
fn an_unknown_producer_must_start_at_sequence_zero() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), config());
    let message = refused(&log, &pbatch(42, 0, 3, 1), ErrorCode::UnknownProducerId);
    assert!(
        message.contains("42") && message.contains("got 3"),
        "{message}"
    );
    log.append(&pbatch(42, 0, 0, 1)).unwrap();
}

/// Appends the same history to a fresh log: two batches of producer PID, a roll between them.
fn history(dir: &Path) -> (u64, u64) {
    let log = open(dir, config());
    let a = log.append(&pbatch(PID, 0, 0, 2)).unwrap().base_offset;
    log.roll().unwrap();
    log.append(&simple_batch("plain", 1, 1)).unwrap();
    let b = log.append(&pbatch(PID, 0, 2, 3)).unwrap().base_offset;
    log.flush().unwrap();
    // Dropped without a clean-close snapshot: the roll's snapshot plus a replay must do.
    (a, b)
}

fn assert_dedup_survived(dir: &Path, (a, b): (u64, u64)) {
    let log = open(dir, config());
    let hw = log.high_watermark();
    assert_eq!(log.append(&pbatch(PID, 0, 0, 2)).unwrap().base_offset, a);
    let again = log.append(&pbatch(PID, 0, 2, 3)).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.base_offset, b);
    assert_eq!(log.high_watermark(), hw);
    refused(
        &log,
        &pbatch(PID, 0, 9, 1),
        ErrorCode::OutOfOrderSequenceNumber,
    );
    assert_eq!(log.append(&pbatch(PID, 0, 5, 1)).unwrap().base_offset, hw);
}

#[test]
fn state_survives_a_reopen_through_the_snapshot_and_the_replay_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let offsets = history(dir.path());
    assert!(
        dir.path().join(SNAPSHOT).exists(),
        "a roll writes the snapshot"
    );
    assert_dedup_survived(dir.path(), offsets);
}

#[test]
fn the_snapshot_remembers_batches_whose_segment_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let offsets = history(dir.path());
    // As after retention: the first segment (batch `a`) is deleted; only the snapshot written at
    // the roll still knows it, so detecting its retry proves the snapshot was loaded.
    for ext in ["log", "index", "timeindex"] {
        std::fs::remove_file(dir.path().join(format!("{:020}.{ext}", 0))).unwrap();
    }
    assert_dedup_survived(dir.path(), offsets);
}

#[test]
fn state_survives_a_reopen_without_a_snapshot_by_replaying_every_header() {
    let dir = tempfile::tempdir().unwrap();
    let offsets = history(dir.path());
    std::fs::remove_file(dir.path().join(SNAPSHOT)).unwrap();
    assert_dedup_survived(dir.path(), offsets);
}

#[test]
fn a_damaged_snapshot_is_ignored_and_the_log_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let offsets = history(dir.path());
    let path = dir.path().join(SNAPSHOT);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    assert_dedup_survived(dir.path(), offsets);
}

#[test]
fn a_clean_close_snapshot_covers_the_whole_log() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = open(dir.path(), config());
        log.append(&pbatch(PID, 0, 0, 2)).unwrap();
        log.flush().unwrap();
        log.write_producer_snapshot().unwrap();
    }
    let log = open(dir.path(), config());
    assert!(log.append(&pbatch(PID, 0, 0, 2)).unwrap().duplicate);
    let state = log.producer_state(PID).unwrap();
    assert_eq!((state.epoch, state.batches.len()), (0, 1));
}

#[test]
fn an_idle_producer_id_expires() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), config());
    log.append(&pbatch(PID, 0, 0, 1)).unwrap();
    log.append(&pbatch(8, 0, 0, 1)).unwrap();
    let now = now_ms();
    assert_eq!(log.expire_producers(now, PRODUCER_ID_EXPIRATION_MS), 0);
    let later = now + PRODUCER_ID_EXPIRATION_MS + 1_000;
    assert_eq!(log.expire_producers(later, PRODUCER_ID_EXPIRATION_MS), 2);
    assert!(log.producer_state(PID).is_none());
    // Forgotten: the next sequence is unknown, a fresh start at 0 is fine.
    refused(&log, &pbatch(PID, 0, 1, 1), ErrorCode::UnknownProducerId);
    log.append(&pbatch(PID, 0, 0, 1)).unwrap();
}

fn keyed_batch(codec: Compression, keys: &[&str], tag: &str) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new().compression(codec, None).unwrap();
    for key in keys {
        let value = format!("{tag}-{key}");
        b.push(1_000, Some(key.as_bytes()), Some(value.as_bytes()), &[])
            .unwrap();
    }
    b.finish(0).unwrap()
}

#[test]
fn compaction_keeps_the_codec_and_the_offsets_of_compressed_batches() {
    for codec in [
        Compression::Gzip,
        Compression::Zstd,
        Compression::Lz4,
        Compression::Snappy,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let log = open(
            dir.path(),
            LogConfig {
                cleanup_policy: CleanupPolicy::Compact,
                ..config()
            },
        );
        log.append(&keyed_batch(codec, &["a", "b", "c"], "old"))
            .unwrap();
        log.append(&keyed_batch(codec, &["a", "x"], "mid")).unwrap();
        log.roll().unwrap();
        log.append(&keyed_batch(codec, &["b"], "new")).unwrap();
        log.roll().unwrap();
        let stats = log.compact(2_000).unwrap();
        assert!(stats.records_removed >= 2, "{codec}: {stats:?}");
        let res = log.read(0, 1 << 20).unwrap();
        for view in batches(&res.records) {
            let view = view.unwrap();
            view.validate().unwrap();
            assert_eq!(view.header().compression().unwrap(), codec, "{codec}");
        }
        let kept: Vec<(u64, Vec<u8>)> = read_all(&log)
            .into_iter()
            .map(|r| (r.offset, r.value.unwrap()))
            .collect();
        let expected: Vec<(u64, Vec<u8>)> =
            [(2, "old-c"), (3, "mid-a"), (4, "mid-x"), (5, "new-b")]
                .into_iter()
                .map(|(o, v)| (o, v.as_bytes().to_vec()))
                .collect();
        assert_eq!(kept, expected, "{codec}");
        assert_eq!(log.high_watermark(), 6);
    }
}

#[test]
fn log_append_time_stamps_the_batch_with_the_broker_clock() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(
        dir.path(),
        LogConfig {
            timestamp_type: TimestampType::LogAppendTime,
            ..config()
        },
    );
    let before = now_ms();
    let info = log.append(&simple_batch("t", 3, 1_000)).unwrap();
    let after = now_ms();
    assert!((before..=after).contains(&info.log_append_time_ms));
    assert_eq!(info.max_timestamp_ms, info.log_append_time_ms);
    let res = log.read(0, 1 << 20).unwrap();
    let view = batches(&res.records).next().unwrap().unwrap();
    view.validate().unwrap();
    assert_eq!(view.header().timestamp_type(), TimestampType::LogAppendTime);
    assert_eq!(view.header().max_timestamp, info.log_append_time_ms);
    let records = read_all(&log);
    assert!(records
        .iter()
        .all(|r| r.timestamp_ms == info.log_append_time_ms));
    // The time index follows maxTimestamp: the producer's 1000 is not what is searched.
    assert_eq!(log.offset_for_timestamp(1_000).unwrap().unwrap().0, 0);
    assert!(log.offset_for_timestamp(after + 1).unwrap().is_none());

    // CreateTime (the default) keeps the producer's timestamps.
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), config());
    let info = log.append(&simple_batch("t", 3, 1_000)).unwrap();
    assert_eq!(info.max_timestamp_ms, 1_000);
    assert!(read_all(&log).iter().all(|r| r.timestamp_ms == 1_000));
}

#[test]
fn recovery_rejects_a_batch_whose_crc32c_fails() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = open(dir.path(), config());
        for i in 0..4 {
            log.append(&simple_batch(&format!("v{i}"), 2, i)).unwrap();
        }
        log.flush().unwrap();
    }
    let path = files_with_ext(dir.path(), "log").pop().unwrap();
    let original = std::fs::read(&path).unwrap();
    let lens: Vec<usize> = batches(&original)
        .map(|v| v.unwrap().as_bytes().len())
        .collect();
    // A flipped value byte of the second batch: mid-log, so corruption, named by file and byte.
    let mut damaged = original.clone();
    damaged[lens[0] + lens[1] - 2] ^= 0x01;
    std::fs::write(&path, &damaged).unwrap();
    let err = PartitionLog::open(dir.path(), config(), std_io()).unwrap_err();
    assert!(err.to_string().contains("CRC"), "{err}");
    assert!(matches!(err, StorageError::Corrupt { position, .. } if position == lens[0] as u64));
    // The same flip in the last batch: it was flushed (below the recovery point), so it is
    // corruption too, never cut.
    let mut damaged = original.clone();
    let last = damaged.len() - 2;
    damaged[last] ^= 0x01;
    std::fs::write(&path, &damaged).unwrap();
    let err = PartitionLog::open(dir.path(), config(), std_io()).unwrap_err();
    assert!(
        matches!(err, StorageError::Corrupt { position, .. } if position == (lens[0] + lens[1] + lens[2]) as u64),
        "{err}"
    );
    // Had it never been fsynced (no recovery point), it is a torn tail: cut, never served.
    std::fs::remove_file(dir.path().join("recovery-point")).unwrap();
    let log = open(dir.path(), config());
    assert_eq!(log.high_watermark(), 6);
    assert_eq!(read_all(&log).len(), 6);
}

#[test]
fn transactional_and_control_batches_are_refused_and_nothing_is_appended() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), config());
    for bit in [ATTR_TRANSACTIONAL, ATTR_CONTROL] {
        let mut bytes = pbatch(PID, 0, 0, 1);
        // Attributes live at byte 21 (after the CRC at 17); re-sealing keeps the CRC valid, so
        // the refusal is about the bit, not the checksum.
        let attributes = u16::from_be_bytes([bytes[21], bytes[22]]) | bit;
        bytes[21..23].copy_from_slice(&attributes.to_be_bytes());
        let crc = crc32c(&bytes[21..]);
        bytes[17..21].copy_from_slice(&crc.to_be_bytes());
        let message = refused(&log, &bytes, ErrorCode::InvalidRecord);
        assert!(message.contains("transaction"), "{message}");
    }
    assert!(log.producer_state(PID).is_none());
    log.append(&pbatch(PID, 0, 0, 1)).unwrap();
}

/// CRC-32C (Castagnoli), bitwise: the test must not share the code it checks.
fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn a_fence_from_init_producer_refuses_the_old_epoch_at_once_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = open(dir.path(), config());
        log.append(&pbatch(PID, 0, 0, 2)).unwrap();
        assert!(log.fence_producer(PID, 1).unwrap());
        assert!(
            !log.fence_producer(99, 1).unwrap(),
            "unknown here: nothing to fence"
        );
        refused(&log, &pbatch(PID, 0, 2, 1), ErrorCode::InvalidProducerEpoch);
        log.flush().unwrap();
    }
    let log = open(dir.path(), config());
    refused(&log, &pbatch(PID, 0, 2, 1), ErrorCode::InvalidProducerEpoch);
    refused(
        &log,
        &pbatch(PID, 1, 1, 1),
        ErrorCode::OutOfOrderSequenceNumber,
    );
    assert_eq!(log.append(&pbatch(PID, 1, 0, 1)).unwrap().base_offset, 2);
}

#[test]
fn concurrent_retries_of_one_batch_append_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::sync::Arc::new(open(dir.path(), config()));
    for seq in 0..20 {
        let batch = std::sync::Arc::new(pbatch(PID, 0, seq * 2, 2));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (log, batch) = (log.clone(), batch.clone());
                std::thread::spawn(move || log.append(&batch).unwrap())
            })
            .collect();
        let infos: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(infos.iter().filter(|i| !i.duplicate).count(), 1);
        assert!(infos
            .iter()
            .all(|i| i.base_offset == u64::from(seq as u32) * 2));
    }
    assert_eq!(log.high_watermark(), 40);
}

#[test]
fn an_idle_partition_writes_no_snapshot_at_a_clean_close() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), config());
    log.append(&simple_batch("plain", 2, 1)).unwrap();
    log.flush().unwrap();
    log.write_producer_snapshot().unwrap();
    assert!(!dir.path().join(SNAPSHOT).exists());
    log.append(&pbatch(PID, 0, 0, 1)).unwrap();
    log.write_producer_snapshot().unwrap();
    assert!(dir.path().join(SNAPSHOT).exists());
}

#[test]
fn a_failed_snapshot_write_at_a_roll_loses_no_append_and_the_replay_covers_it() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    faulty.only_paths_ending_with(Some("producer.snapshot.tmp"));
    faulty.set_sticky(true);
    faulty.fail_nth_write(1, WriteFault::Error);
    let io: std::sync::Arc<dyn Io> = std::sync::Arc::new(faulty);
    let offsets = {
        let log = PartitionLog::open(dir.path(), config(), io).unwrap();
        let a = log.append(&pbatch(PID, 0, 0, 2)).unwrap().base_offset;
        log.roll().unwrap();
        assert!(
            !log.is_read_only(),
            "the snapshot is an optimisation, not data"
        );
        log.append(&simple_batch("plain", 1, 1)).unwrap();
        let b = log.append(&pbatch(PID, 0, 2, 3)).unwrap().base_offset;
        log.flush().unwrap();
        assert!(log.write_producer_snapshot().is_err());
        (a, b)
    };
    assert!(!dir.path().join(SNAPSHOT).exists());
    assert_dedup_survived(dir.path(), offsets);
}
