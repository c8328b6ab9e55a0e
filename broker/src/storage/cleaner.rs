//! Key compaction ("the cleaner"): copy-on-write rewrite of sealed segments keeping the newest
//! record per key, with an atomic swap.
//!
//! Protocol (a crash at any point leaves the old segments or the new ones, never a mix):
//! 1. write `{base}.log.cleaned`, `.index.cleaned`, `.timeindex.cleaned` for every segment that
//!    changes; fsync each file, then the directory;
//! 2. commit: write the swap marker `cleaner-swap.json` (atomically) listing those bases;
//! 3. rename every `.cleaned` file over its original; fsync the directory;
//! 4. delete the marker.
//!
//! On open ([`recover`]): with a marker, finish step 3 (roll forward); without one, delete any
//! `.cleaned` file (roll back).
//!
//! Offsets are preserved. Kept records stay in their batch (re-encoded without the removed
//! ones); a batch's span widens over removed neighbours so segments stay densely tiled.
//!
//! Memory is bounded (`compaction_map_bytes_max`), not by the keys of a partition, as in Kafka's
//! cleaner: the key map holds a 128-bit hash and an offset per key and covers the dirty part of
//! the log, from the checkpoint's `clean_end_offset` on, up to where it fills. Below
//! `clean_end_offset` every key appears once already (an earlier pass made it so), so a record
//! there whose key is not in the map is kept. A pass that fills its map cleans up to that
//! point and the next pass goes on from there.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustlog_protocol::batch::{rebuild_batch, RecordBatchView};
use serde::{Deserialize, Serialize};

use crate::storage::config::COMPACTION_MAP_ENTRY_BYTES;
use crate::storage::error::StorageError;
use crate::storage::fsutil::{
    read_file, remove_if_exists, sync_dir, write_all_at, write_file_atomic,
};
use crate::storage::index;
use crate::storage::io::Io;
use crate::storage::log::CompactionStats;
use crate::storage::segment::{
    segment_path, Header, Indexer, Segment, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX,
};

/// Suffix of a rewritten file waiting to be swapped in.
pub const CLEANED_SUFFIX: &str = ".cleaned";
/// The commit marker of a swap in progress.
pub const SWAP_MARKER_FILE: &str = "cleaner-swap.json";

const SEGMENT_SUFFIXES: [&str; 3] = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX];

#[derive(Debug, Serialize, Deserialize)]
struct SwapMarker {
    bases: Vec<u64>,
}

fn cleaned_path(dir: &Path, base: u64, suffix: &str) -> PathBuf {
    let mut name = segment_path(dir, base, suffix).into_os_string();
    name.push(CLEANED_SUFFIX);
    PathBuf::from(name)
}

/// Finishes (marker present) or rolls back (no marker) an interrupted swap.
pub(crate) fn recover(io: &dyn Io, dir: &Path) -> Result<(), StorageError> {
    let marker_path = dir.join(SWAP_MARKER_FILE);
    if let Some(bytes) = read_file(io, &marker_path)? {
        let marker: SwapMarker = serde_json::from_slice(&bytes).map_err(|e| {
            StorageError::corrupt(&marker_path, 0, format!("bad cleaner swap marker: {e}"))
        })?;
        tracing::warn!(dir = %dir.display(), segments = marker.bases.len(), "finishing an interrupted compaction swap");
        for base in &marker.bases {
            swap_in(io, dir, *base)?;
        }
        sync_dir(io, dir)?;
        remove_swap_marker(io, dir)?;
    }
    discard_uncommitted(io, dir)
}

/// Deletes every `.cleaned` file (a pass that failed or crashed before its commit marker).
pub(crate) fn discard_uncommitted(io: &dyn Io, dir: &Path) -> Result<(), StorageError> {
    let entries = io
        .list_dir(dir)
        .map_err(|e| StorageError::io("list", dir, e))?;
    for path in entries {
        if path.to_string_lossy().ends_with(CLEANED_SUFFIX) {
            tracing::warn!(path = %path.display(), "removing an uncommitted compaction file");
            remove_if_exists(io, &path)?;
        }
    }
    Ok(())
}

/// Step 2: the commit point.
pub(crate) fn write_swap_marker(
    io: &dyn Io,
    dir: &Path,
    bases: &[u64],
) -> Result<(), StorageError> {
    let path = dir.join(SWAP_MARKER_FILE);
    let bytes = serde_json::to_vec(&SwapMarker {
        bases: bases.to_vec(),
    })
    .map_err(|e| StorageError::io("encode swap marker", &path, std::io::Error::other(e)))?;
    write_file_atomic(io, &path, &bytes)
}

/// Step 3 for one segment: rename whichever `.cleaned` files still exist into place.
pub(crate) fn swap_in(io: &dyn Io, dir: &Path, base: u64) -> Result<(), StorageError> {
    for suffix in SEGMENT_SUFFIXES {
        let from = cleaned_path(dir, base, suffix);
        if io.exists(&from) {
            let to = segment_path(dir, base, suffix);
            io.rename(&from, &to)
                .map_err(|e| StorageError::io("rename", &to, e))?;
        }
    }
    Ok(())
}

/// Step 4.
pub(crate) fn remove_swap_marker(io: &dyn Io, dir: &Path) -> Result<(), StorageError> {
    remove_if_exists(io, &dir.join(SWAP_MARKER_FILE))?;
    sync_dir(io, dir)
}

/// Inputs of one compaction pass.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    pub dir: &'a Path,
    pub io: &'a dyn Io,
    pub sealed: &'a [Arc<Segment>],
    pub active: &'a Arc<Segment>,
    pub now_ms: i64,
    pub delete_retention_ms: u64,
    pub index_interval_bytes: u32,
    /// Where the dirty part starts: below it, each key appears once.
    pub clean_end_offset: u64,
    /// The key map's memory bound.
    pub map_bytes_max: usize,
}

/// Result of step 1.
#[derive(Debug, Default)]
pub(crate) struct Output {
    /// Bases of the segments with `.cleaned` files written (ascending).
    pub rewritten: Vec<u64>,
    pub next_tombstone_expiry_ms: Option<i64>,
    pub stats: CompactionStats,
}

/// The newest offset of each key hash over `[from, end)` of the log.
#[derive(Debug, Default)]
struct OffsetMap {
    latest: HashMap<u128, u64>,
    /// Where the scan stopped: after the last record, or at the first key that found the map
    /// full. Records at or above it are not cleaned in this pass.
    end: u64,
}

/// A 128-bit hash of a key (two SipHash-1-3 runs of different seeds): like Kafka's MD5 key
/// digest, wide enough that two keys of one partition colliding is not a practical concern.
fn key_hash(key: &[u8]) -> u128 {
    let half = |seed: u8| {
        let mut hasher = std::hash::DefaultHasher::new();
        seed.hash(&mut hasher);
        key.hash(&mut hasher);
        hasher.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

fn corrupt_record(segment: &Segment, e: rustlog_protocol::ProtocolError) -> StorageError {
    StorageError::corrupt(segment.log_path(), 0, format!("undecodable record: {e}"))
}

/// The newest offset of every key from `plan.clean_end_offset` on (active segment included),
/// until the map holds `plan.map_bytes_max / COMPACTION_MAP_ENTRY_BYTES` keys.
fn latest_offsets(plan: &Plan<'_>) -> Result<OffsetMap, StorageError> {
    let keys_max = (plan.map_bytes_max / COMPACTION_MAP_ENTRY_BYTES).max(1);
    let from = plan.clean_end_offset;
    let mut map = OffsetMap {
        latest: HashMap::new(),
        end: from,
    };
    let mut full = false;
    for segment in plan.sealed.iter().chain(std::iter::once(plan.active)) {
        if segment.next_offset() <= from {
            continue;
        }
        segment.for_each_batch(|view| {
            if full || view.header().last_offset() < from {
                return Ok(());
            }
            let records = view.records().map_err(|e| corrupt_record(segment, e))?;
            for record in records.iter() {
                let record = record.map_err(|e| corrupt_record(segment, e))?;
                if record.offset < from {
                    continue;
                }
                if let Some(key) = record.key {
                    let hash = key_hash(key);
                    if map.latest.len() >= keys_max && !map.latest.contains_key(&hash) {
                        full = true;
                        return Ok(());
                    }
                    map.latest.insert(hash, record.offset);
                }
                map.end = record.offset + 1;
            }
            Ok(())
        })?;
        if full {
            tracing::info!(
                keys = map.latest.len(),
                end = map.end,
                "compaction key map full: this pass cleans up to its end"
            );
            break;
        }
    }
    Ok(map)
}

/// Whether a tombstone with this timestamp has outlived `delete.retention.ms`.
fn tombstone_expired(timestamp_ms: i64, now_ms: i64, delete_retention_ms: u64) -> bool {
    i128::from(now_ms) - i128::from(timestamp_ms) >= i128::from(delete_retention_ms)
}

struct Decider<'a> {
    map: &'a OffsetMap,
    now_ms: i64,
    delete_retention_ms: u64,
    next_expiry: Option<i64>,
}

impl Decider<'_> {
    /// Keep a record iff it has no key, or it is its key's newest record and not an expired
    /// tombstone.
    fn keep(&mut self, record: &rustlog_protocol::RecordView<'_>) -> bool {
        if !keep_again(self, record) {
            return false;
        }
        if record.key.is_some() && record.value.is_none() {
            let expiry = record
                .timestamp_ms
                .saturating_add(i64::try_from(self.delete_retention_ms).unwrap_or(i64::MAX));
            self.next_expiry = Some(self.next_expiry.map_or(expiry, |e| e.min(expiry)));
        }
        true
    }
}

/// Step 1: writes `.cleaned` files for every sealed segment that loses records.
pub(crate) fn write_cleaned(plan: &Plan<'_>) -> Result<Output, StorageError> {
    let map = latest_offsets(plan)?;
    let mut decider = Decider {
        map: &map,
        now_ms: plan.now_ms,
        delete_retention_ms: plan.delete_retention_ms,
        next_expiry: None,
    };
    let mut output = Output::default();
    output.stats.map_keys = map.latest.len();
    // Clean after the swap: the map's end, at most the active segment's base.
    output.stats.clean_end_offset = map.end.min(plan.active.base_offset);
    for (i, segment) in plan.sealed.iter().enumerate() {
        if segment.base_offset >= map.end {
            break; // nothing at or past the map's end is cleaned in this pass
        }
        let end_offset = plan
            .sealed
            .get(i + 1)
            .map_or(plan.active.base_offset, |s| s.base_offset);
        // Pass 1: how many records each batch keeps.
        let mut kept_per_batch: Vec<(u32, u32)> = Vec::new();
        segment.for_each_batch(|view| {
            let mut kept = 0u32;
            let records = view.records().map_err(|e| corrupt_record(segment, e))?;
            for record in records.iter() {
                let record = record.map_err(|e| corrupt_record(segment, e))?;
                kept += u32::from(decider.keep(&record));
            }
            kept_per_batch.push((kept, view.header().record_count));
            Ok(())
        })?;
        // The last batch before the active segment keeps at least its last record: otherwise
        // a consumer positioned in a fully compacted tail below the high watermark would find
        // no batch to advance past. Only that one record, not the whole batch (which once kept
        // its superseded records too): below `clean_end_offset` each key must appear once.
        let protected = if i + 1 == plan.sealed.len() {
            kept_per_batch
                .len()
                .checked_sub(1)
                .filter(|&p| kept_per_batch[p].0 == 0)
        } else {
            None
        };
        if let Some(last) = protected.and_then(|p| kept_per_batch.get_mut(p)) {
            last.0 = 1;
        }
        let removed: u64 = kept_per_batch
            .iter()
            .map(|(kept, total)| u64::from(total - kept))
            .sum();
        if removed == 0 {
            continue;
        }
        let written = rewrite_segment(
            plan,
            segment,
            end_offset,
            &kept_per_batch,
            protected,
            &decider,
        )?;
        output.rewritten.push(segment.base_offset);
        output.stats.segments_rewritten += 1;
        output.stats.records_removed += removed;
        output.stats.bytes_before += segment.len();
        output.stats.bytes_after += written;
    }
    output.next_tombstone_expiry_ms = decider.next_expiry;
    Ok(output)
}

/// Pass 2 over one segment: re-encode and write it with its indexes. Returns its new size.
fn rewrite_segment(
    plan: &Plan<'_>,
    segment: &Segment,
    end_offset: u64,
    kept_per_batch: &[(u32, u32)],
    protected: Option<usize>,
    decider: &Decider<'_>,
) -> Result<u64, StorageError> {
    let base = segment.base_offset;
    let log_path = cleaned_path(plan.dir, base, LOG_SUFFIX);
    let file = plan
        .io
        .open(&log_path, true)
        .map_err(|e| StorageError::io("create", &log_path, e))?;
    file.set_len(0)
        .map_err(|e| StorageError::io("truncate", &log_path, e))?;
    let last_kept_batch = kept_per_batch.iter().rposition(|(kept, _)| *kept > 0);
    let mut indexer = Indexer::default();
    let mut position = 0u64;
    // The next batch starts here: the first kept batch widens down to the segment base.
    let mut span_start = base;
    let mut batch_no = 0usize;
    segment.for_each_batch(|view: RecordBatchView<'_>| {
        let this = batch_no;
        batch_no += 1;
        let (kept, total) = kept_per_batch.get(this).copied().unwrap_or((0, 0));
        if kept == 0 {
            return Ok(());
        }
        let h = view.header();
        let span_end = if Some(this) == last_kept_batch {
            end_offset.saturating_sub(1).max(h.last_offset())
        } else {
            h.last_offset()
        };
        let bytes: Vec<u8> =
            if kept == total && span_start == h.base_offset && span_end == h.last_offset() {
                view.as_bytes().to_vec()
            } else {
                let mut records = Vec::with_capacity(kept as usize);
                // Decompresses a compressed batch; `rebuild_batch` compresses the kept records
                // again with the same codec.
                let section = view.records().map_err(|e| corrupt_record(segment, e))?;
                for (n, record) in section.iter().enumerate() {
                    let record = record.map_err(|e| corrupt_record(segment, e))?;
                    // Same decision as pass 1 (the decider is deterministic per record).
                    let keep = if protected == Some(this) {
                        n + 1 == total as usize
                    } else {
                        keep_again(decider, &record)
                    };
                    if keep {
                        records.push(record);
                    }
                }
                rebuild_batch(records, h, span_start, span_end)
                    .map_err(|e| corrupt_record(segment, e))?
                    .unwrap_or_default()
            };
        if bytes.is_empty() {
            return Ok(());
        }
        let header = Header::decode(&bytes)
            .map_err(|reason| StorageError::corrupt(&log_path, position, reason))?;
        write_all_at(file.as_ref(), &bytes, position)
            .map_err(|e| StorageError::io("write", &log_path, e))?;
        indexer.on_batch(base, &header, position, plan.index_interval_bytes);
        position += bytes.len() as u64;
        span_start = span_end + 1;
        Ok(())
    })?;
    file.sync_data()
        .map_err(|e| StorageError::io("fsync", &log_path, e))?;
    indexer.close_times();
    write_synced(
        plan.io,
        &cleaned_path(plan.dir, base, INDEX_SUFFIX),
        &index::encode_offsets(&indexer.offsets),
    )?;
    write_synced(
        plan.io,
        &cleaned_path(plan.dir, base, TIME_INDEX_SUFFIX),
        &index::encode_times(&indexer.times),
    )?;
    Ok(position)
}

/// The keep decision without touching the tombstone bookkeeping a second time.
fn keep_again(decider: &Decider<'_>, record: &rustlog_protocol::RecordView<'_>) -> bool {
    let Some(key) = record.key else {
        return true;
    };
    if record.offset >= decider.map.end {
        return true;
    }
    let expired_tombstone = record.value.is_none()
        && tombstone_expired(
            record.timestamp_ms,
            decider.now_ms,
            decider.delete_retention_ms,
        );
    match decider.map.latest.get(&key_hash(key)) {
        Some(&latest) => latest == record.offset && !expired_tombstone,
        // Below the dirty part, where this is the key's only record.
        None => !expired_tombstone,
    }
}

fn write_synced(io: &dyn Io, path: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    let file = io
        .open(path, true)
        .map_err(|e| StorageError::io("create", path, e))?;
    file.set_len(0)
        .map_err(|e| StorageError::io("truncate", path, e))?;
    write_all_at(file.as_ref(), bytes, 0).map_err(|e| StorageError::io("write", path, e))?;
    file.sync_data()
        .map_err(|e| StorageError::io("fsync", path, e))
}
