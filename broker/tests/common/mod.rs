//! Helpers shared by the storage scenario tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use rustlog_broker::storage::{FsyncPolicy, Io, LogConfig, PartitionLog, StdIo};
use rustlog_protocol::batch::batches;
use rustlog_protocol::RecordBatchBuilder;

/// A stored record, owned, as tests compare them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rec {
    pub offset: u64,
    pub timestamp_ms: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

/// A record to append: (timestamp, key, value).
pub type NewRec = (i64, Option<Vec<u8>>, Option<Vec<u8>>);

pub fn batch(records: &[NewRec]) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new();
    for (ts, k, v) in records {
        b.push(*ts, k.as_deref(), v.as_deref(), &[]).unwrap();
    }
    b.finish(0).unwrap()
}

/// A batch of `n` records with values `"{tag}-{i}"` and keys `"k{i % keys}"`.
pub fn simple_batch(tag: &str, n: usize, ts: i64) -> Vec<u8> {
    let recs: Vec<NewRec> = (0..n)
        .map(|i| {
            (
                ts,
                Some(format!("k{i}").into_bytes()),
                Some(format!("{tag}-{i}").into_bytes()),
            )
        })
        .collect();
    batch(&recs)
}

/// Decodes fetched bytes into records, checking every batch fully.
pub fn decode(bytes: &[u8]) -> Vec<Rec> {
    let mut out = Vec::new();
    for view in batches(bytes) {
        let view = view.unwrap();
        view.validate().unwrap();
        let records = view.records().unwrap();
        for r in records.iter() {
            let r = r.unwrap();
            out.push(Rec {
                offset: r.offset,
                timestamp_ms: r.timestamp_ms,
                key: r.key.map(<[u8]>::to_vec),
                value: r.value.map(<[u8]>::to_vec),
            });
        }
    }
    out
}

/// Reads every record from `from` to the high watermark, in `max_bytes` steps.
pub fn read_all_from(log: &PartitionLog, from: u64, max_bytes: usize) -> Vec<Rec> {
    let mut out = Vec::new();
    let mut next = from;
    while next < log.high_watermark() {
        let res = log.read(next, max_bytes).unwrap();
        assert!(!res.records.is_empty(), "empty read at {next} below hw");
        let mut last_offset = None;
        for view in batches(&res.records) {
            let view = view.unwrap();
            last_offset = Some(view.header().last_offset());
        }
        out.extend(
            decode(&res.records)
                .into_iter()
                .filter(|r| r.offset >= next),
        );
        next = last_offset.unwrap() + 1;
    }
    out
}

pub fn read_all(log: &PartitionLog) -> Vec<Rec> {
    read_all_from(log, log.log_start_offset(), 64 * 1024)
}

/// Small segments and a dense index, fsync never: fast tests with many segments.
pub fn small_config(segment_bytes: u64) -> LogConfig {
    LogConfig {
        segment_bytes,
        fsync: FsyncPolicy::Never,
        retention_ms: None,
        index_interval_bytes: 256,
        ..LogConfig::default()
    }
}

pub fn open(dir: &Path, config: LogConfig) -> PartitionLog {
    PartitionLog::open(dir, config, std_io()).unwrap()
}

pub fn std_io() -> Arc<dyn Io> {
    Arc::new(StdIo)
}

/// Paths of the segment files with this extension, sorted.
pub fn files_with_ext(dir: &Path, ext: &str) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}
