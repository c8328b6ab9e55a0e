//! One segment: a log file of whole record batches named by its base offset, plus its sparse
//! `.index` and `.timeindex`.
//!
//! Invariant ("dense tiling"): the batches of a segment cover its offsets without gaps — the
//! first batch starts at the segment's base offset and each batch starts at the previous batch's
//! last offset + 1. Appends keep it by construction and compaction keeps it by widening the span
//! of kept batches over removed ones. Because `base_offset` is outside a batch's CRC, this
//! invariant is what catches a damaged base offset.
//!
//! The active segment is written with positioned writes and read with positioned reads; a sealed
//! segment is immutable and read through a memory map, made on its first read and closed again
//! by the open-segment cap ([`OpenSegments`]) when it has not been read for a while.

use parking_lot::RwLock;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use rustlog_protocol::batch::{BatchHeader, RecordBatchView, BATCH_HEADER_BYTES};

use crate::storage::error::StorageError;
use crate::storage::fsutil::{read_exact_at, read_file, remove_if_exists, write_all_at};
use crate::storage::index::{self, OffsetEntry, TimeEntry};
use crate::storage::io::{Io, IoFile};
use crate::storage::mmap::{MappedSlice, Mapping};
use crate::storage::open_segments::{Closable, OpenSegments};

/// Extension of a segment's log file.
pub const LOG_SUFFIX: &str = "log";
/// Extension of a segment's offset index.
pub const INDEX_SUFFIX: &str = "index";
/// Extension of a segment's time index.
pub const TIME_INDEX_SUFFIX: &str = "timeindex";
/// Bytes read at once while scanning a log during recovery.
const SCAN_CHUNK_BYTES: usize = 1024 * 1024;
/// The partition leader epoch stamped into every stored batch: a single node never changes
/// leader.
pub(crate) const PARTITION_LEADER_EPOCH: i32 = 0;
/// Sentinel for "no timestamp yet".
const NO_TIMESTAMP: i64 = i64::MIN;

/// `{base:020}.{suffix}` in `dir`.
pub(crate) fn segment_path(dir: &Path, base_offset: u64, suffix: &str) -> PathBuf {
    dir.join(format!("{base_offset:020}.{suffix}"))
}

/// What the storage engine needs of a batch header, built from the protocol's
/// [`BatchHeader::decode`] (the only decoder of those bytes) plus the checked absolute offsets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub base_offset: u64,
    pub total_len: u64,
    pub last_offset: u64,
    pub max_timestamp_ms: i64,
    /// The whole decoded header (producer fields for the producer state).
    pub batch: BatchHeader,
}

impl Header {
    /// Decodes the header at the start of `buf` (at least [`BATCH_HEADER_BYTES`] bytes).
    pub(crate) fn decode(buf: &[u8]) -> Result<Header, String> {
        let batch = BatchHeader::decode(buf).map_err(|e| e.to_string())?;
        // The field sits outside the CRC; the broker always stamps it, so any other value is
        // damage the CRC cannot see.
        if batch.partition_leader_epoch != PARTITION_LEADER_EPOCH {
            return Err(format!(
                "partition leader epoch {} where {PARTITION_LEADER_EPOCH} is stamped",
                batch.partition_leader_epoch
            ));
        }
        let last_offset = batch
            .base_offset
            .checked_add(u64::from(batch.last_offset_delta))
            .ok_or_else(|| "last offset overflows".to_string())?;
        Ok(Header {
            base_offset: batch.base_offset,
            total_len: batch.total_len() as u64,
            last_offset,
            max_timestamp_ms: batch.max_timestamp,
            batch,
        })
    }
}

/// Builds the sparse indexes batch by batch (used by appends, recovery and compaction alike,
/// so a rebuilt index equals the one written live).
#[derive(Debug, Default, Clone)]
pub(crate) struct Indexer {
    pub offsets: Vec<OffsetEntry>,
    pub times: Vec<TimeEntry>,
    bytes_since_entry: u64,
    max_timestamp_ms: Option<i64>,
    last_relative_offset: Option<u32>,
}

impl Indexer {
    /// Records a batch at `position` of a segment based at `base_offset`.
    pub(crate) fn on_batch(&mut self, base_offset: u64, h: &Header, position: u64, interval: u32) {
        // Positions and relative offsets fit u32: segment size and offset span are capped at roll.
        let relative = (h.base_offset - base_offset) as u32;
        let relative_last = (h.last_offset - base_offset) as u32;
        let max_ts = self
            .max_timestamp_ms
            .map_or(h.max_timestamp_ms, |m| m.max(h.max_timestamp_ms));
        self.max_timestamp_ms = Some(max_ts);
        if self.offsets.is_empty() || self.bytes_since_entry >= u64::from(interval) {
            self.offsets.push(OffsetEntry {
                relative_offset: relative,
                position: position as u32,
            });
            self.times.push(TimeEntry {
                max_timestamp_ms: max_ts,
                relative_offset: relative_last,
            });
            self.bytes_since_entry = 0;
        }
        self.bytes_since_entry += h.total_len;
        self.last_relative_offset = Some(relative_last);
    }

    /// Adds the closing time entry (segment max timestamp at its last offset) before sealing.
    pub(crate) fn close_times(&mut self) {
        let (Some(max_ts), Some(last)) = (self.max_timestamp_ms, self.last_relative_offset) else {
            return;
        };
        let entry = TimeEntry {
            max_timestamp_ms: max_ts,
            relative_offset: last,
        };
        match self.times.last_mut() {
            Some(prev) if prev.relative_offset == last => *prev = entry,
            Some(prev) if *prev == entry => {}
            _ => self.times.push(entry),
        }
    }

    pub(crate) fn max_timestamp_ms(&self) -> Option<i64> {
        self.max_timestamp_ms
    }
}

/// The files of a segment; deleted when the last holder (segment or mapping) drops, if marked.
#[derive(Debug)]
pub(crate) struct SegmentFiles {
    pub log: PathBuf,
    pub index: PathBuf,
    pub time_index: PathBuf,
    delete_on_drop: AtomicBool,
    io: Arc<dyn Io>,
}

impl SegmentFiles {
    fn new(dir: &Path, base_offset: u64, io: Arc<dyn Io>) -> SegmentFiles {
        SegmentFiles {
            log: segment_path(dir, base_offset, LOG_SUFFIX),
            index: segment_path(dir, base_offset, INDEX_SUFFIX),
            time_index: segment_path(dir, base_offset, TIME_INDEX_SUFFIX),
            delete_on_drop: AtomicBool::new(false),
            io,
        }
    }

    pub(crate) fn remove_all(
        io: &dyn Io,
        dir: &Path,
        base_offset: u64,
    ) -> Result<(), StorageError> {
        for suffix in [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX] {
            remove_if_exists(io, &segment_path(dir, base_offset, suffix))?;
        }
        Ok(())
    }
}

impl Drop for SegmentFiles {
    fn drop(&mut self) {
        if !self.delete_on_drop.load(Ordering::Acquire) {
            return;
        }
        for path in [&self.log, &self.index, &self.time_index] {
            if let Err(e) = remove_if_exists(self.io.as_ref(), path) {
                // Recovery deletes leftovers below the log start offset on the next open.
                tracing::warn!(path = %path.display(), error = %e, "could not delete a retired segment file");
            }
        }
    }
}

/// A mapping that keeps its segment's files alive (not deleted) until it is unmapped.
#[derive(Debug)]
pub(crate) struct SealedMap {
    map: Mapping,
    // Declared after `map`: the map is unmapped before the files may be deleted.
    _files: Arc<SegmentFiles>,
}

impl AsRef<[u8]> for SealedMap {
    fn as_ref(&self) -> &[u8] {
        self.map.bytes()
    }
}

#[derive(Debug, Default)]
struct Indexes {
    indexer: Indexer,
}

/// How a segment's bytes are reached now.
#[derive(Debug)]
enum Reach {
    /// Active (or sealed on an `Io` without OS files): the open file, positioned I/O.
    File(Arc<dyn IoFile>),
    /// Sealed and mapped; its file descriptor is closed.
    Mapped(Arc<SealedMap>),
    /// Sealed and unmapped: not read since it was opened, closed by the cap, or empty.
    Closed,
}

/// A segment's [`Reach`], shared (weakly) with the open-segment cap so it can unmap it.
#[derive(Debug)]
struct Access {
    reach: RwLock<Reach>,
    used: AtomicBool,
    /// Set before compaction renames a new file over this segment's path: reopening the path
    /// would then map other bytes, so the mapping stays until the segment is dropped.
    pinned: AtomicBool,
}

impl Access {
    fn new(reach: Reach) -> Arc<Access> {
        Arc::new(Access {
            reach: RwLock::new(reach),
            used: AtomicBool::new(true),
            pinned: AtomicBool::new(false),
        })
    }

    fn current(&self) -> Option<Source> {
        if !self.used.load(Ordering::Relaxed) {
            self.used.store(true, Ordering::Relaxed);
        }
        self.reach.read().source()
    }
}

impl Reach {
    /// What a read uses now; `None` when closed (to be mapped again).
    fn source(&self) -> Option<Source> {
        match self {
            Reach::File(file) => Some(Source::File(file.clone())),
            Reach::Mapped(map) => Some(Source::Map(map.clone())),
            Reach::Closed => None,
        }
    }
}

impl Closable for Access {
    fn used(&self) -> &AtomicBool {
        &self.used
    }

    fn close(&self) -> bool {
        if self.pinned.load(Ordering::Acquire) {
            return false;
        }
        let mut reach = self.reach.write();
        if matches!(*reach, Reach::Mapped(_)) {
            *reach = Reach::Closed;
        }
        true
    }
}

/// Where one read takes its bytes from (taken once per read, not per batch).
enum Source {
    Map(Arc<SealedMap>),
    File(Arc<dyn IoFile>),
}

/// What the segments of a log share: the file seam and the broker-wide open-segment cap.
#[derive(Debug, Clone)]
pub(crate) struct SegmentEnv {
    pub io: Arc<dyn Io>,
    pub open_segments: Arc<OpenSegments>,
}

/// One segment (active or sealed).
#[derive(Debug)]
pub(crate) struct Segment {
    pub base_offset: u64,
    files: Arc<SegmentFiles>,
    access: Arc<Access>,
    /// Bytes of whole batches; readers never look past it. Published after the write.
    len: AtomicU64,
    /// Offset after the last batch (the base offset when empty).
    next_offset: AtomicU64,
    max_timestamp_ms: AtomicI64,
    indexes: RwLock<Indexes>,
    /// Wall-clock ms when this segment was created or opened (for `segment.ms` rolls).
    pub created_ms: i64,
    /// Set once by the seal: no append after it.
    sealed: AtomicBool,
    env: SegmentEnv,
}

/// What a recovery scan of a log file found.
#[derive(Debug)]
struct Scan {
    valid_len: u64,
    next_offset: u64,
    indexer: Indexer,
    /// Where and why the file does not end cleanly, if it does not.
    failure: Option<ScanFailure>,
}

#[derive(Debug)]
struct ScanFailure {
    position: u64,
    reason: String,
    /// A valid batch follows the damage: corruption in the middle, not a torn tail.
    mid_log: bool,
}

/// Buffered positioned reads over a file, for scanning.
struct ChunkReader<'a> {
    file: &'a dyn IoFile,
    path: &'a Path,
    file_len: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

impl<'a> ChunkReader<'a> {
    /// `n` bytes at `pos`, or `None` if the file is shorter.
    fn get(&mut self, pos: u64, n: usize) -> Result<Option<&[u8]>, StorageError> {
        let end = pos.checked_add(n as u64);
        if end.is_none_or(|end| end > self.file_len) {
            return Ok(None);
        }
        let buf_end = self.buf_start + self.buf.len() as u64;
        if pos < self.buf_start || pos + n as u64 > buf_end {
            let want = (self.file_len - pos).min(n.max(SCAN_CHUNK_BYTES) as u64) as usize;
            self.buf.resize(want, 0);
            read_exact_at(self.file, &mut self.buf, pos)
                .map_err(|e| StorageError::io("read", self.path, e))?;
            self.buf_start = pos;
        }
        let at = (pos - self.buf_start) as usize;
        Ok(Some(&self.buf[at..at + n]))
    }
}

/// Checks one batch at `pos`: header, dense offset, whole bytes, CRC. `Err(reason)` if bad.
fn check_batch_at(
    reader: &mut ChunkReader<'_>,
    pos: u64,
    expected_base: u64,
) -> Result<Result<Header, String>, StorageError> {
    let Some(head) = reader.get(pos, BATCH_HEADER_BYTES)? else {
        return Ok(Err("truncated batch header".to_string()));
    };
    let h = match Header::decode(head) {
        Ok(h) => h,
        Err(reason) => return Ok(Err(reason)),
    };
    if h.base_offset != expected_base {
        return Ok(Err(format!(
            "batch base offset {} where {expected_base} was expected",
            h.base_offset
        )));
    }
    let Some(bytes) = reader.get(pos, h.total_len as usize)? else {
        return Ok(Err(format!(
            "truncated batch: {} bytes announced, file ends first",
            h.total_len
        )));
    };
    let verdict = RecordBatchView::parse(bytes).and_then(|v| v.verify_crc());
    Ok(verdict.map(|()| h).map_err(|e| e.to_string()))
}

fn scan_log(
    file: &dyn IoFile,
    path: &Path,
    base_offset: u64,
    interval: u32,
) -> Result<Scan, StorageError> {
    let file_len = file.len().map_err(|e| StorageError::io("stat", path, e))?;
    let mut reader = ChunkReader {
        file,
        path,
        file_len,
        buf: Vec::new(),
        buf_start: 0,
    };
    let mut indexer = Indexer::default();
    let mut pos = 0u64;
    let mut next = base_offset;
    while pos < file_len {
        match check_batch_at(&mut reader, pos, next)? {
            Ok(h) => {
                indexer.on_batch(base_offset, &h, pos, interval);
                pos += h.total_len;
                next = h.last_offset + 1;
            }
            Err(reason) => {
                // Is there a whole, valid batch somewhere after the damage? Then this is not a
                // torn tail but corruption in the middle of the log.
                let later = find_valid_batch_after(&mut reader, pos, next)?;
                let reason = match later {
                    Some(at) => format!("{reason}; a valid batch follows at byte {at}"),
                    None => reason,
                };
                return Ok(Scan {
                    valid_len: pos,
                    next_offset: next,
                    indexer,
                    failure: Some(ScanFailure {
                        position: pos,
                        reason,
                        mid_log: later.is_some(),
                    }),
                });
            }
        }
    }
    Ok(Scan {
        valid_len: pos,
        next_offset: next,
        indexer,
        failure: None,
    })
}

/// What a read-only scan of one segment's log found (for `repair`).
#[derive(Debug)]
pub(crate) struct Inspection {
    pub log: PathBuf,
    pub file_len: u64,
    /// Bytes of good batches from the start.
    pub valid_len: u64,
    /// Offset after the last good batch.
    pub next_offset: u64,
    /// Why the file does not end after `valid_len`, if it does not.
    pub damage: Option<String>,
}

/// Scans the log of the segment at `base_offset` in `dir` without changing anything.
pub(crate) fn inspect(
    io: &dyn Io,
    dir: &Path,
    base_offset: u64,
) -> Result<Inspection, StorageError> {
    let log = segment_path(dir, base_offset, LOG_SUFFIX);
    let file = io
        .open(&log, false)
        .map_err(|e| StorageError::io("open", &log, e))?;
    let file_len = file.len().map_err(|e| StorageError::io("stat", &log, e))?;
    // The index interval only shapes the (discarded) rebuilt index.
    let scan = scan_log(file.as_ref(), &log, base_offset, u32::MAX)?;
    Ok(Inspection {
        log,
        file_len,
        valid_len: scan.valid_len,
        next_offset: scan.next_offset,
        damage: scan.failure.map(|f| f.reason),
    })
}

/// Searches every byte position after `pos` for a CRC-valid batch whose base offset is plausible
/// (at least `next`, within the u32 span of a segment).
fn find_valid_batch_after(
    reader: &mut ChunkReader<'_>,
    pos: u64,
    next: u64,
) -> Result<Option<u64>, StorageError> {
    let mut at = pos + 1;
    while at + BATCH_HEADER_BYTES as u64 <= reader.file_len {
        let plausible_base = match reader.get(at, BATCH_HEADER_BYTES)? {
            Some(head) => Header::decode(head)
                .ok()
                .filter(|h| {
                    h.base_offset >= next
                        && h.base_offset - next <= u64::from(u32::MAX)
                        && at + h.total_len <= reader.file_len
                })
                .map(|h| h.base_offset),
            None => None,
        };
        if let Some(base) = plausible_base {
            if check_batch_at(reader, at, base)?.is_ok() {
                return Ok(Some(at));
            }
        }
        at += 1;
    }
    Ok(None)
}

/// How a segment is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenMode {
    /// The last segment: scan every batch, cut a torn tail, rebuild the indexes. Damage is a
    /// torn tail (cut) only when nothing valid follows it and its offsets are at or above
    /// `recovery_point` (never fsynced); otherwise it is corruption.
    Active { recovery_point: u64 },
    /// An earlier segment: trust consistent indexes (cheap check), rebuild them otherwise; any
    /// damage is corruption (sealed segments were fsynced whole before the next one existed).
    Sealed,
}

impl Segment {
    /// Creates a new empty segment file.
    pub(crate) fn create(
        dir: &Path,
        base_offset: u64,
        env: &SegmentEnv,
        now_ms: i64,
    ) -> Result<Segment, StorageError> {
        let files = Arc::new(SegmentFiles::new(dir, base_offset, env.io.clone()));
        let file = env
            .io
            .open(&files.log, true)
            .map_err(|e| StorageError::io("create", &files.log, e))?;
        file.set_len(0)
            .map_err(|e| StorageError::io("truncate", &files.log, e))?;
        Ok(Segment {
            base_offset,
            files,
            access: Access::new(Reach::File(Arc::from(file))),
            len: AtomicU64::new(0),
            next_offset: AtomicU64::new(base_offset),
            max_timestamp_ms: AtomicI64::new(NO_TIMESTAMP),
            indexes: RwLock::new(Indexes::default()),
            created_ms: now_ms,
            sealed: AtomicBool::new(false),
            env: env.clone(),
        })
    }

    /// Opens an existing segment with recovery (see [`OpenMode`]). A sealed segment's file is
    /// closed again afterwards: its first read maps it.
    pub(crate) fn open(
        dir: &Path,
        base_offset: u64,
        env: &SegmentEnv,
        mode: OpenMode,
        interval: u32,
        now_ms: i64,
    ) -> Result<Segment, StorageError> {
        let io = env.io.clone();
        let files = Arc::new(SegmentFiles::new(dir, base_offset, io.clone()));
        let file = io
            .open(&files.log, false)
            .map_err(|e| StorageError::io("open", &files.log, e))?;
        let file_len = file
            .len()
            .map_err(|e| StorageError::io("stat", &files.log, e))?;
        let trusted = match mode {
            OpenMode::Sealed => {
                load_indexes(io.as_ref(), &files, file.as_ref(), base_offset, file_len)?
            }
            OpenMode::Active { .. } => None,
        };
        let rebuilt = trusted.is_none();
        let (len, next, indexer) = match trusted {
            Some(found) => found,
            None => {
                let scan = scan_log(file.as_ref(), &files.log, base_offset, interval)?;
                if let Some(ScanFailure {
                    position,
                    reason,
                    mid_log,
                }) = scan.failure
                {
                    // Offsets below the recovery point were fsynced: a crash cannot tear them.
                    let below_point = matches!(mode, OpenMode::Active { recovery_point }
                        if scan.next_offset < recovery_point);
                    if mode == OpenMode::Sealed || mid_log || below_point {
                        let reason = if below_point && !mid_log {
                            format!(
                                "{reason}; the batch holds offset {} below the recovery point",
                                scan.next_offset
                            )
                        } else {
                            reason
                        };
                        return Err(StorageError::corrupt(&files.log, position, reason));
                    }
                    tracing::warn!(
                        path = %files.log.display(),
                        position,
                        reason = %reason,
                        "truncating a torn tail"
                    );
                    file.set_len(scan.valid_len)
                        .map_err(|e| StorageError::io("truncate", &files.log, e))?;
                    file.sync_data()
                        .map_err(|e| StorageError::io("fsync", &files.log, e))?;
                }
                (scan.valid_len, scan.next_offset, scan.indexer)
            }
        };
        // A sealed file that can be mapped later needs no descriptor until then.
        let reach = if mode == OpenMode::Sealed && file.std_file().is_some() {
            Reach::Closed
        } else {
            Reach::File(Arc::from(file))
        };
        let segment = Segment {
            base_offset,
            files,
            access: Access::new(reach),
            len: AtomicU64::new(len),
            next_offset: AtomicU64::new(next),
            max_timestamp_ms: AtomicI64::new(indexer.max_timestamp_ms().unwrap_or(NO_TIMESTAMP)),
            indexes: RwLock::new(Indexes { indexer }),
            created_ms: now_ms,
            sealed: AtomicBool::new(mode == OpenMode::Sealed),
            env: env.clone(),
        };
        if mode == OpenMode::Sealed && rebuilt {
            tracing::info!(path = %segment.files.index.display(), "rebuilt segment indexes");
            segment.indexes.write().indexer.close_times();
            segment.write_indexes()?;
        }
        Ok(segment)
    }

    pub(crate) fn log_path(&self) -> &Path {
        &self.files.log
    }

    /// Bytes of whole batches.
    pub(crate) fn len(&self) -> u64 {
        self.len.load(Ordering::Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offset after the last batch (base offset when empty).
    pub(crate) fn next_offset(&self) -> u64 {
        self.next_offset.load(Ordering::Acquire)
    }

    pub(crate) fn max_timestamp_ms(&self) -> Option<i64> {
        let ts = self.max_timestamp_ms.load(Ordering::Acquire);
        (ts != NO_TIMESTAMP).then_some(ts)
    }

    /// Appends one stamped, validated batch at the end. Single writer (the log's append lock).
    /// A failed write (ENOSPC after part of the batch, say) is cut back off the file, so the
    /// file, the length and the indexes all still end at the last whole batch and a later
    /// append writes at the same position.
    pub(crate) fn append(
        &self,
        batch: &[u8],
        h: &Header,
        interval: u32,
    ) -> Result<(), StorageError> {
        let pos = self.len();
        let file = self.writable_file()?;
        if let Err(e) = write_all_at(file.as_ref(), batch, pos) {
            let err = StorageError::io("write", &self.files.log, e);
            cut_back_to(file.as_ref(), &self.files.log, pos)?;
            return Err(err);
        }
        self.indexes
            .write()
            .indexer
            .on_batch(self.base_offset, h, pos, interval);
        self.max_timestamp_ms
            .fetch_max(h.max_timestamp_ms, Ordering::AcqRel);
        self.next_offset.store(h.last_offset + 1, Ordering::Release);
        // Published last: readers only see bytes that are fully written.
        self.len.store(pos + batch.len() as u64, Ordering::Release);
        Ok(())
    }

    /// The open file of the active segment (never a sealed one: those are immutable).
    fn writable_file(&self) -> Result<Arc<dyn IoFile>, StorageError> {
        match &*self.access.reach.read() {
            Reach::File(file) if !self.is_sealed() => Ok(file.clone()),
            _ => Err(StorageError::io(
                "write",
                &self.files.log,
                std::io::Error::other("the segment is sealed"),
            )),
        }
    }

    fn is_sealed(&self) -> bool {
        self.sealed.load(Ordering::Acquire)
    }

    /// fsyncs the log file. A sealed segment was fsynced whole when it was sealed.
    pub(crate) fn sync(&self) -> Result<(), StorageError> {
        let file = match &*self.access.reach.read() {
            Reach::File(file) => file.clone(),
            Reach::Mapped(_) | Reach::Closed => return Ok(()),
        };
        file.sync_data()
            .map_err(|e| StorageError::fsync(&self.files.log, e))
    }

    /// First half of sealing: fsync, then write the indexes (crash-safely). The segment stays
    /// appendable if this fails (e.g. ENOSPC on an index file), or if the roll stops later:
    /// appending after it only adds index entries after the closing time entry, which a later
    /// seal closes again.
    pub(crate) fn persist_for_seal(&self) -> Result<(), StorageError> {
        self.sync()?;
        self.indexes.write().indexer.close_times();
        self.write_indexes()
    }

    fn write_indexes(&self) -> Result<(), StorageError> {
        let (offsets, times) = {
            let ix = self.indexes.read();
            (
                index::encode_offsets(&ix.indexer.offsets),
                index::encode_times(&ix.indexer.times),
            )
        };
        write_index_file(self.env.io.as_ref(), &self.files.index, &offsets)?;
        write_index_file(self.env.io.as_ref(), &self.files.time_index, &times)
    }

    /// Maps the file for reads and closes its descriptor: the second half of sealing (after
    /// [`Self::persist_for_seal`]); nothing may be appended after it. A second seal keeps the
    /// first mapping (same immutable bytes).
    pub(crate) fn map(&self) -> Result<(), StorageError> {
        let mut reach = self.access.reach.write();
        self.sealed.store(true, Ordering::Release);
        let Reach::File(file) = &*reach else {
            return Ok(());
        };
        if let Some(next) = self.map_file(file.as_ref())? {
            let admit = matches!(next, Reach::Mapped(_));
            *reach = next;
            drop(reach);
            if admit {
                self.admit();
            }
        }
        Ok(())
    }

    /// What `file` becomes once sealed: mapped, closed (empty), or `None` to keep it open (an
    /// `Io` without OS files is read with positioned reads).
    fn map_file(&self, file: &dyn IoFile) -> Result<Option<Reach>, StorageError> {
        let len = self.len();
        let Some(std_file) = file.std_file() else {
            return Ok(None);
        };
        if len == 0 {
            return Ok(Some(Reach::Closed));
        }
        let map = Mapping::map(std_file, len)
            .map_err(|e| StorageError::io("mmap", &self.files.log, e))?;
        Ok(Some(Reach::Mapped(Arc::new(SealedMap {
            map,
            _files: self.files.clone(),
        }))))
    }

    fn admit(&self) {
        let access: Arc<dyn Closable> = self.access.clone();
        self.env.open_segments.admit(Arc::downgrade(&access));
    }

    /// Where a read takes its bytes from; maps a closed sealed segment again.
    fn source(&self) -> Result<Source, StorageError> {
        if let Some(source) = self.access.current() {
            return Ok(source);
        }
        let mut reach = self.access.reach.write();
        // Another read may have mapped it while this one waited for the lock.
        if let Some(source) = reach.source() {
            return Ok(source);
        }
        let file: Arc<dyn IoFile> = Arc::from(
            self.env
                .io
                .open(&self.files.log, false)
                .map_err(|e| StorageError::io("reopen", &self.files.log, e))?,
        );
        let file_len = file
            .len()
            .map_err(|e| StorageError::io("stat", &self.files.log, e))?;
        if file_len < self.len() {
            return Err(StorageError::corrupt(
                &self.files.log,
                file_len,
                format!("sealed segment shrank from {} bytes", self.len()),
            ));
        }
        match self.map_file(file.as_ref())? {
            Some(Reach::Mapped(map)) => {
                *reach = Reach::Mapped(map.clone());
                drop(reach);
                self.admit();
                Ok(Source::Map(map))
            }
            // Empty (nothing to read) or not mappable: read this once through the file.
            _ => Ok(Source::File(file)),
        }
    }

    /// Keeps the mapping for the segment's lifetime: compaction is about to rename a new file
    /// over its path, after which a reopen would map other bytes.
    pub(crate) fn pin_before_replacement(&self) -> Result<(), StorageError> {
        if self.is_empty() {
            return Ok(());
        }
        self.access.pinned.store(true, Ordering::Release);
        // A close that raced the flag may have unmapped it: map it again now, before the rename.
        self.source().map(|_| ())
    }

    /// Marks the files for deletion once the segment and every mapping of it are dropped.
    pub(crate) fn retire(&self) {
        self.files.delete_on_drop.store(true, Ordering::Release);
    }

    /// `n` bytes at `pos` (within `len`), from the mapping or the file.
    fn bytes_at(&self, src: &Source, pos: u64, n: usize) -> Result<Bytes, StorageError> {
        match src {
            Source::Map(map) => {
                let start = pos as usize;
                Ok(Bytes::from_owner(MappedSlice::new(
                    map.clone(),
                    start,
                    start + n,
                )))
            }
            Source::File(file) => {
                let mut buf = vec![0u8; n];
                read_exact_at(file.as_ref(), &mut buf, pos)
                    .map_err(|e| StorageError::io("read", &self.files.log, e))?;
                Ok(Bytes::from(buf))
            }
        }
    }

    /// The header of the batch at `pos`, checked to start at `expected_base`.
    fn header_at(
        &self,
        src: &Source,
        pos: u64,
        expected_base: u64,
    ) -> Result<Header, StorageError> {
        let len = self.len();
        if pos + BATCH_HEADER_BYTES as u64 > len {
            return Err(StorageError::corrupt(
                &self.files.log,
                pos,
                "batch header runs past the end of the segment",
            ));
        }
        let h = match src {
            Source::Map(map) => {
                let start = pos as usize;
                Header::decode(&(**map).as_ref()[start..start + BATCH_HEADER_BYTES])
            }
            Source::File(file) => {
                let mut head = [0u8; BATCH_HEADER_BYTES];
                read_exact_at(file.as_ref(), &mut head, pos)
                    .map_err(|e| StorageError::io("read", &self.files.log, e))?;
                Header::decode(&head)
            }
        }
        .map_err(|reason| StorageError::corrupt(&self.files.log, pos, reason))?;
        if h.base_offset != expected_base || pos + h.total_len > len {
            return Err(StorageError::corrupt(
                &self.files.log,
                pos,
                format!(
                    "batch at base offset {} ({} bytes) where base offset {expected_base} within {len} bytes was expected",
                    h.base_offset, h.total_len
                ),
            ));
        }
        Ok(h)
    }

    /// Position and header of the batch holding `offset`, or of the first batch after it.
    /// `None` when the segment ends before `offset`.
    fn locate(&self, src: &Source, offset: u64) -> Result<Option<(u64, Header)>, StorageError> {
        let len = self.len();
        if offset >= self.next_offset() || len == 0 {
            return Ok(None);
        }
        let relative = offset
            .saturating_sub(self.base_offset)
            .min(u64::from(u32::MAX)) as u32;
        let start = {
            let ix = self.indexes.read();
            index::floor_offset(&ix.indexer.offsets, relative)
        };
        let from = start.map_or((0, self.base_offset), |e| {
            (
                u64::from(e.position),
                self.base_offset + u64::from(e.relative_offset),
            )
        });
        match self.walk_to(src, offset, from, len) {
            // An index entry that does not match the log is a bad hint, not bad data: walk
            // from the start of the segment instead, which fails only if the log is damaged.
            Err(_) if from.0 != 0 => self.walk_to(src, offset, (0, self.base_offset), len),
            other => other,
        }
    }

    fn walk_to(
        &self,
        src: &Source,
        offset: u64,
        (mut pos, mut expected): (u64, u64),
        len: u64,
    ) -> Result<Option<(u64, Header)>, StorageError> {
        while pos < len {
            let h = self.header_at(src, pos, expected)?;
            if h.last_offset >= offset {
                return Ok(Some((pos, h)));
            }
            pos += h.total_len;
            expected = h.last_offset + 1;
        }
        Ok(None)
    }

    /// Whole batches from the one holding `offset` (or the next), at most `max_bytes` but at
    /// least one batch. Every batch's CRC and position in the offset sequence is checked.
    pub(crate) fn read(
        &self,
        offset: u64,
        max_bytes: usize,
    ) -> Result<Option<Bytes>, StorageError> {
        if offset >= self.next_offset() || self.is_empty() {
            return Ok(None);
        }
        let src = self.source()?;
        let Some((start, first)) = self.locate(&src, offset)? else {
            return Ok(None);
        };
        let len = self.len();
        let mut end = start + first.total_len;
        let mut expected = first.last_offset + 1;
        // Extend over following batches while they fit the budget. A damaged header ends the
        // read: the good batches before it are returned, and the read that starts at it fails.
        while end < len {
            let Ok(h) = self.header_at(&src, end, expected) else {
                break;
            };
            if end - start + h.total_len > max_bytes as u64 {
                break;
            }
            end += h.total_len;
            expected = h.last_offset + 1;
        }
        let bytes = self.bytes_at(&src, start, (end - start) as usize)?;
        let good = self.verified_prefix(&bytes, start, first.base_offset)?;
        Ok(Some(bytes.slice(..good)))
    }

    /// Length of the run of good batches at the start of `bytes` (read from `start`); an error
    /// naming the file and byte when the first batch itself is bad.
    fn verified_prefix(
        &self,
        bytes: &[u8],
        start: u64,
        mut expected: u64,
    ) -> Result<usize, StorageError> {
        let mut at = 0usize;
        while at < bytes.len() {
            let pos = start + at as u64;
            let batch_len = match self.verify_one(&bytes[at..], pos, expected) {
                Ok((batch_len, next)) => {
                    expected = next;
                    batch_len
                }
                // Logged by the partition log, with every other corrupt read.
                Err(e) if at == 0 => return Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, "read stops before a corrupt batch");
                    break;
                }
            };
            at += batch_len;
        }
        Ok(at)
    }

    /// Checks the CRC and offset continuity of every batch in `bytes` (read from `start`).
    fn verify(&self, bytes: &[u8], start: u64, mut expected: u64) -> Result<(), StorageError> {
        let mut at = 0usize;
        while at < bytes.len() {
            let (batch_len, next) = self.verify_one(&bytes[at..], start + at as u64, expected)?;
            expected = next;
            at += batch_len;
        }
        Ok(())
    }

    /// Checks the batch at the start of `bytes` (at `pos`): (its length, the next offset).
    fn verify_one(
        &self,
        bytes: &[u8],
        pos: u64,
        expected: u64,
    ) -> Result<(usize, u64), StorageError> {
        let view = RecordBatchView::parse(bytes)
            .map_err(|e| StorageError::corrupt(&self.files.log, pos, e.to_string()))?;
        view.verify_crc()
            .map_err(|e| StorageError::corrupt(&self.files.log, pos, e.to_string()))?;
        let h = Header::decode(view.as_bytes())
            .map_err(|reason| StorageError::corrupt(&self.files.log, pos, reason))?;
        if h.base_offset != expected {
            return Err(StorageError::corrupt(
                &self.files.log,
                pos,
                format!(
                    "batch base offset {} where {expected} was expected",
                    h.base_offset
                ),
            ));
        }
        Ok((view.as_bytes().len(), h.last_offset + 1))
    }

    /// First record with timestamp >= `timestamp_ms`: (offset, timestamp).
    pub(crate) fn offset_for_timestamp(
        &self,
        timestamp_ms: i64,
    ) -> Result<Option<(u64, i64)>, StorageError> {
        if self.max_timestamp_ms().is_none_or(|m| m < timestamp_ms) {
            return Ok(None);
        }
        let skip_to = {
            let ix = self.indexes.read();
            index::last_below(&ix.indexer.times, timestamp_ms).map_or(self.base_offset, |e| {
                self.base_offset + u64::from(e.relative_offset) + 1
            })
        };
        let mut offset = skip_to;
        let src = self.source()?;
        while let Some((pos, h)) = self.locate(&src, offset)? {
            if h.max_timestamp_ms >= timestamp_ms {
                let bytes = self.bytes_at(&src, pos, h.total_len as usize)?;
                self.verify(&bytes, pos, h.base_offset)?;
                let view = RecordBatchView::parse(&bytes)
                    .map_err(|e| StorageError::corrupt(&self.files.log, pos, e.to_string()))?;
                let corrupt = |e: rustlog_protocol::ProtocolError| {
                    StorageError::corrupt(&self.files.log, pos, e.to_string())
                };
                let records = view.records().map_err(corrupt)?;
                for record in records.iter() {
                    let record = record.map_err(corrupt)?;
                    if record.offset >= offset && record.timestamp_ms >= timestamp_ms {
                        return Ok(Some((record.offset, record.timestamp_ms)));
                    }
                }
            }
            offset = h.last_offset + 1;
        }
        Ok(None)
    }

    /// Calls `f` with the header of every batch from the one holding `offset` on, reading
    /// headers only (producer-state recovery).
    pub(crate) fn for_each_header_from(
        &self,
        offset: u64,
        mut f: impl FnMut(&Header),
    ) -> Result<(), StorageError> {
        if offset >= self.next_offset() || self.is_empty() {
            return Ok(());
        }
        let src = self.source()?;
        let Some((mut pos, first)) = self.locate(&src, offset)? else {
            return Ok(());
        };
        let len = self.len();
        let mut expected = first.base_offset;
        // The active segment is not mapped: read it in large chunks, not one pread per header.
        let mut reader = match &src {
            Source::File(file) => Some(ChunkReader {
                file: file.as_ref(),
                path: &self.files.log,
                file_len: len,
                buf: Vec::new(),
                buf_start: 0,
            }),
            Source::Map(_) => None,
        };
        while pos < len {
            let h = match reader.as_mut() {
                None => self.header_at(&src, pos, expected)?,
                Some(reader) => self.chunked_header_at(reader, pos, expected)?,
            };
            f(&h);
            pos += h.total_len;
            expected = h.last_offset + 1;
        }
        Ok(())
    }

    /// [`Self::header_at`] through a chunked reader.
    fn chunked_header_at(
        &self,
        reader: &mut ChunkReader<'_>,
        pos: u64,
        expected_base: u64,
    ) -> Result<Header, StorageError> {
        let head = reader.get(pos, BATCH_HEADER_BYTES)?.ok_or_else(|| {
            StorageError::corrupt(
                &self.files.log,
                pos,
                "batch header runs past the end of the segment",
            )
        })?;
        let h = Header::decode(head)
            .map_err(|reason| StorageError::corrupt(&self.files.log, pos, reason))?;
        if h.base_offset != expected_base || pos + h.total_len > reader.file_len {
            return Err(StorageError::corrupt(
                &self.files.log,
                pos,
                format!(
                    "batch at base offset {} ({} bytes) where base offset {expected_base} was expected",
                    h.base_offset, h.total_len
                ),
            ));
        }
        Ok(h)
    }

    /// Calls `f` with every batch of the segment, in order, each CRC-checked.
    pub(crate) fn for_each_batch(
        &self,
        mut f: impl FnMut(RecordBatchView<'_>) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let len = self.len();
        if len == 0 {
            return Ok(());
        }
        let src = self.source()?;
        let mut pos = 0u64;
        let mut expected = self.base_offset;
        while pos < len {
            let h = self.header_at(&src, pos, expected)?;
            let bytes = self.bytes_at(&src, pos, h.total_len as usize)?;
            self.verify(&bytes, pos, expected)?;
            let view = RecordBatchView::parse(&bytes)
                .map_err(|e| StorageError::corrupt(&self.files.log, pos, e.to_string()))?;
            f(view)?;
            pos += h.total_len;
            expected = h.last_offset + 1;
        }
        Ok(())
    }
}

/// Truncates `file` to `len` (the end of the last whole batch) after a failed write. A failure
/// here is not a full disk (shrinking needs no space): the log must stop.
fn cut_back_to(file: &dyn IoFile, path: &Path, len: u64) -> Result<(), StorageError> {
    file.set_len(len).map_err(|source| StorageError::Io {
        op: "truncate a failed write",
        path: path.to_path_buf(),
        source,
    })
}

fn write_index_file(io: &dyn Io, path: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    crate::storage::fsutil::write_file_atomic(io, path, bytes)
}

/// Loads and cross-checks a sealed segment's indexes against its log without reading the whole
/// log: the first and last indexed batches must sit where the index says, and the batches after
/// the last entry must end exactly at the end of the file. `None` = rebuild from a full scan.
fn load_indexes(
    io: &dyn Io,
    files: &SegmentFiles,
    file: &dyn IoFile,
    base_offset: u64,
    file_len: u64,
) -> Result<Option<(u64, u64, Indexer)>, StorageError> {
    let Some(offset_bytes) = read_file(io, &files.index)? else {
        return Ok(None);
    };
    let Some(time_bytes) = read_file(io, &files.time_index)? else {
        return Ok(None);
    };
    let Some(offsets) = index::decode_offsets(&offset_bytes, file_len) else {
        return Ok(None);
    };
    let Some(times) = index::decode_times(&time_bytes) else {
        return Ok(None);
    };
    if file_len == 0 {
        let indexer = Indexer::default();
        return Ok(times.is_empty().then_some((0, base_offset, indexer)));
    }
    let (Some(first), Some(last)) = (offsets.first(), offsets.last()) else {
        return Ok(None);
    };
    let mut reader = ChunkReader {
        file,
        path: &files.log,
        file_len,
        buf: Vec::new(),
        buf_start: 0,
    };
    if first.relative_offset != 0 {
        return Ok(None);
    }
    // Walk the tail after the last entry: headers only, dense offsets, ends at EOF.
    let mut pos = u64::from(last.position);
    let mut expected = base_offset + u64::from(last.relative_offset);
    let mut max_ts = times.last().map(|t| t.max_timestamp_ms);
    let mut last_relative = None;
    while pos < file_len {
        let Some(head) = reader.get(pos, BATCH_HEADER_BYTES)? else {
            return Ok(None);
        };
        let Ok(h) = Header::decode(head) else {
            return Ok(None);
        };
        if h.base_offset != expected
            || pos + h.total_len > file_len
            || h.last_offset - base_offset > u64::from(u32::MAX)
        {
            return Ok(None);
        }
        max_ts = Some(max_ts.map_or(h.max_timestamp_ms, |m| m.max(h.max_timestamp_ms)));
        last_relative = Some((h.last_offset - base_offset) as u32);
        pos += h.total_len;
        expected = h.last_offset + 1;
    }
    if pos != file_len {
        return Ok(None);
    }
    // Sealing always closes the time index at the segment's last offset.
    if times.last().map(|t| t.relative_offset) != last_relative {
        return Ok(None);
    }
    let indexer = Indexer::restored(offsets, times, max_ts, last_relative);
    Ok(Some((file_len, expected, indexer)))
}

impl Indexer {
    fn restored(
        offsets: Vec<OffsetEntry>,
        times: Vec<TimeEntry>,
        max_timestamp_ms: Option<i64>,
        last_relative_offset: Option<u32>,
    ) -> Indexer {
        Indexer {
            offsets,
            times,
            // A restored segment is sealed; no more entries are added.
            bytes_since_entry: 0,
            max_timestamp_ms,
            last_relative_offset,
        }
    }
}
