//! [`PartitionLog`]: one partition's log — a directory of segments, the last one active.
//!
//! Concurrency: appends and rolls are serialised by one append lock; readers take a snapshot of
//! the segment list (cheap `Arc` clones) and read without further locking; retention and
//! compaction are serialised by the maintenance lock and swap segments in the list, so a reader
//! holding an old segment keeps reading its (still mapped, never truncated) bytes.
//! `sync_to` is a group commit: one caller (the leader) fsyncs on behalf of everyone waiting.
//! The append lock also guards the idempotent-producer state ([`crate::storage::producers`]),
//! so a batch's sequence check, its append and the state update are one atomic step.

use parking_lot::{Condvar, Mutex, RwLock};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rustlog_protocol::batch::{
    set_base_offset, set_partition_leader_epoch, stamp_log_append_time, RecordBatchView,
    TimestampType,
};

use crate::storage::checkpoint::{self, Checkpoint};
use crate::storage::cleaner;
use crate::storage::config::{CleanupPolicy, FsyncPolicy, LogConfig};
use crate::storage::error::StorageError;
use crate::storage::fsutil::{probe_free_space, remove_if_exists, sync_dir, TEMP_SUFFIX};
use crate::storage::io::Io;
use crate::storage::open_segments::{OpenSegments, OPEN_SEGMENTS_MAX_DEFAULT};
use crate::storage::producers::{
    self, BatchMeta, ProducerEntry, ProducerStates, Verdict, PRODUCER_ID_EXPIRATION_MS,
};
use crate::storage::recovery_point::{RecoveryPoint, WRITE_BYTES as RECOVERY_POINT_WRITE_BYTES};
use crate::storage::segment::{
    Header, OpenMode, Segment, SegmentEnv, SegmentFiles, LOG_SUFFIX, PARTITION_LEADER_EPOCH,
};

/// Result of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendInfo {
    /// Offset given to the first record.
    pub base_offset: u64,
    /// Offset given to the last record.
    pub last_offset: u64,
    /// Records in the batch.
    pub record_count: u32,
    /// Largest record timestamp in the batch.
    pub max_timestamp_ms: i64,
    /// Broker wall-clock time of the append (of the original append for a duplicate under
    /// LogAppendTime).
    pub log_append_time_ms: i64,
    /// True when the batch was an idempotent producer's retry of a batch already in the log:
    /// nothing was appended and the offsets are the original batch's.
    pub duplicate: bool,
}

impl AppendInfo {
    /// The answer to a retried batch: the original batch's offsets, nothing appended.
    fn duplicate_of(
        original: &BatchMeta,
        record_count: u32,
        timestamp_type: TimestampType,
        now_ms: i64,
    ) -> AppendInfo {
        // Under LogAppendTime the original's maxTimestamp is its append time.
        let log_append_time_ms = match timestamp_type {
            TimestampType::LogAppendTime => original.max_timestamp_ms,
            TimestampType::CreateTime => now_ms,
        };
        AppendInfo {
            base_offset: original.base_offset,
            last_offset: original.last_offset,
            record_count,
            max_timestamp_ms: original.max_timestamp_ms,
            log_append_time_ms,
            duplicate: true,
        }
    }
}

/// Result of a read.
#[derive(Debug, Clone)]
pub struct ReadResult {
    /// Whole stored batches, possibly empty.
    pub records: Bytes,
    /// Offset after the last appended record.
    pub high_watermark: u64,
    /// First offset still in the log.
    pub log_start_offset: u64,
}

/// Describe output of a partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    pub log_start_offset: u64,
    pub high_watermark: u64,
    pub size_bytes: u64,
    pub segments: Vec<SegmentSummary>,
}

/// One segment in [`PartitionInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentSummary {
    pub base_offset: u64,
    /// Offset after the segment's range (the next segment's base for a sealed segment).
    pub next_offset: u64,
    pub size_bytes: u64,
    pub max_timestamp_ms: Option<i64>,
    pub sealed: bool,
}

/// What one compaction pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactionStats {
    pub segments_rewritten: usize,
    pub records_removed: u64,
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// Keys in the pass's key map (at most `compaction_map_bytes_max` / 32).
    pub map_keys: usize,
    /// Everything below this offset is clean: each key appears once. Below the active segment's
    /// base when the map filled (the next pass goes on from here).
    pub clean_end_offset: u64,
}

/// Places where a test can make retention or compaction stop as if the process crashed there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrashPoint {
    /// Retention: the new log start offset is checkpointed, no segment removed yet.
    RetentionAfterCheckpoint,
    /// Compaction: cleaned files are written and fsynced, the swap is not committed.
    CompactionBeforeSwapMarker,
    /// Compaction: the swap marker is written, no file renamed yet.
    CompactionAfterSwapMarker,
    /// Compaction: the first rewritten segment's files are renamed into place, others not.
    CompactionMidSwap,
}

/// The segments, ordered by base offset.
#[derive(Debug, Clone)]
struct SegmentList {
    sealed: Vec<Arc<Segment>>,
    active: Arc<Segment>,
}

impl SegmentList {
    fn all(&self) -> Vec<Arc<Segment>> {
        let mut all = Vec::with_capacity(self.sealed.len() + 1);
        all.extend(self.sealed.iter().cloned());
        all.push(self.active.clone());
        all
    }

    /// The segment that may hold `offset` and every later one.
    fn holding_and_after(&self, offset: u64) -> Vec<Arc<Segment>> {
        if self.active.base_offset <= offset {
            return vec![self.active.clone()];
        }
        let first = self
            .sealed
            .partition_point(|s| s.base_offset <= offset)
            .saturating_sub(1);
        let mut out = Vec::with_capacity(self.sealed.len() - first + 1);
        out.extend(self.sealed[first..].iter().cloned());
        out.push(self.active.clone());
        out
    }
}

#[derive(Debug)]
struct SyncState {
    /// Every offset below this is fsynced.
    durable_offset: u64,
    /// A caller is fsyncing right now; the others wait for it.
    leader_active: bool,
}

/// Why the log refuses appends for good (a failed fsync, an unexpected write error).
#[derive(Debug, Clone)]
struct Failure {
    reason: String,
}

/// The disk filled up under this log. Not a failure: every append still tries its write (the
/// write is the probe) and answers DiskFull when it does not fit, and the maintenance pass
/// probes too, so the state clears by itself once space is back.
#[derive(Debug, Clone)]
struct DiskFullState {
    /// The file whose write did not fit.
    path: PathBuf,
    /// Bytes of that write (what the maintenance probe tries to write).
    needed_bytes: usize,
    since_ms: i64,
    last_probe_ms: i64,
}

/// How often, at most, the maintenance pass probes a disk-full partition for free space.
pub const DISK_FULL_PROBE_INTERVAL_MS: i64 = 1_000;
/// Smallest and largest probe written: at least a page, at most a large batch, so a probe
/// neither passes on crumbs nor takes the space it looks for.
const DISK_FULL_PROBE_BYTES_MIN: usize = 4 * 1024;
const DISK_FULL_PROBE_BYTES_MAX: usize = 1024 * 1024;
/// The probe file in the partition directory (a temp file: a crash mid-probe leaves a file
/// that the next open removes).
const DISK_FULL_PROBE_FILE: &str = "disk-full-probe.tmp";

#[derive(Debug)]
struct Maintenance {
    last_flush_ms: i64,
    checkpoint: Checkpoint,
}

/// One partition's log. All methods take `&self`; `Send + Sync`.
#[derive(Debug)]
pub struct PartitionLog {
    dir: PathBuf,
    /// The file seam and the broker-wide cap on mapped sealed segments, shared by its segments.
    env: SegmentEnv,
    config: RwLock<LogConfig>,
    segments: RwLock<SegmentList>,
    /// The append lock, guarding the producer state with it.
    append_lock: Mutex<ProducerStates>,
    /// The producer state changed since the snapshot was written (a clean close skips the
    /// snapshot otherwise: thousands of idle partitions need not each fsync one).
    producers_dirty: AtomicBool,
    high_watermark: AtomicU64,
    log_start_offset: AtomicU64,
    sync_state: Mutex<SyncState>,
    sync_done: Condvar,
    read_only: AtomicBool,
    closed: AtomicBool,
    failure: Mutex<Option<Failure>>,
    /// Mirrors `disk_full.is_some()`, so the append path checks it without a lock.
    disk_full_flag: AtomicBool,
    disk_full: Mutex<Option<DiskFullState>>,
    maintenance: Mutex<Maintenance>,
    crash_point: Mutex<Option<CrashPoint>>,
    /// Persisted after every fsync, before its waiters are acknowledged.
    recovery_point: RecoveryPoint,
}

/// Wall-clock milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Base offsets of the `{base:020}.log` files in `dir`, sorted.
pub(crate) fn list_segment_bases(io: &dyn Io, dir: &Path) -> Result<Vec<u64>, StorageError> {
    let entries = io
        .list_dir(dir)
        .map_err(|e| StorageError::io("list", dir, e))?;
    let mut bases: Vec<u64> = entries
        .iter()
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?;
            let stem = name.strip_suffix(&format!(".{LOG_SUFFIX}"))?;
            (stem.len() == 20 && stem.bytes().all(|b| b.is_ascii_digit()))
                .then(|| stem.parse::<u64>().ok())
                .flatten()
        })
        .collect();
    bases.sort_unstable();
    Ok(bases)
}

/// Deletes leftovers of interrupted atomic writes (`*.tmp`).
fn remove_temp_files(io: &dyn Io, dir: &Path) -> Result<(), StorageError> {
    let entries = io
        .list_dir(dir)
        .map_err(|e| StorageError::io("list", dir, e))?;
    for path in entries {
        if path.to_string_lossy().ends_with(TEMP_SUFFIX) {
            remove_if_exists(io, &path)?;
        }
    }
    Ok(())
}

impl PartitionLog {
    /// Opens (creating if needed) the log in `dir` and recovers it: finishes or rolls back an
    /// interrupted compaction swap, removes segments an interrupted retention left behind,
    /// checks sealed segments' indexes (rebuilding bad ones), scans the active segment's
    /// batches and cuts a torn tail. Corruption in the middle of the log is an error.
    pub fn open(
        dir: &Path,
        config: LogConfig,
        io: Arc<dyn Io>,
    ) -> Result<PartitionLog, StorageError> {
        let open_segments = OpenSegments::new(OPEN_SEGMENTS_MAX_DEFAULT);
        PartitionLog::open_capped(dir, config, io, open_segments)
    }

    /// [`Self::open`], counting this log's mapped sealed segments against `open_segments` (one
    /// cap for every log of a broker).
    pub fn open_capped(
        dir: &Path,
        config: LogConfig,
        io: Arc<dyn Io>,
        open_segments: Arc<OpenSegments>,
    ) -> Result<PartitionLog, StorageError> {
        let env = SegmentEnv {
            io: io.clone(),
            open_segments,
        };
        io.create_dir_all(dir)
            .map_err(|e| StorageError::io("create directory", dir, e))?;
        cleaner::recover(io.as_ref(), dir)?;
        remove_temp_files(io.as_ref(), dir)?;
        let checkpoint = checkpoint::load(io.as_ref(), dir)?;
        let recovery_point = RecoveryPoint::open(io.clone(), dir)?;
        let mut bases = list_segment_bases(io.as_ref(), dir)?;
        // Segments wholly below the checkpointed log start: an interrupted retention.
        while bases.len() >= 2 && bases[1] <= checkpoint.log_start_offset {
            SegmentFiles::remove_all(io.as_ref(), dir, bases[0])?;
            bases.remove(0);
        }
        let now = now_ms();
        let interval = config.index_interval_bytes;
        let mut sealed: Vec<Arc<Segment>> = Vec::with_capacity(bases.len());
        let active = match bases.split_last() {
            Some((&last, earlier)) => {
                for &base in earlier {
                    let segment = Segment::open(dir, base, &env, OpenMode::Sealed, interval, now)?;
                    if let Some(prev) = sealed.last() {
                        check_adjacent(prev, &segment)?;
                    }
                    sealed.push(Arc::new(segment));
                }
                let mode = OpenMode::Active {
                    recovery_point: recovery_point.get(),
                };
                let active = Segment::open(dir, last, &env, mode, interval, now)?;
                if let Some(prev) = sealed.last() {
                    check_adjacent(prev, &active)?;
                }
                active
            }
            None => {
                let segment = Segment::create(dir, checkpoint.log_start_offset, &env, now)?;
                sync_dir(io.as_ref(), dir)?;
                segment
            }
        };
        let first_base = sealed.first().map_or(active.base_offset, |s| s.base_offset);
        let high_watermark = active.next_offset();
        check_recovery_point(&active, recovery_point.get())?;
        let segments = SegmentList {
            sealed,
            active: Arc::new(active),
        };
        let log_start_offset = checkpoint
            .log_start_offset
            .clamp(first_base, high_watermark.max(first_base));
        let (producer_states, producers_dirty) =
            recover_producers(io.as_ref(), dir, &segments, high_watermark, now)?;
        Ok(PartitionLog {
            dir: dir.to_path_buf(),
            env,
            config: RwLock::new(config),
            segments: RwLock::new(segments),
            append_lock: Mutex::new(producer_states),
            producers_dirty: AtomicBool::new(producers_dirty),
            high_watermark: AtomicU64::new(high_watermark),
            log_start_offset: AtomicU64::new(log_start_offset),
            sync_state: Mutex::new(SyncState {
                durable_offset: log_start_offset.max(recovery_point.get()),
                leader_active: false,
            }),
            sync_done: Condvar::new(),
            read_only: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            failure: Mutex::new(None),
            disk_full_flag: AtomicBool::new(false),
            disk_full: Mutex::new(None),
            maintenance: Mutex::new(Maintenance {
                last_flush_ms: now,
                checkpoint,
            }),
            crash_point: Mutex::new(None),
            recovery_point,
        })
    }

    /// The partition directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every segment, oldest first, the active one last.
    fn snapshot(&self) -> Vec<Arc<Segment>> {
        self.segments.read().all()
    }

    fn active(&self) -> Arc<Segment> {
        self.segments.read().active.clone()
    }

    /// The effective config.
    pub fn config(&self) -> LogConfig {
        self.config.read().clone()
    }

    /// Replaces the config (takes effect for the next append and maintenance pass).
    pub fn set_config(&self, config: LogConfig) {
        *self.config.write() = config;
    }

    /// Offset after the last appended record.
    pub fn high_watermark(&self) -> u64 {
        self.high_watermark.load(Ordering::Acquire)
    }

    /// First offset still in the log.
    pub fn log_start_offset(&self) -> u64 {
        self.log_start_offset.load(Ordering::Acquire)
    }

    /// Every offset below this is fsynced.
    pub fn durable_offset(&self) -> u64 {
        self.sync_state.lock().durable_offset
    }

    /// Whether an earlier fsync failure (or an unexpected write error) made the log refuse
    /// appends for good. A full disk does not: see [`Self::is_disk_full`].
    pub fn is_read_only(&self) -> bool {
        self.read_only.load(Ordering::Acquire)
    }

    /// Whether the last write hit a full disk and no write or probe has succeeded since:
    /// appends answer DiskFull (retriable) until one does.
    pub fn is_disk_full(&self) -> bool {
        self.disk_full_flag.load(Ordering::Acquire) && !self.is_read_only()
    }

    /// Stops the log for good (its topic was deleted): appends, syncs and maintenance refuse
    /// from now on; reads of what is there keep working.
    pub fn close(&self) {
        let _writer = self.append_lock.lock();
        self.closed.store(true, Ordering::Release);
        let _ = self.fail(StorageError::ReadOnly {
            reason: "partition log is closed (topic deleted)".to_string(),
        });
    }

    /// Test hook: make the next retention or compaction stop at `point` as if the process died.
    pub fn set_crash_point(&self, point: Option<CrashPoint>) {
        *self.crash_point.lock() = point;
    }

    fn crash_at(&self, point: CrashPoint) -> Result<(), StorageError> {
        let mut armed = self.crash_point.lock();
        if *armed == Some(point) {
            *armed = None;
            return Err(StorageError::SimulatedCrash { point });
        }
        Ok(())
    }

    fn refusal(&self) -> StorageError {
        let reason = self.failure.lock().as_ref().map_or_else(
            || "unknown earlier failure".to_string(),
            |f| f.reason.clone(),
        );
        StorageError::ReadOnly { reason }
    }

    /// Sorts a failed write of `needed_bytes`: a full disk is a passing state (appends retry),
    /// anything else turns the log read-only for good. Returns `err`.
    fn on_write_error(&self, err: StorageError, needed_bytes: usize) -> StorageError {
        match &err {
            StorageError::DiskFull { path } => {
                self.enter_disk_full(path, needed_bytes);
                err
            }
            _ => self.fail(err),
        }
    }

    fn enter_disk_full(&self, path: &Path, needed_bytes: usize) {
        let mut state = self.disk_full.lock();
        if let Some(known) = state.as_mut() {
            known.path = path.to_path_buf();
            known.needed_bytes = needed_bytes;
            return;
        }
        tracing::warn!(
            dir = %self.dir.display(),
            path = %path.display(),
            needed_bytes,
            "disk full: the partition answers appends with DiskFull (retriable) until space returns; reads keep working"
        );
        let now = now_ms();
        *state = Some(DiskFullState {
            path: path.to_path_buf(),
            needed_bytes,
            since_ms: now,
            last_probe_ms: now,
        });
        self.disk_full_flag.store(true, Ordering::Release);
    }

    /// A write of the log or a probe succeeded: space is back. `how` names which.
    fn leave_disk_full(&self, how: &'static str) {
        if !self.disk_full_flag.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.disk_full.lock();
        if let Some(was) = state.take() {
            self.disk_full_flag.store(false, Ordering::Release);
            tracing::info!(
                dir = %self.dir.display(),
                disk_full_ms = now_ms().saturating_sub(was.since_ms),
                noticed_by = how,
                "disk space is back: the partition takes appends again"
            );
        }
    }

    /// Maintenance while disk-full: at most every [`DISK_FULL_PROBE_INTERVAL_MS`], writes and
    /// removes a probe file as large as the write that did not fit; when it fits, space is
    /// back. The probe is not the log: its other errors are only logged.
    fn probe_disk_space(&self, now_ms: i64) {
        if !self.is_disk_full() {
            return;
        }
        let _writer = self.append_lock.lock();
        let bytes = {
            let mut state = self.disk_full.lock();
            let Some(known) = state.as_mut() else {
                return;
            };
            if now_ms.saturating_sub(known.last_probe_ms) < DISK_FULL_PROBE_INTERVAL_MS {
                return;
            }
            known.last_probe_ms = now_ms;
            known
                .needed_bytes
                .clamp(DISK_FULL_PROBE_BYTES_MIN, DISK_FULL_PROBE_BYTES_MAX)
        };
        let path = self.dir.join(DISK_FULL_PROBE_FILE);
        match probe_free_space(self.env.io.as_ref(), &path, bytes) {
            Ok(()) => self.leave_disk_full("probe"),
            Err(e) if e.is_disk_full() => {}
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "disk space probe failed");
            }
        }
    }

    /// Turns the log read-only because of `err`, and returns `err`.
    fn fail(&self, err: StorageError) -> StorageError {
        let mut failure = self.failure.lock();
        if failure.is_none() {
            tracing::error!(dir = %self.dir.display(), error = %err, "partition log turns read-only");
            *failure = Some(Failure {
                reason: err.to_string(),
            });
        }
        self.read_only.store(true, Ordering::Release);
        drop(failure);
        self.sync_done.notify_all();
        err
    }

    /// Validates the batch, stamps the next offset, writes it to the active segment (rolling
    /// first if needed). Does not wait for fsync even with `FsyncPolicy::Always`: call
    /// [`Self::sync_to`] with `last_offset` for that (group commit).
    ///
    /// Blocking when it rolls (fsync of the sealed segment, new files, a directory fsync): an
    /// async caller tries [`Self::try_append`] first and runs this on the blocking pool only
    /// when that says a roll is due.
    pub fn append(&self, batch: &[u8]) -> Result<AppendInfo, StorageError> {
        self.append_inner(batch, true)?.ok_or_else(|| {
            StorageError::InvalidBatch(rustlog_protocol::ProtocolError::InvalidBatch {
                reason: "append declined a roll it was allowed".to_string(),
            })
        })
    }

    /// [`Self::append`] unless the active segment must roll first: then `Ok(None)` and nothing
    /// changed. Never fsyncs or creates a file, so it may run on an async worker.
    pub fn try_append(&self, batch: &[u8]) -> Result<Option<AppendInfo>, StorageError> {
        self.append_inner(batch, false)
    }

    fn append_inner(
        &self,
        batch: &[u8],
        may_roll: bool,
    ) -> Result<Option<AppendInfo>, StorageError> {
        if self.is_read_only() {
            return Err(self.refusal());
        }
        let view = RecordBatchView::parse(batch).map_err(StorageError::InvalidBatch)?;
        if view.as_bytes().len() != batch.len() {
            return Err(StorageError::InvalidBatch(
                rustlog_protocol::ProtocolError::TrailingBytes {
                    what: "appended record batch",
                    extra: batch.len() - view.as_bytes().len(),
                },
            ));
        }
        view.validate_for_append()
            .map_err(StorageError::InvalidBatch)?;
        let record_count = view.header().record_count;
        let mut stamped = batch.to_vec();

        let mut producers = self.append_lock.lock();
        if self.is_read_only() {
            return Err(self.refusal());
        }
        let config = self.config();
        let now = now_ms();
        if let Verdict::Duplicate(original) = producers.check(view.header(), now)? {
            return Ok(Some(AppendInfo::duplicate_of(
                &original,
                record_count,
                config.timestamp_type,
                now,
            )));
        }
        let base_offset = self.high_watermark();
        set_base_offset(&mut stamped, base_offset);
        set_partition_leader_epoch(&mut stamped, PARTITION_LEADER_EPOCH);
        if config.timestamp_type == TimestampType::LogAppendTime {
            stamp_log_append_time(&mut stamped, now).map_err(StorageError::InvalidBatch)?;
        }
        let header = Header::decode(&stamped).map_err(|reason| {
            StorageError::InvalidBatch(rustlog_protocol::ProtocolError::InvalidBatch { reason })
        })?;
        let mut active = self.active();
        let batch_bytes = stamped.len();
        if needs_roll(
            &active,
            &config,
            batch_bytes as u64,
            header.last_offset,
            now,
        ) {
            if !may_roll {
                return Ok(None);
            }
            active = self.roll_locked(&producers, &active, now)?;
        }
        active
            .append(&stamped, &header, config.index_interval_bytes)
            .map_err(|e| self.on_write_error(e, batch_bytes))?;
        self.leave_disk_full("append");
        if header.batch.has_producer_id() {
            producers.record(&header.batch, now);
            self.producers_dirty.store(true, Ordering::Release);
        }
        self.high_watermark
            .store(header.last_offset + 1, Ordering::Release);
        Ok(Some(AppendInfo {
            base_offset,
            last_offset: header.last_offset,
            record_count,
            max_timestamp_ms: header.max_timestamp_ms,
            log_append_time_ms: now,
            duplicate: false,
        }))
    }

    /// Seals `active` and starts a new segment at the high watermark. Append lock held.
    /// Every step that can hit a full disk (index files, the new file) comes before `active` is
    /// mapped, so on DiskFull `active` stays the appendable active segment and the next append
    /// retries the roll. fsync failures stop the log.
    fn roll_locked(
        &self,
        producers: &ProducerStates,
        active: &Arc<Segment>,
        now: i64,
    ) -> Result<Arc<Segment>, StorageError> {
        active
            .persist_for_seal()
            .map_err(|e| self.on_write_error(e, 0))?;
        let base = self.high_watermark();
        let next = match Segment::create(&self.dir, base, &self.env, now) {
            Ok(next) => next,
            Err(e) => {
                // A half-created empty file would open as the active segment after a crash,
                // making `active` (not sealed by then) look sealed.
                if let Err(cleanup) =
                    SegmentFiles::remove_all(self.env.io.as_ref(), &self.dir, base)
                {
                    return Err(self.fail(cleanup));
                }
                return Err(self.on_write_error(e, 0));
            }
        };
        sync_dir(self.env.io.as_ref(), &self.dir).map_err(|e| self.fail(e))?;
        active.map().map_err(|e| self.fail(e))?;
        let next = Arc::new(next);
        {
            let mut list = self.segments.write();
            let previous = std::mem::replace(&mut list.active, next.clone());
            list.sealed.push(previous);
        }
        tracing::debug!(dir = %self.dir.display(), base, "rolled segment");
        // Everything below `base` is fsynced now, so a snapshot as of `base` never runs ahead of
        // what survives a crash. A failed snapshot costs only a longer replay on the next open.
        // Written even when unchanged: it moves the replay start to `base`, so an open replays
        // the headers of the active segment only.
        match producers::store_snapshot(self.env.io.as_ref(), &self.dir, producers, base) {
            Ok(()) => self.producers_dirty.store(false, Ordering::Release),
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), error = %e, "could not write the producer snapshot");
            }
        }
        Ok(next)
    }

    /// Seals the active segment now (if it holds anything) and starts a new one.
    pub fn roll(&self) -> Result<(), StorageError> {
        if self.is_read_only() {
            return Err(self.refusal());
        }
        let producers = self.append_lock.lock();
        let active = self.active();
        if !active.is_empty() {
            self.roll_locked(&producers, &active, now_ms())?;
        }
        Ok(())
    }

    /// The idempotent-producer state of `producer_id` on this partition.
    pub fn producer_state(&self, producer_id: i64) -> Option<ProducerEntry> {
        self.append_lock.lock().get(producer_id).cloned()
    }

    /// Fences every epoch of `producer_id` older than `epoch` (InitProducer bumped it) and
    /// persists that in the snapshot; returns whether this partition knew the id.
    pub fn fence_producer(&self, producer_id: i64, epoch: i16) -> Result<bool, StorageError> {
        let fenced = self.append_lock.lock().fence(producer_id, epoch);
        if fenced {
            self.producers_dirty.store(true, Ordering::Release);
            // A snapshot ahead of the durable log is ignored after a crash, so this is safe
            // without a flush; it only keeps the fence across a clean restart.
            self.write_producer_snapshot()?;
        }
        Ok(fenced)
    }

    /// Drops producer ids idle for longer than `expiration_ms` as of `now_ms`; returns how many.
    pub fn expire_producers(&self, now_ms: i64, expiration_ms: i64) -> usize {
        let dropped = self.append_lock.lock().expire(now_ms, expiration_ms);
        if dropped > 0 {
            self.producers_dirty.store(true, Ordering::Release);
            tracing::debug!(dir = %self.dir.display(), dropped, "expired idle producer ids");
        }
        dropped
    }

    /// Writes the producer-state snapshot as of the high watermark if the state changed since
    /// the last one (clean close: call after [`Self::flush`], so the snapshot is not ahead of
    /// the durable log).
    pub fn write_producer_snapshot(&self) -> Result<(), StorageError> {
        let mut producers = self.append_lock.lock();
        if self.closed.load(Ordering::Acquire) {
            return Ok(());
        }
        producers.expire(now_ms(), PRODUCER_ID_EXPIRATION_MS);
        if !self.producers_dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let stored = producers::store_snapshot(
            self.env.io.as_ref(),
            &self.dir,
            &producers,
            self.high_watermark(),
        );
        if stored.is_err() {
            self.producers_dirty.store(true, Ordering::Release);
        }
        stored
    }

    /// Blocks until every record up to and including `offset` (clamped to what was appended)
    /// is fsynced. Concurrent callers share one fsync. An fsync error turns the log read-only.
    pub fn sync_to(&self, offset: u64) -> Result<(), StorageError> {
        let wanted = offset.saturating_add(1).min(self.high_watermark());
        let mut state = self.sync_state.lock();
        loop {
            if state.durable_offset >= wanted {
                return Ok(());
            }
            if self.is_read_only() {
                return Err(self.refusal());
            }
            if state.leader_active {
                self.sync_done.wait(&mut state);
                continue;
            }
            state.leader_active = true;
            drop(state);
            // Everything below `covered` is in the active segment or in sealed segments,
            // which were fsynced when they rolled. Read it before picking the active segment.
            let covered = self.high_watermark();
            let result = self
                .active()
                .sync()
                .and_then(|()| self.recovery_point.advance(covered));
            state = self.sync_state.lock();
            state.leader_active = false;
            match result {
                Ok(()) => {
                    state.durable_offset = state.durable_offset.max(covered);
                    self.sync_done.notify_all();
                }
                Err(e) => {
                    drop(state);
                    // The recovery-point file may find the disk full (its first write creates
                    // it): a passing state like any other write, never the fsyncgate rule.
                    return Err(self.on_write_error(e, RECOVERY_POINT_WRITE_BYTES));
                }
            }
        }
    }

    /// fsyncs everything appended so far.
    pub fn flush(&self) -> Result<(), StorageError> {
        match self.high_watermark().checked_sub(1) {
            Some(last) => self.sync_to(last),
            None => Ok(()),
        }
    }

    /// Whole batches starting with the one holding `offset`, up to `max_bytes` but at least one
    /// batch when `offset` < high watermark. `offset` == high watermark gives no records.
    /// Never returns a batch whose CRC fails ([`StorageError::Corrupt`] instead).
    pub fn read(&self, offset: u64, max_bytes: usize) -> Result<ReadResult, StorageError> {
        let log_start_offset = self.log_start_offset();
        let high_watermark = self.high_watermark();
        if offset < log_start_offset || offset > high_watermark {
            return Err(StorageError::OffsetOutOfRange {
                offset,
                log_start_offset,
                high_watermark,
            });
        }
        let records = self.read_records(offset, max_bytes).inspect_err(|e| {
            if matches!(e, StorageError::Corrupt { .. }) {
                tracing::error!(dir = %self.dir.display(), offset, error = %e, "read hit a corrupt batch");
            }
        })?;
        Ok(ReadResult {
            records,
            // Read after the data, so it is at least past every returned record.
            high_watermark: self.high_watermark(),
            log_start_offset: self.log_start_offset(),
        })
    }

    /// The batches of [`Self::read`] (`offset` within the log): from the first segment that
    /// has any at or after `offset`, cut before a corrupt batch that is not the first.
    fn read_records(&self, offset: u64, max_bytes: usize) -> Result<Bytes, StorageError> {
        if offset < self.high_watermark() {
            for segment in &self.segments.read().holding_and_after(offset) {
                if let Some(bytes) = segment.read(offset, max_bytes)? {
                    return Ok(bytes);
                }
            }
        }
        Ok(Bytes::new())
    }

    /// The persisted recovery point: every offset below it was fsynced.
    pub fn recovery_point(&self) -> u64 {
        self.recovery_point.get()
    }

    /// First offset whose record timestamp is >= `timestamp_ms`, with that timestamp.
    pub fn offset_for_timestamp(
        &self,
        timestamp_ms: i64,
    ) -> Result<Option<(u64, i64)>, StorageError> {
        for segment in self.snapshot() {
            if let Some(found) = segment.offset_for_timestamp(timestamp_ms)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// The record with the largest timestamp (the first of several equal ones): (offset,
    /// timestamp), `None` for an empty log. Kafka's ListOffsets MAX_TIMESTAMP (KIP-734).
    pub fn max_timestamp_offset(&self) -> Result<Option<(u64, i64)>, StorageError> {
        let segments = self.snapshot();
        let mut newest: Option<(i64, usize)> = None;
        for (at, segment) in segments.iter().enumerate() {
            if let Some(ts) = segment.max_timestamp_ms() {
                // Strictly greater: an earlier segment wins a tie, as the earlier record does.
                if newest.is_none_or(|(best, _)| ts > best) {
                    newest = Some((ts, at));
                }
            }
        }
        match newest.and_then(|(ts, at)| segments.get(at).map(|s| (ts, s))) {
            Some((ts, segment)) => segment.offset_for_timestamp(ts),
            None => Ok(None),
        }
    }

    /// Offsets, size and segments.
    pub fn info(&self) -> PartitionInfo {
        let segments = self.snapshot();
        let high_watermark = self.high_watermark();
        let summaries: Vec<SegmentSummary> = segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let sealed = i + 1 < segments.len();
                SegmentSummary {
                    base_offset: s.base_offset,
                    next_offset: segments
                        .get(i + 1)
                        .map_or(high_watermark.max(s.next_offset()), |n| n.base_offset),
                    size_bytes: s.len(),
                    max_timestamp_ms: s.max_timestamp_ms(),
                    sealed,
                }
            })
            .collect();
        PartitionInfo {
            log_start_offset: self.log_start_offset(),
            high_watermark,
            size_bytes: summaries.iter().map(|s| s.size_bytes).sum(),
            segments: summaries,
        }
    }

    /// Periodic work: roll by segment age, interval fsync when due, retention (delete policy)
    /// or compaction (compact policy).
    pub fn maintain(&self, now_ms: i64) -> Result<(), StorageError> {
        if self.closed.load(Ordering::Acquire) {
            return Ok(());
        }
        let config = self.config();
        self.probe_disk_space(now_ms);
        let active = self.active();
        // Not while the disk is full (the probe clears that first); a roll that finds the disk
        // full skips only itself: the flush and retention (which frees space) still run.
        if !self.is_disk_full()
            && !active.is_empty()
            && now_ms.saturating_sub(active.created_ms)
                >= i64::try_from(config.segment_ms).unwrap_or(i64::MAX)
        {
            match self.roll() {
                Err(e) if !e.is_disk_full() => return Err(e),
                _ => {}
            }
        }
        self.expire_producers(now_ms, PRODUCER_ID_EXPIRATION_MS);
        if let FsyncPolicy::Interval { interval_ms } = config.fsync {
            let due = {
                let m = self.maintenance.lock();
                // A wall clock stepped back (now before the last flush) counts as due: else the
                // fsync would wait for the clock to catch up, leaving acked records unsynced.
                now_ms < m.last_flush_ms
                    || now_ms.saturating_sub(m.last_flush_ms)
                        >= i64::try_from(interval_ms).unwrap_or(i64::MAX)
            };
            if due && self.durable_offset() < self.high_watermark() {
                self.flush()?;
                self.maintenance.lock().last_flush_ms = now_ms;
            }
        }
        match config.cleanup_policy {
            CleanupPolicy::Delete => self.apply_retention(now_ms).map(|_| ()),
            CleanupPolicy::Compact => {
                if self.compaction_due(now_ms) {
                    self.compact(now_ms)?;
                }
                Ok(())
            }
        }
    }

    /// Deletes the oldest sealed segments that are past `retention.ms` (newest record older
    /// than that) or beyond `retention.bytes`. Returns how many segments were removed.
    pub fn apply_retention(&self, now_ms: i64) -> Result<usize, StorageError> {
        let config = self.config();
        let mut maintenance = self.maintenance.lock();
        let segments = self.snapshot();
        let sealed = &segments[..segments.len().saturating_sub(1)];
        let mut doomed = 0usize;
        if let Some(retention_ms) = config.retention_ms {
            let limit = i128::from(retention_ms);
            doomed = sealed
                .iter()
                .take_while(|s| {
                    s.max_timestamp_ms()
                        .is_none_or(|ts| i128::from(now_ms) - i128::from(ts) > limit)
                })
                .count();
        }
        if let Some(retention_bytes) = config.retention_bytes {
            let total: u64 = segments.iter().map(|s| s.len()).sum();
            let mut excess = total.saturating_sub(retention_bytes);
            let mut by_size = 0usize;
            for s in sealed {
                if excess < s.len() || s.is_empty() && excess == 0 {
                    break;
                }
                excess -= s.len();
                by_size += 1;
            }
            doomed = doomed.max(by_size);
        }
        if doomed == 0 {
            return Ok(0);
        }
        let new_start = segments[doomed].base_offset;
        // Checkpoint first: a crash after this point finishes the deletion on the next open.
        maintenance.checkpoint.log_start_offset =
            maintenance.checkpoint.log_start_offset.max(new_start);
        checkpoint::store(self.env.io.as_ref(), &self.dir, &maintenance.checkpoint)?;
        self.crash_at(CrashPoint::RetentionAfterCheckpoint)?;
        self.log_start_offset.fetch_max(new_start, Ordering::AcqRel);
        let removed: Vec<Arc<Segment>> = {
            let mut list = self.segments.write();
            let n = list
                .sealed
                .iter()
                .take_while(|s| s.base_offset < new_start)
                .count();
            list.sealed.drain(..n).collect()
        };
        for segment in &removed {
            // Files go when the last reader lets go of the segment (no SIGBUS, no lost reads).
            segment.retire();
        }
        tracing::info!(dir = %self.dir.display(), removed = removed.len(), log_start_offset = new_start, "retention removed segments");
        Ok(removed.len())
    }

    fn compaction_due(&self, now_ms: i64) -> bool {
        let m = self.maintenance.lock();
        let sealed_end = self.active().base_offset;
        sealed_end > m.checkpoint.cleaner.clean_end_offset
            || m.checkpoint
                .cleaner
                .next_tombstone_expiry_ms
                .is_some_and(|t| t <= now_ms)
    }

    /// Compacts the sealed segments now: keeps the newest record per key (looking at the whole
    /// log, active segment included), drops tombstones older than `delete.retention.ms`,
    /// preserves offsets, and swaps the rewritten segments in atomically.
    pub fn compact(&self, now_ms: i64) -> Result<CompactionStats, StorageError> {
        let config = self.config();
        let mut maintenance = self.maintenance.lock();
        let segments = self.snapshot();
        let Some((active, sealed)) = segments.split_last() else {
            return Ok(CompactionStats::default());
        };
        let plan = cleaner::Plan {
            dir: &self.dir,
            io: self.env.io.as_ref(),
            sealed,
            active,
            now_ms,
            delete_retention_ms: config.delete_retention_ms,
            index_interval_bytes: config.index_interval_bytes,
            clean_end_offset: maintenance.checkpoint.cleaner.clean_end_offset,
            map_bytes_max: config.compaction_map_bytes_max,
        };
        let output = match cleaner::write_cleaned(&plan) {
            Ok(output) => output,
            Err(e) => {
                // Nothing was committed: drop the partial files now rather than at next open.
                if let Err(cleanup) = cleaner::discard_uncommitted(self.env.io.as_ref(), &self.dir)
                {
                    tracing::warn!(error = %cleanup, "could not remove partial compaction files");
                }
                return Err(e);
            }
        };
        if !output.rewritten.is_empty() {
            // Readers may still hold the segments being replaced; they keep reading the old
            // bytes through a mapping made now, never a reopen of the renamed-over path.
            for segment in sealed {
                if output.rewritten.contains(&segment.base_offset) {
                    segment.pin_before_replacement()?;
                }
            }
            sync_dir(self.env.io.as_ref(), &self.dir)?;
            self.crash_at(CrashPoint::CompactionBeforeSwapMarker)?;
            cleaner::write_swap_marker(self.env.io.as_ref(), &self.dir, &output.rewritten)?;
            self.crash_at(CrashPoint::CompactionAfterSwapMarker)?;
            for (i, &base) in output.rewritten.iter().enumerate() {
                cleaner::swap_in(self.env.io.as_ref(), &self.dir, base)?;
                if i == 0 {
                    self.crash_at(CrashPoint::CompactionMidSwap)?;
                }
            }
            sync_dir(self.env.io.as_ref(), &self.dir)?;
            let mut fresh = Vec::with_capacity(output.rewritten.len());
            for &base in &output.rewritten {
                let segment = Segment::open(
                    &self.dir,
                    base,
                    &self.env,
                    OpenMode::Sealed,
                    config.index_interval_bytes,
                    now_ms,
                )?;
                fresh.push(Arc::new(segment));
            }
            {
                let mut list = self.segments.write();
                for segment in fresh {
                    if let Some(slot) = list
                        .sealed
                        .iter_mut()
                        .find(|s| s.base_offset == segment.base_offset)
                    {
                        *slot = segment;
                    }
                }
            }
            cleaner::remove_swap_marker(self.env.io.as_ref(), &self.dir)?;
        }
        maintenance.checkpoint.cleaner = checkpoint::CleanerState {
            clean_end_offset: output.stats.clean_end_offset,
            next_tombstone_expiry_ms: output.next_tombstone_expiry_ms,
        };
        checkpoint::store(self.env.io.as_ref(), &self.dir, &maintenance.checkpoint)?;
        Ok(output.stats)
    }
}

/// Rebuilds the producer state: the snapshot (when valid and not ahead of the log), then the
/// headers of every batch after its offset; without a snapshot, every batch's header. Also
/// says whether a new snapshot is worth writing (the state or its replay start moved).
fn recover_producers(
    io: &dyn Io,
    dir: &Path,
    segments: &SegmentList,
    high_watermark: u64,
    now: i64,
) -> Result<(ProducerStates, bool), StorageError> {
    let snapshot = producers::load_snapshot(io, dir, high_watermark)?;
    let mut dirty = snapshot.is_none() && high_watermark > 0;
    let (from, mut states) = snapshot.unwrap_or_default();
    for segment in segments.all() {
        if segment.next_offset() <= from {
            continue;
        }
        segment.for_each_header_from(from, |h| {
            if h.last_offset >= from && h.batch.has_producer_id() {
                states.record(&h.batch, now);
                dirty = true;
            }
        })?;
    }
    Ok((states, dirty))
}

fn needs_roll(
    active: &Segment,
    config: &LogConfig,
    batch_bytes: u64,
    last_offset: u64,
    now: i64,
) -> bool {
    if active.is_empty() {
        return false;
    }
    let too_big = active.len() + batch_bytes > config.segment_bytes;
    let too_old = now.saturating_sub(active.created_ms)
        >= i64::try_from(config.segment_ms).unwrap_or(i64::MAX);
    // Relative offsets in the indexes are u32.
    let span_full = last_offset - active.base_offset > u64::from(u32::MAX);
    too_big || too_old || span_full
}

/// The log must reach its recovery point: offsets below it were fsynced (and may have been
/// acknowledged), so a log that ends earlier lost durable data (a shortened or missing file).
fn check_recovery_point(active: &Segment, recovery_point: u64) -> Result<(), StorageError> {
    if active.next_offset() < recovery_point {
        return Err(StorageError::corrupt(
            active.log_path(),
            active.len(),
            format!(
                "log ends at offset {} below its recovery point {recovery_point}",
                active.next_offset()
            ),
        ));
    }
    Ok(())
}

/// Sealed segments must tile the offsets: each ends where the next begins.
fn check_adjacent(prev: &Segment, next: &Segment) -> Result<(), StorageError> {
    if prev.base_offset >= next.base_offset
        || (!prev.is_empty() && prev.next_offset() != next.base_offset)
        || prev.next_offset() > next.base_offset
    {
        return Err(StorageError::corrupt(
            prev.log_path(),
            prev.len(),
            format!(
                "segment ends at offset {} but the next segment starts at {}",
                prev.next_offset(),
                next.base_offset
            ),
        ));
    }
    Ok(())
}
