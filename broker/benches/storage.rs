//! Storage engine benchmark: append throughput (fsync never; fsync always with 1-8 concurrent
//! appenders sharing fsyncs through group commit) and sequential read throughput.
//!
//! Run: `cargo bench -p rustlog-broker --bench storage`. Throughput is reported in records/s
//! (criterion "elem/s"); each batch holds 1000 records of 100-byte values.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rustlog_broker::storage::{FsyncPolicy, LogConfig, PartitionLog, StdIo};
use rustlog_protocol::RecordBatchBuilder;

const RECORDS_PER_BATCH: usize = 1000;
const VALUE_BYTES: usize = 100;
/// Keeps the benchmark's disk use bounded: older segments are deleted between samples.
const RETAINED_BYTES: u64 = 512 * 1024 * 1024;

fn batch() -> Vec<u8> {
    let value = [b'v'; VALUE_BYTES];
    let mut b = RecordBatchBuilder::with_capacity(RECORDS_PER_BATCH * (VALUE_BYTES + 40));
    for i in 0..RECORDS_PER_BATCH {
        let key = format!("key-{i:06}");
        b.push(1_700_000_000_000, Some(key.as_bytes()), Some(&value), &[])
            .unwrap();
    }
    b.finish(0).unwrap()
}

fn log_config(fsync: FsyncPolicy) -> LogConfig {
    LogConfig {
        fsync,
        retention_ms: None,
        retention_bytes: Some(RETAINED_BYTES),
        segment_bytes: 64 * 1024 * 1024,
        ..LogConfig::default()
    }
}

fn open(dir: &std::path::Path, fsync: FsyncPolicy) -> Arc<PartitionLog> {
    Arc::new(PartitionLog::open(dir, log_config(fsync), Arc::new(StdIo)).unwrap())
}

/// Appends `batches` batches from `appenders` threads, each waiting for its fsync when
/// `durable`; returns the wall time.
fn append_round(
    log: &Arc<PartitionLog>,
    payload: &Arc<Vec<u8>>,
    batches: u64,
    appenders: u64,
    durable: bool,
) -> Duration {
    let per_thread = batches.div_ceil(appenders);
    let start = Instant::now();
    let threads: Vec<_> = (0..appenders)
        .map(|_| {
            let (log, payload) = (log.clone(), payload.clone());
            std::thread::spawn(move || {
                for _ in 0..per_thread {
                    let info = log.append(&payload).unwrap();
                    if durable {
                        log.sync_to(info.last_offset).unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let elapsed = start.elapsed();
    // Outside the timing: drop old segments so the disk does not fill.
    log.apply_retention(0).unwrap();
    // Compensate for rounding up per thread.
    elapsed.mul_f64(batches as f64 / (per_thread * appenders) as f64)
}

fn bench_append(c: &mut Criterion) {
    let payload = Arc::new(batch());
    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(RECORDS_PER_BATCH as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));

    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), FsyncPolicy::Never);
    group.bench_function(BenchmarkId::new("fsync_never", 1), |b| {
        b.iter_custom(|iters| append_round(&log, &payload, iters, 1, false))
    });
    drop(log);

    for appenders in [1u64, 2, 4, 8] {
        let dir = tempfile::tempdir().unwrap();
        let log = open(dir.path(), FsyncPolicy::Always);
        group.bench_function(BenchmarkId::new("fsync_always", appenders), |b| {
            b.iter_custom(|iters| {
                append_round(&log, &payload, iters.max(appenders), appenders, true)
            })
        });
    }
    group.finish();
}

fn bench_read(c: &mut Criterion) {
    let payload = batch();
    let dir = tempfile::tempdir().unwrap();
    let log = PartitionLog::open(
        dir.path(),
        LogConfig {
            segment_bytes: 64 * 1024 * 1024,
            ..log_config(FsyncPolicy::Never)
        },
        Arc::new(StdIo),
    )
    .unwrap();
    // About 400 MB over several sealed (mmap) segments plus the active one.
    for _ in 0..3000 {
        log.append(&payload).unwrap();
    }
    let records = log.high_watermark();
    let mut group = c.benchmark_group("read");
    group.throughput(Throughput::Elements(records));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("sequential_1MiB_fetches", |b| {
        b.iter(|| {
            let mut next = 0;
            let mut bytes = 0usize;
            while next < records {
                let res = log.read(next, 1024 * 1024).unwrap();
                bytes += res.records.len();
                let mut last = next;
                for view in rustlog_protocol::batch::batches(&res.records) {
                    last = view.unwrap().header().last_offset();
                }
                next = last + 1;
            }
            bytes
        })
    });
    group.finish();
}

criterion_group!(benches, bench_append, bench_read);
criterion_main!(benches);
