//! Offline repair of a quarantined partition (`rustlog-broker repair`): cut the log at its first
//! damaged byte, keeping a copy of every byte cut, as Kafka's recovery does for a corrupt
//! segment (truncate it at the first bad batch, delete every later segment).
//!
//! - The first damage is found by a read-only scan of the segments in order (CRC, framing, dense
//!   offsets, segments that tile the offsets).
//! - The damaged segment keeps the good batches before the damage; the bytes from the damage to
//!   its end are copied to `<segment>.log.corrupt-<byte>.bin` first. Every later segment is
//!   moved whole to `<segment>.log.corrupt-0.bin` (its offsets no longer follow the log's end).
//!   Indexes of both are removed and rebuilt on the next open.
//! - The recovery point is lowered to the log's new end: the operator accepted the loss, and the
//!   partition takes appends again at the offset after the last good batch (offsets of cut,
//!   possibly acknowledged records are handed out again, as after Kafka's truncation). The plan
//!   says which acknowledged offsets that concerns.
//!
//! Repair holds the data directory's lock, so it refuses to run beside a broker on the same
//! directory. `dry_run` prints the plan and changes nothing.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::storage::error::StorageError;
use crate::storage::fsutil::{read_exact_at, remove_if_exists, sync_dir, write_all_at};
use crate::storage::io::Io;
use crate::storage::log::list_segment_bases;
use crate::storage::manager::{lock_data_dir, TOPICS_DIR};
use crate::storage::recovery_point::RecoveryPoint;
use crate::storage::segment::{self, segment_path, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX};

/// Bytes copied at once into a `.corrupt-<byte>.bin` file.
const COPY_CHUNK_BYTES: usize = 1024 * 1024;

/// What a repair cuts (or, with no damage found, that there is nothing to cut).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairPlan {
    /// The partition directory.
    pub dir: PathBuf,
    /// The damaged segment log and the byte where the damage starts; `None`: no damaged byte.
    pub damage: Option<(PathBuf, u64, String)>,
    /// Bytes cut from the damaged segment (from the damage to its end).
    pub cut_bytes: u64,
    /// Whole later segments cut with it.
    pub later_segments: Vec<PathBuf>,
    /// Offset after the last good batch: the partition's next offset after the repair.
    pub next_offset: u64,
    /// The recovery point before the repair (offsets below it were fsynced).
    pub recovery_point: u64,
}

impl RepairPlan {
    /// Whether the repair changes anything.
    pub fn is_noop(&self) -> bool {
        self.damage.is_none() && self.recovery_point <= self.next_offset
    }
}

impl fmt::Display for RepairPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.damage {
            None => writeln!(f, "no damaged bytes in {}", self.dir.display())?,
            Some((path, position, reason)) => {
                writeln!(
                    f,
                    "corrupt data in {} at byte {position}: {reason}",
                    path.display()
                )?;
                writeln!(
                    f,
                    "cut {} bytes from byte {position} of {} (copied to {})",
                    self.cut_bytes,
                    path.display(),
                    cut_copy_path(path, *position).display()
                )?;
            }
        }
        for later in &self.later_segments {
            writeln!(
                f,
                "cut the later segment {} (moved to {})",
                later.display(),
                cut_copy_path(later, 0).display()
            )?;
        }
        writeln!(f, "the partition continues at offset {}", self.next_offset)?;
        if self.recovery_point > self.next_offset {
            writeln!(
                f,
                "offsets {}..{} were fsynced (maybe acknowledged) and are lost; they will be handed out again",
                self.next_offset, self.recovery_point
            )?;
        }
        Ok(())
    }
}

/// `<log file name>.corrupt-<byte>.bin` beside `log`.
pub fn cut_copy_path(log: &Path, position: u64) -> PathBuf {
    let name = log.file_name().map_or_else(
        || "segment".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    log.with_file_name(format!("{name}.corrupt-{position}.bin"))
}

/// The partition directory of `topic`/`partition` under `data_dir`.
pub fn partition_dir(data_dir: &Path, topic: &str, partition: u32) -> PathBuf {
    data_dir
        .join(TOPICS_DIR)
        .join(topic)
        .join(partition.to_string())
}

/// Finds the first damage of the partition in `dir` (read-only).
fn plan(io: &dyn Io, dir: &Path) -> Result<(RepairPlan, Vec<u64>), StorageError> {
    let recovery_point = RecoveryPoint::peek(io, dir)?;
    let bases = list_segment_bases(io, dir)?;
    let mut next_offset = bases.first().copied().unwrap_or(0);
    for (i, &base) in bases.iter().enumerate() {
        let found = segment::inspect(io, dir, base)?;
        let next_base = bases.get(i + 1).copied();
        let damage = match (&found.damage, next_base) {
            (Some(reason), _) => Some((found.valid_len, reason.clone())),
            (None, Some(next)) if found.file_len > 0 && found.next_offset != next => Some((
                found.file_len,
                format!(
                    "segment ends at offset {} but the next segment starts at {next}",
                    found.next_offset
                ),
            )),
            _ => None,
        };
        next_offset = found.next_offset;
        if let Some((position, reason)) = damage {
            let later = bases[i + 1..]
                .iter()
                .map(|&b| segment_path(dir, b, LOG_SUFFIX))
                .collect();
            let plan = RepairPlan {
                dir: dir.to_path_buf(),
                damage: Some((found.log, position, reason)),
                cut_bytes: found.file_len - position,
                later_segments: later,
                next_offset,
                recovery_point,
            };
            return Ok((plan, bases[i..].to_vec()));
        }
    }
    let plan = RepairPlan {
        dir: dir.to_path_buf(),
        damage: None,
        cut_bytes: 0,
        later_segments: Vec::new(),
        next_offset,
        recovery_point,
    };
    Ok((plan, Vec::new()))
}

/// Repairs `topic`/`partition` under `data_dir` (see the module docs), or with `dry_run` only
/// says what it would do. Fails with [`StorageError::DataDirLocked`] beside a running broker.
pub fn repair(
    io: &Arc<dyn Io>,
    data_dir: &Path,
    topic: &str,
    partition: u32,
    dry_run: bool,
) -> Result<RepairPlan, StorageError> {
    let _lock = lock_data_dir(data_dir)?;
    let shared = io.clone();
    let io = io.as_ref();
    let dir = partition_dir(data_dir, topic, partition);
    if !io.exists(&dir) {
        return Err(StorageError::PartitionNotFound {
            topic: topic.to_string(),
            partition,
        });
    }
    let (plan, touched) = plan(io, &dir)?;
    if dry_run || plan.is_noop() {
        return Ok(plan);
    }
    if let Some((log, position, _)) = &plan.damage {
        copy_tail(io, log, *position)?;
        for &base in &touched[1..] {
            let later = segment_path(&dir, base, LOG_SUFFIX);
            let to = cut_copy_path(&later, 0);
            io.rename(&later, &to)
                .map_err(|e| StorageError::io("rename", &later, e))?;
        }
        sync_dir(io, &dir)?;
        let file = io
            .open(log, false)
            .map_err(|e| StorageError::io("open", log, e))?;
        file.set_len(*position)
            .map_err(|e| StorageError::io("truncate", log, e))?;
        file.sync_data()
            .map_err(|e| StorageError::io("fsync", log, e))?;
        for &base in &touched {
            for suffix in [INDEX_SUFFIX, TIME_INDEX_SUFFIX] {
                remove_if_exists(io, &segment_path(&dir, base, suffix))?;
            }
        }
        sync_dir(io, &dir)?;
    }
    RecoveryPoint::open(shared, &dir)?.reset(plan.next_offset)?;
    tracing::warn!(plan = %plan, "repaired a partition");
    Ok(plan)
}

/// Copies `log` from `position` to its end into its `.corrupt-<position>.bin`, fsynced.
fn copy_tail(io: &dyn Io, log: &Path, position: u64) -> Result<(), StorageError> {
    let from = io
        .open(log, false)
        .map_err(|e| StorageError::io("open", log, e))?;
    let len = from.len().map_err(|e| StorageError::io("stat", log, e))?;
    let copy = cut_copy_path(log, position);
    let to = io
        .open(&copy, true)
        .map_err(|e| StorageError::io("create", &copy, e))?;
    to.set_len(0)
        .map_err(|e| StorageError::io("truncate", &copy, e))?;
    let mut buf = vec![0u8; COPY_CHUNK_BYTES];
    let mut at = position;
    while at < len {
        let n = (len - at).min(COPY_CHUNK_BYTES as u64) as usize;
        read_exact_at(from.as_ref(), &mut buf[..n], at)
            .map_err(|e| StorageError::io("read", log, e))?;
        write_all_at(to.as_ref(), &buf[..n], at - position)
            .map_err(|e| StorageError::io("write", &copy, e))?;
        at += n as u64;
    }
    to.sync_data()
        .map_err(|e| StorageError::io("fsync", &copy, e))
}
