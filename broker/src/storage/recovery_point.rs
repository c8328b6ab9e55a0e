//! The partition's recovery point (`recovery-point` in the partition directory): every offset
//! below it was fsynced, as Kafka's recovery-point checkpoint. Recovery uses it to tell a torn
//! tail (bytes written after the last fsync, which a crash may leave half-written: safe to cut)
//! from corruption (bytes that were durable and changed since: never cut, the partition is
//! quarantined). See SPEC.md §14.
//!
//! It is advanced after every successful fsync of the log, before anyone waiting for that fsync
//! is acknowledged, so an offset acknowledged durable is always below the persisted point. To
//! make that cost one small write and one `fdatasync` (not a temp file, a rename and two
//! fsyncs), the file holds two fixed-size checksummed slots written in turn: a crash can tear at
//! most the slot being written, and loading takes the valid slot with the higher sequence.

use parking_lot::Mutex;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::storage::error::StorageError;
use crate::storage::fsutil::{read_exact_at, sync_dir, write_all_at};
use crate::storage::io::{Io, IoFile};

/// File name of the recovery point.
pub const RECOVERY_POINT_FILE: &str = "recovery-point";
const MAGIC: &[u8; 4] = b"RLRP";
const VERSION: u16 = 1;
/// One slot: magic (4), version (2), reserved (2), sequence (8), offset (8), CRC-32 of the
/// 24 bytes before it (4), reserved (4).
const SLOT_BYTES: usize = 32;
/// Bytes one advance writes (what a disk-full probe must find room for).
pub(crate) const WRITE_BYTES: usize = SLOT_BYTES;
const SLOTS: u64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    sequence: u64,
    offset: u64,
}

fn encode(slot: Slot) -> [u8; SLOT_BYTES] {
    let mut buf = [0u8; SLOT_BYTES];
    buf[0..4].copy_from_slice(MAGIC);
    buf[4..6].copy_from_slice(&VERSION.to_be_bytes());
    buf[8..16].copy_from_slice(&slot.sequence.to_be_bytes());
    buf[16..24].copy_from_slice(&slot.offset.to_be_bytes());
    let crc = crc32fast::hash(&buf[0..24]);
    buf[24..28].copy_from_slice(&crc.to_be_bytes());
    buf
}

fn decode(buf: &[u8]) -> Option<Slot> {
    let field = |range: std::ops::Range<usize>| buf.get(range);
    let crc = u32::from_be_bytes(field(24..28)?.try_into().ok()?);
    if field(0..4)? != MAGIC
        || u16::from_be_bytes(field(4..6)?.try_into().ok()?) != VERSION
        || crc32fast::hash(field(0..24)?) != crc
    {
        return None;
    }
    Some(Slot {
        sequence: u64::from_be_bytes(field(8..16)?.try_into().ok()?),
        offset: u64::from_be_bytes(field(16..24)?.try_into().ok()?),
    })
}

/// The persisted recovery point of one partition.
#[derive(Debug)]
pub(crate) struct RecoveryPoint {
    dir: PathBuf,
    path: PathBuf,
    io: Arc<dyn Io>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The last slot written (or loaded).
    current: Slot,
    /// Opened on first write: a partition that never fsyncs never creates the file, and an
    /// idle one holds no descriptor for it after a restart.
    file: Option<Box<dyn IoFile>>,
    /// The file exists on disk (its name is durable): its first write needs no directory sync.
    exists: bool,
}

pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join(RECOVERY_POINT_FILE)
}

impl RecoveryPoint {
    /// Loads the recovery point of the partition in `dir`; a missing file is 0 (nothing known
    /// durable: the rules of a log without one). A file without a valid slot is corruption: a
    /// crash tears at most one slot.
    pub(crate) fn open(io: Arc<dyn Io>, dir: &Path) -> Result<RecoveryPoint, StorageError> {
        let path = path(dir);
        let exists = io.exists(&path);
        let current = if exists {
            let file = io
                .open(&path, false)
                .map_err(|e| StorageError::io("open", &path, e))?;
            load(file.as_ref(), &path)?
        } else {
            Slot {
                sequence: 0,
                offset: 0,
            }
        };
        Ok(RecoveryPoint {
            dir: dir.to_path_buf(),
            path,
            io,
            state: Mutex::new(State {
                current,
                file: None,
                exists,
            }),
        })
    }

    /// Reads the recovery point of `dir` without creating anything (0 when missing).
    pub(crate) fn peek(io: &dyn Io, dir: &Path) -> Result<u64, StorageError> {
        let path = path(dir);
        if !io.exists(&path) {
            return Ok(0);
        }
        let file = io
            .open(&path, false)
            .map_err(|e| StorageError::io("open", &path, e))?;
        Ok(load(file.as_ref(), &path)?.offset)
    }

    /// Every offset below this is known durable.
    pub(crate) fn get(&self) -> u64 {
        self.state.lock().current.offset
    }

    /// Persists `offset` (write one slot, fdatasync) if it is above the current point.
    pub(crate) fn advance(&self, offset: u64) -> Result<(), StorageError> {
        let mut state = self.state.lock();
        if offset <= state.current.offset {
            return Ok(());
        }
        self.write_locked(&mut state, offset)
    }

    /// Persists `offset` even below the current point: only `repair`, after cutting acknowledged
    /// data on the operator's word, lowers it.
    pub(crate) fn reset(&self, offset: u64) -> Result<(), StorageError> {
        let mut state = self.state.lock();
        self.write_locked(&mut state, offset)
    }

    fn write_locked(&self, state: &mut State, offset: u64) -> Result<(), StorageError> {
        let next = Slot {
            sequence: state.current.sequence.wrapping_add(1),
            offset,
        };
        let created = !state.exists;
        let file = match state.file.take() {
            Some(file) => file,
            None => self
                .io
                .open(&self.path, true)
                .map_err(|e| StorageError::io("create", &self.path, e))?,
        };
        let at = (next.sequence % SLOTS) * SLOT_BYTES as u64;
        // A write that finds the disk full is DiskFull (passing); a failed fdatasync never is.
        let written = write_all_at(file.as_ref(), &encode(next), at)
            .map_err(|e| StorageError::io("write", &self.path, e))
            .and_then(|()| {
                file.sync_data()
                    .map_err(|e| StorageError::fsync(&self.path, e))
            });
        state.file = Some(file);
        written?;
        if created {
            // The new file's name must survive a crash too.
            sync_dir(self.io.as_ref(), &self.dir)?;
            state.exists = true;
        }
        state.current = next;
        Ok(())
    }
}

fn load(file: &dyn IoFile, path: &Path) -> Result<Slot, StorageError> {
    let len = file.len().map_err(|e| StorageError::io("stat", path, e))?;
    let mut buf = vec![0u8; (len.min(SLOTS * SLOT_BYTES as u64)) as usize];
    read_exact_at(file, &mut buf, 0).map_err(|e| StorageError::io("read", path, e))?;
    if let Some(best) = buf
        .chunks(SLOT_BYTES)
        .filter_map(decode)
        .max_by_key(|s| s.sequence)
    {
        return Ok(best);
    }
    // No valid slot. A crash or a full disk during the file's first write (the file is created
    // then written) leaves at most one written chunk, and nothing was acknowledged on it: no
    // offset is known durable. Two damaged slots can only be corruption.
    let written = buf
        .chunks(SLOT_BYTES)
        .filter(|chunk| chunk.iter().any(|&b| b != 0))
        .count();
    if written <= 1 {
        tracing::warn!(path = %path.display(), "the recovery point's first write never completed: nothing is known durable yet");
        return Ok(Slot {
            sequence: 0,
            offset: 0,
        });
    }
    Err(StorageError::corrupt(
        path,
        0,
        "no valid recovery-point slot",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::io::StdIo;

    #[test]
    fn a_first_write_that_never_completed_means_nothing_is_known_durable() {
        let dir = tempfile::tempdir().unwrap();
        let io = StdIo::shared();
        // Created, then a crash before the write; then a torn first write.
        std::fs::write(path(dir.path()), b"").unwrap();
        assert_eq!(RecoveryPoint::peek(io.as_ref(), dir.path()).unwrap(), 0);
        let mut torn = vec![0u8; SLOT_BYTES];
        torn.extend_from_slice(
            &encode(Slot {
                sequence: 1,
                offset: 9,
            })[..10],
        );
        std::fs::write(path(dir.path()), &torn).unwrap();
        assert_eq!(RecoveryPoint::peek(io.as_ref(), dir.path()).unwrap(), 0);
        // Two damaged slots are corruption.
        let mut both = encode(Slot {
            sequence: 1,
            offset: 9,
        })
        .to_vec();
        both.extend_from_slice(&encode(Slot {
            sequence: 2,
            offset: 12,
        }));
        both[3] ^= 1;
        both[SLOT_BYTES + 3] ^= 1;
        std::fs::write(path(dir.path()), &both).unwrap();
        assert!(RecoveryPoint::peek(io.as_ref(), dir.path()).is_err());
    }

    #[test]
    fn advances_survive_reopen_and_a_torn_slot_falls_back_to_the_other() {
        let dir = tempfile::tempdir().unwrap();
        let io = StdIo::shared();
        let point = RecoveryPoint::open(io.clone(), dir.path()).unwrap();
        assert_eq!(point.get(), 0);
        assert!(!path(dir.path()).exists(), "created before the first fsync");
        point.advance(10).unwrap();
        point.advance(5).unwrap(); // never moves back
        point.advance(20).unwrap();
        drop(point);
        let point = RecoveryPoint::open(io.clone(), dir.path()).unwrap();
        assert_eq!(point.get(), 20);
        drop(point);
        // Tear the newest slot (sequence 2 lives in slot 0): the older one (10) is used.
        let file = io.open(&path(dir.path()), false).unwrap();
        write_all_at(file.as_ref(), &[0xff; 8], 16).unwrap();
        let point = RecoveryPoint::open(io.clone(), dir.path()).unwrap();
        assert_eq!(point.get(), 10);
        point.reset(3).unwrap();
        drop(point);
        let point = RecoveryPoint::open(io.clone(), dir.path()).unwrap();
        assert_eq!(point.get(), 3);
    }
}
