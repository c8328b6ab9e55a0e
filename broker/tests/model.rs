//! Scenario: the log against an in-memory model. Proptest generates random sequences of
//! operations (appends, reads, rolls, reopens, retention, compaction, timestamp lookups) and
//! random configs; after every step the log must agree with a plain `Vec` of records.
//!
//! Default case count is modest for CI; raise it for a soak run, e.g.
//! `PROPTEST_CASES=2000 cargo test -p rustlog-broker --test model`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use common::*;
use proptest::prelude::*;
use rustlog_broker::storage::{CleanupPolicy, LogConfig, PartitionLog, StorageError};

const DEFAULT_CASES: u32 = 24;

#[derive(Debug, Clone)]
enum Op {
    Append(Vec<(Option<u8>, Option<Vec<u8>>, i64)>),
    Read {
        at: u16,
        max_bytes: usize,
    },
    Roll,
    Reopen,
    /// Advance the clock, then run maintenance (retention or compaction by policy).
    Maintain {
        advance_ms: i64,
    },
    Compact {
        advance_ms: i64,
    },
    ByTime {
        ts: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let record = (
        proptest::option::weighted(0.85, 0u8..6),
        proptest::option::weighted(0.85, proptest::collection::vec(any::<u8>(), 0..40)),
        -50i64..500,
    );
    prop_oneof![
        6 => proptest::collection::vec(record, 1..6).prop_map(Op::Append),
        3 => (any::<u16>(), 1usize..1500).prop_map(|(at, max_bytes)| Op::Read { at, max_bytes }),
        1 => Just(Op::Roll),
        1 => Just(Op::Reopen),
        1 => (0i64..3000).prop_map(|advance_ms| Op::Maintain { advance_ms }),
        1 => (0i64..3000).prop_map(|advance_ms| Op::Compact { advance_ms }),
        1 => (-100i64..6000).prop_map(|ts| Op::ByTime { ts }),
    ]
}

fn config() -> impl Strategy<Value = LogConfig> {
    (
        200u64..1500,
        1u32..600,
        prop::bool::ANY,
        0u64..2000,
        proptest::option::of(0u64..4000),
        proptest::option::of(0u64..3000),
    )
        .prop_map(
            |(
                segment_bytes,
                interval,
                compact,
                delete_retention_ms,
                retention_ms,
                retention_bytes,
            )| LogConfig {
                index_interval_bytes: interval,
                cleanup_policy: if compact {
                    CleanupPolicy::Compact
                } else {
                    CleanupPolicy::Delete
                },
                delete_retention_ms,
                retention_ms,
                retention_bytes,
                ..small_config(segment_bytes)
            },
        )
}

/// The model: every offset ever assigned, `None` once compaction removed it.
#[derive(Debug, Default)]
struct Model {
    records: Vec<Option<Rec>>,
    /// Which appended batch each offset came from.
    batch_of: Vec<usize>,
    log_start: u64,
    now_ms: i64,
}

impl Model {
    fn hw(&self) -> u64 {
        self.records.len() as u64
    }
    fn live(&self) -> Vec<Rec> {
        self.records[self.log_start as usize..]
            .iter()
            .flatten()
            .cloned()
            .collect()
    }
    fn by_time(&self, ts: i64) -> Option<(u64, i64)> {
        self.live()
            .into_iter()
            .find(|r| r.timestamp_ms >= ts)
            .map(|r| (r.offset, r.timestamp_ms))
    }
    fn compact(&mut self, sealed_end: u64, delete_retention_ms: u64) {
        let mut latest: HashMap<Vec<u8>, u64> = HashMap::new();
        for r in self.records.iter().flatten() {
            if let Some(k) = &r.key {
                latest.insert(k.clone(), r.offset);
            }
        }
        let now = self.now_ms;
        // The last batch before the active segment is kept whole.
        let protected = (sealed_end as usize)
            .checked_sub(1)
            .map(|o| self.batch_of[o]);
        for (offset, slot) in self.records[..sealed_end as usize].iter_mut().enumerate() {
            let keep = protected == Some(self.batch_of[offset]) && slot.is_some()
                || match slot {
                    None => false,
                    Some(r) => match &r.key {
                        None => true,
                        Some(k) => {
                            latest[k] == r.offset
                                && !(r.value.is_none()
                                    && i128::from(now) - i128::from(r.timestamp_ms)
                                        >= i128::from(delete_retention_ms))
                        }
                    },
                };
            if !keep {
                *slot = None;
            }
        }
    }
}

/// Which segments retention must delete, from the log's own segment summaries.
fn expected_retention_start(log: &PartitionLog, config: &LogConfig, now: i64) -> u64 {
    let info = log.info();
    let sealed = &info.segments[..info.segments.len() - 1];
    let mut doomed = 0;
    if let Some(ms) = config.retention_ms {
        doomed = sealed
            .iter()
            .take_while(|s| {
                s.max_timestamp_ms
                    .map_or(true, |t| i128::from(now) - i128::from(t) > i128::from(ms))
            })
            .count();
    }
    if let Some(bytes) = config.retention_bytes {
        let mut excess = info.size_bytes.saturating_sub(bytes);
        let mut n = 0;
        for s in sealed {
            if excess < s.size_bytes || (s.size_bytes == 0 && excess == 0) {
                break;
            }
            excess -= s.size_bytes;
            n += 1;
        }
        doomed = doomed.max(n);
    }
    if doomed == 0 {
        log.log_start_offset()
    } else {
        info.segments[doomed].base_offset
    }
}

fn check(log: &PartitionLog, model: &Model) {
    assert_eq!(log.high_watermark(), model.hw());
    assert_eq!(log.log_start_offset(), model.log_start);
    assert_eq!(read_all(log), model.live());
    let info = log.info();
    // The log start lies in the first segment (retention deletes whole segments only).
    assert!(info.segments[0].base_offset <= model.log_start, "{info:?}");
    assert!(
        model.log_start
            <= info.segments[0]
                .next_offset
                .max(info.segments[0].base_offset),
        "{info:?}"
    );
    assert_eq!(info.high_watermark, model.hw());
    for pair in info.segments.windows(2) {
        assert_eq!(pair[0].next_offset, pair[1].base_offset, "{info:?}");
    }
}

fn run(config: LogConfig, ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), config.clone());
    let mut model = Model {
        now_ms: 10_000,
        ..Model::default()
    };
    for op in ops {
        match op {
            Op::Append(recs) => {
                let base = model.now_ms;
                let new: Vec<NewRec> = recs
                    .iter()
                    .map(|(k, v, dt)| (base + dt, k.map(|k| vec![b'k', k]), v.clone()))
                    .collect();
                let info = log.append(&batch(&new)).unwrap();
                assert_eq!(info.base_offset, model.hw());
                let batch_no = model.batch_of.last().map_or(0, |b| b + 1);
                model
                    .batch_of
                    .extend(std::iter::repeat(batch_no).take(new.len()));
                for (i, (ts, key, value)) in new.into_iter().enumerate() {
                    model.records.push(Some(Rec {
                        offset: info.base_offset + i as u64,
                        timestamp_ms: ts,
                        key,
                        value,
                    }));
                }
            }
            Op::Read { at, max_bytes } => {
                let span = model.hw() + 2;
                let offset = u64::from(at) % span;
                match log.read(offset, max_bytes) {
                    Ok(res) => {
                        assert!(offset >= model.log_start && offset <= model.hw());
                        let got: Vec<Rec> = decode(&res.records)
                            .into_iter()
                            .filter(|r| r.offset >= offset)
                            .collect();
                        let want: Vec<Rec> = model
                            .live()
                            .into_iter()
                            .filter(|r| r.offset >= offset)
                            .collect();
                        assert_eq!(got[..], want[..got.len()], "read at {offset}");
                        assert_eq!(res.records.is_empty(), offset == model.hw());
                    }
                    Err(StorageError::OffsetOutOfRange { .. }) => {
                        assert!(offset < model.log_start || offset > model.hw());
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            Op::Roll => log.roll().unwrap(),
            Op::Reopen => {
                drop(log);
                log = open(dir.path(), config.clone());
            }
            Op::Maintain { advance_ms } => {
                model.now_ms += advance_ms;
                match config.cleanup_policy {
                    CleanupPolicy::Delete => {
                        let start = expected_retention_start(&log, &config, model.now_ms);
                        log.maintain(model.now_ms).unwrap();
                        model.log_start = model.log_start.max(start);
                    }
                    CleanupPolicy::Compact => {
                        let sealed_end = log.info().segments.last().unwrap().base_offset;
                        // Maintenance compacts only when due; compacting again is idempotent
                        // apart from tombstone expiry, which is exactly what makes it due.
                        log.maintain(model.now_ms).unwrap();
                        let mut if_compacted = Model {
                            records: model.records.clone(),
                            batch_of: model.batch_of.clone(),
                            log_start: model.log_start,
                            now_ms: model.now_ms,
                        };
                        if_compacted.compact(sealed_end, config.delete_retention_ms);
                        let live = read_all(&log);
                        if live == if_compacted.live() {
                            model = if_compacted;
                        } else {
                            assert_eq!(live, model.live(), "maintenance did something unexpected");
                        }
                    }
                }
            }
            Op::Compact { advance_ms } => {
                model.now_ms += advance_ms;
                let sealed_end = log.info().segments.last().unwrap().base_offset;
                log.compact(model.now_ms).unwrap();
                model.compact(sealed_end, config.delete_retention_ms);
            }
            Op::ByTime { ts } => {
                assert_eq!(
                    log.offset_for_timestamp(10_000 + ts).unwrap(),
                    model.by_time(10_000 + ts),
                    "ts {ts}"
                );
            }
        }
        check(&log, &model);
    }
    drop(log);
    let log = open(dir.path(), config);
    check(&log, &model);
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_log_behaves_like_a_vec(config in config(), ops in proptest::collection::vec(op(), 1..40)) {
        run(config, ops);
    }
}
