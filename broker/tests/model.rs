//! Scenario: the log against an in-memory model. Proptest generates random sequences of
//! operations (appends, reads, rolls, reopens, retention, compaction, timestamp lookups) and
//! random configs; after every step the log must agree with a plain `Vec` of records.
//!
//! A second property runs the same kind of operations on the fault-injecting [`FaultyIo`], with
//! faults armed at random points (failed writes, torn writes, ENOSPC on any file, a disk that
//! fills up, fsync errors, crashes that lose what was not fsynced) and checks that nothing
//! acknowledged as durable is lost across a reopen, no offset is reused, reads never return
//! bytes that were not appended, a failed fsync leaves the log read-only, and a full disk
//! recovers once space is back.
//!
//! Default case count is modest for CI; raise it for a soak run, e.g.
//! `PROPTEST_CASES=2000 cargo test -p rustlog-broker --test model`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use proptest::prelude::*;
use rustlog_broker::storage::{
    CleanupPolicy, FaultyIo, Io, LogConfig, PartitionLog, StorageError, WriteFault,
};

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
        // The last batch before the active segment keeps its last live record if it would keep
        // nothing else.
        let protected = (sealed_end as usize)
            .checked_sub(1)
            .map(|o| self.batch_of[o]);
        let mut protected_kept = false;
        let mut protected_last = None;
        for (offset, slot) in self.records[..sealed_end as usize].iter_mut().enumerate() {
            let in_protected = protected == Some(self.batch_of[offset]);
            if in_protected && slot.is_some() {
                protected_last = Some((offset, slot.clone()));
            }
            let keep = match slot {
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
            protected_kept |= keep && in_protected;
            if !keep {
                *slot = None;
            }
        }
        if let (false, Some((offset, record))) = (protected_kept, protected_last) {
            self.records[offset] = record;
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
                    .is_none_or(|t| i128::from(now) - i128::from(t) > i128::from(ms))
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
                    .extend(std::iter::repeat_n(batch_no, new.len()));
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

    #[test]
    fn the_log_keeps_its_promises_under_disk_faults(
        config in faulty_config(),
        ops in proptest::collection::vec(faulty_op(), 1..60),
    ) {
        run_with_faults(config, ops);
    }
}

// ---- The fault model ----

/// Files a fault may be aimed at (`None`: every file).
const FAULT_TARGETS: &[Option<&str>] = &[
    None,
    Some(".log"),
    Some(".index.tmp"),
    Some(".timeindex.tmp"),
    Some("checkpoint.json.tmp"),
];

#[derive(Debug, Clone)]
enum Fault {
    /// The `nth` write from now fails this way.
    Write { nth: u64, fault: WriteFault },
    /// The `nth` fsync from now fails (with ENOSPC when `enospc`: still an fsync failure).
    Sync { nth: u64, enospc: bool },
    /// The `nth` file creation from now fails with ENOSPC.
    Create { nth: u64 },
    /// Only this many bytes more fit on the disk.
    SpaceLeft { bytes: u64 },
}

/// A record to append: (key, value, timestamp delta from the model's clock).
type ModelRec = (Option<u8>, Option<Vec<u8>>, i64);

#[derive(Debug, Clone)]
enum FaultyOp {
    /// Append a batch; `durable` also flushes it (an `acks=durable` producer).
    Append {
        records: Vec<ModelRec>,
        durable: bool,
    },
    Read {
        at: u16,
        max_bytes: usize,
    },
    Roll,
    Flush,
    Maintain {
        advance_ms: i64,
    },
    /// Arm a fault on the files matching `FAULT_TARGETS[target]`.
    Arm {
        target: usize,
        fault: Fault,
    },
    /// Disarm every fault: space is back, the disk works again.
    Heal,
    /// Close and reopen cleanly (faults disarmed during the open).
    Reopen,
    /// The process dies: the active segment loses a random part of what was not fsynced.
    Crash {
        keep: u16,
    },
}

fn fault() -> impl Strategy<Value = Fault> {
    let write_fault = prop_oneof![
        Just(WriteFault::Error),
        (0usize..80).prop_map(|bytes| WriteFault::Short { bytes }),
        Just(WriteFault::DiskFull),
    ];
    prop_oneof![
        3 => (1u64..6, write_fault).prop_map(|(nth, fault)| Fault::Write { nth, fault }),
        2 => (1u64..4, prop::bool::ANY).prop_map(|(nth, enospc)| Fault::Sync { nth, enospc }),
        1 => (1u64..3).prop_map(|nth| Fault::Create { nth }),
        3 => (0u64..400).prop_map(|bytes| Fault::SpaceLeft { bytes }),
    ]
}

fn faulty_op() -> impl Strategy<Value = FaultyOp> {
    let record = (
        proptest::option::weighted(0.85, 0u8..6),
        proptest::option::weighted(0.85, proptest::collection::vec(any::<u8>(), 0..40)),
        -50i64..500,
    );
    prop_oneof![
        8 => (proptest::collection::vec(record, 1..6), prop::bool::ANY)
            .prop_map(|(records, durable)| FaultyOp::Append { records, durable }),
        2 => (any::<u16>(), 1usize..1500)
            .prop_map(|(at, max_bytes)| FaultyOp::Read { at, max_bytes }),
        1 => Just(FaultyOp::Roll),
        1 => Just(FaultyOp::Flush),
        1 => (0i64..3000).prop_map(|advance_ms| FaultyOp::Maintain { advance_ms }),
        3 => (0..FAULT_TARGETS.len(), fault())
            .prop_map(|(target, fault)| FaultyOp::Arm { target, fault }),
        2 => Just(FaultyOp::Heal),
        1 => Just(FaultyOp::Reopen),
        1 => any::<u16>().prop_map(|keep| FaultyOp::Crash { keep }),
    ]
}

/// The delete policy only: compaction under faults is the cleaner's own scenario
/// (`fault_injection.rs`, `crash_during_cleanup.rs`).
fn faulty_config() -> impl Strategy<Value = LogConfig> {
    config().prop_map(|config| LogConfig {
        cleanup_policy: CleanupPolicy::Delete,
        ..config
    })
}

/// What the test knows is on stable storage.
#[derive(Debug, Default)]
struct Durable {
    /// Every offset below this was acknowledged durable (a flush returned Ok after it).
    acked_hw: u64,
    /// The active segment file and how many of its bytes were fsynced (the file's whole length
    /// at the last successful flush). A different active file means a roll fsynced all before.
    active: Option<(PathBuf, u64)>,
}

struct Faulty {
    dir: tempfile::TempDir,
    config: LogConfig,
    faulty: FaultyIo,
    /// `None` only while the log is closed for a reopen.
    log: Option<PartitionLog>,
    model: Model,
    durable: Durable,
    /// A retention pass failed after computing this log start; its checkpoint may have been
    /// committed, so a reopen may find the log starting there.
    pending_log_start: Option<u64>,
    /// Some fault was armed since the last heal (the next append may fail).
    armed: bool,
}

fn active_log_file(dir: &Path) -> PathBuf {
    files_with_ext(dir, "log").pop().expect("an active segment")
}

impl Faulty {
    fn log(&self) -> &PartitionLog {
        self.log.as_ref().expect("the log is open")
    }

    fn open(&self) -> PartitionLog {
        let io: Arc<dyn Io> = Arc::new(self.faulty.clone());
        PartitionLog::open(self.dir.path(), self.config.clone(), io).unwrap()
    }

    fn append(&mut self, records: &[ModelRec], durable: bool) {
        let base = self.model.now_ms;
        let new: Vec<NewRec> = records
            .iter()
            .map(|(k, v, dt)| (base + dt, k.map(|k| vec![b'k', k]), v.clone()))
            .collect();
        let was_read_only = self.log().is_read_only();
        match self.log().append(&batch(&new)) {
            Ok(info) => {
                assert!(!was_read_only, "a read-only log took an append");
                assert_eq!(info.base_offset, self.model.hw(), "hole or reused offset");
                assert!(!self.log().is_disk_full(), "a write fit, so space is back");
                let batch_no = self.model.batch_of.last().map_or(0, |b| b + 1);
                self.model
                    .batch_of
                    .extend(std::iter::repeat_n(batch_no, new.len()));
                for (i, (ts, key, value)) in new.into_iter().enumerate() {
                    self.model.records.push(Some(Rec {
                        offset: info.base_offset + i as u64,
                        timestamp_ms: ts,
                        key,
                        value,
                    }));
                }
                if durable {
                    self.flush();
                }
            }
            Err(e) => {
                assert!(
                    self.armed || was_read_only,
                    "append failed with no fault armed: {e}"
                );
                self.assert_refusal_is_classified(&e, was_read_only);
            }
        }
    }

    /// DiskFull leaves the log writable later; anything else stops it for good.
    fn assert_refusal_is_classified(&self, e: &StorageError, was_read_only: bool) {
        match e {
            StorageError::DiskFull { .. } => {
                assert!(!was_read_only && !self.log().is_read_only(), "{e}");
                assert!(self.log().is_disk_full(), "{e}");
            }
            StorageError::ReadOnly { .. } => assert!(self.log().is_read_only(), "{e}"),
            _ => assert!(self.log().is_read_only(), "not read-only after {e}"),
        }
    }

    fn flush(&mut self) {
        let was_read_only = self.log().is_read_only();
        match self.log().flush() {
            Ok(()) => {
                assert!(!was_read_only || self.log().durable_offset() >= self.model.hw());
                self.durable.acked_hw = self.model.hw();
                let active = active_log_file(self.dir.path());
                let len = std::fs::metadata(&active).unwrap().len();
                self.durable.active = Some((active, len));
            }
            // The fsync succeeded but the recovery-point file found the disk full: a passing
            // state, nothing newly acknowledged, the log stays writable.
            Err(e @ StorageError::DiskFull { .. }) => {
                assert!(self.armed, "flush failed unarmed: {e}");
                assert!(!self.log().is_read_only(), "{e}");
                assert!(self.log().is_disk_full(), "{e}");
            }
            Err(e) => {
                assert!(self.armed || was_read_only, "flush failed unarmed: {e}");
                // fsyncgate: a failed fsync is never retried, the log is read-only for good.
                assert!(self.log().is_read_only(), "{e}");
                assert!(self.log().flush().is_err(), "a failed fsync was retried");
            }
        }
    }

    fn maintain(&mut self, advance_ms: i64) {
        self.model.now_ms += advance_ms;
        let start = expected_retention_start(self.log(), &self.config, self.model.now_ms);
        match self.log().maintain(self.model.now_ms) {
            Ok(()) => self.model.log_start = self.model.log_start.max(start),
            Err(e) => {
                assert!(self.armed, "maintenance failed unarmed: {e}");
                self.pending_log_start = Some(start.max(self.pending_log_start.unwrap_or(0)));
                // The checkpoint may be committed already (a reopen then starts there); in
                // memory the log start moved only if the pass got past it.
                self.model.log_start = self.log().log_start_offset().max(self.model.log_start);
            }
        }
    }

    fn arm(&mut self, target: usize, fault: &Fault) {
        self.faulty.only_paths_ending_with(FAULT_TARGETS[target]);
        match *fault {
            Fault::Write { nth, fault } => self.faulty.fail_nth_write(nth, fault),
            Fault::Sync { nth, enospc: false } => self.faulty.fail_nth_sync(nth),
            Fault::Sync { nth, enospc: true } => self.faulty.fail_nth_sync_with_enospc(nth),
            Fault::Create { nth } => self.faulty.fail_nth_create(nth),
            Fault::SpaceLeft { bytes } => self.faulty.set_space_left(Some(bytes)),
        }
        self.armed = true;
    }

    fn heal(&mut self) {
        self.faulty.reset();
        self.armed = false;
    }

    /// Reopens with faults disarmed (recovery under faults is not this property's subject),
    /// then checks that everything acknowledged durable is there.
    fn reopen(&mut self) {
        self.log = None;
        self.heal();
        self.log = Some(self.open());
        let start = self.log().log_start_offset();
        let allowed = self
            .model
            .log_start
            .max(self.pending_log_start.unwrap_or(0));
        assert!(
            (self.model.log_start..=allowed).contains(&start),
            "log start {start} outside {}..={allowed}",
            self.model.log_start
        );
        self.model.log_start = start;
        self.pending_log_start = None;
        let hw = self.log().high_watermark();
        assert!(
            hw >= self.durable.acked_hw,
            "acknowledged durable records lost: high watermark {hw} < {}",
            self.durable.acked_hw
        );
        assert!(hw <= self.model.hw(), "records appeared from nowhere");
        // What was not fsynced may be gone after a crash; those offsets may be given again.
        self.model.records.truncate(hw as usize);
        self.model.batch_of.truncate(hw as usize);
    }

    /// Drops the log and cuts the active segment file somewhere between its fsynced length and
    /// its end, as a crash before the page cache reached the disk could leave it.
    fn crash(&mut self, keep: u16) {
        self.log = None;
        let active = active_log_file(self.dir.path());
        let len = std::fs::metadata(&active).unwrap().len();
        // What an fdatasync made durable survives, whoever called it (a flush, a maintenance
        // pass, a flush whose recovery-point write then failed): the recovery point would
        // rightly call losing it corruption. The test's own record is a lower bound.
        let by_test = match &self.durable.active {
            Some((path, synced)) if *path == active => *synced,
            _ => 0,
        };
        let by_disk = self.faulty.synced_len(&active).unwrap_or(0);
        let synced = by_test.max(by_disk).min(len);
        let cut = synced + u64::from(keep) % (len - synced + 1);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&active)
            .unwrap()
            .set_len(cut)
            .unwrap();
        self.reopen();
    }
}

fn run_with_faults(config: LogConfig, ops: Vec<FaultyOp>) {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyIo::new();
    let io: Arc<dyn Io> = Arc::new(faulty.clone());
    let log = PartitionLog::open(dir.path(), config.clone(), io).unwrap();
    let mut t = Faulty {
        dir,
        config,
        faulty,
        log: Some(log),
        model: Model {
            now_ms: 10_000,
            ..Model::default()
        },
        durable: Durable::default(),
        pending_log_start: None,
        armed: false,
    };
    for op in ops {
        match op {
            FaultyOp::Append { records, durable } => t.append(&records, durable),
            FaultyOp::Read { at, max_bytes } => {
                let offset = u64::from(at) % (t.model.hw() + 2);
                if let Ok(res) = t.log().read(offset, max_bytes) {
                    let got: Vec<Rec> = decode(&res.records)
                        .into_iter()
                        .filter(|r| r.offset >= offset)
                        .collect();
                    let want: Vec<Rec> = t
                        .model
                        .live()
                        .into_iter()
                        .filter(|r| r.offset >= offset)
                        .collect();
                    assert_eq!(got[..], want[..got.len()], "read at {offset}");
                }
            }
            FaultyOp::Roll => {
                let was_read_only = t.log().is_read_only();
                if let Err(e) = t.log().roll() {
                    assert!(t.armed || was_read_only, "roll failed unarmed: {e}");
                    t.assert_refusal_is_classified(&e, was_read_only);
                }
            }
            FaultyOp::Flush => t.flush(),
            FaultyOp::Maintain { advance_ms } => t.maintain(advance_ms),
            FaultyOp::Arm { target, fault } => t.arm(target, &fault),
            FaultyOp::Heal => {
                t.heal();
                // Space is back: the next append goes through unless an fsync failed.
                if !t.log().is_read_only() {
                    t.append(&[(None, Some(b"healed".to_vec()), 0)], false);
                    assert!(!t.log().is_disk_full());
                }
            }
            FaultyOp::Reopen => t.reopen(),
            FaultyOp::Crash { keep } => t.crash(keep),
        }
        check(t.log(), &t.model);
    }
    t.reopen();
    check(t.log(), &t.model);
}
