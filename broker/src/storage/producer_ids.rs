//! Broker-wide producer id allocation for InitProducer: ids are never handed out twice, not even
//! across restarts or crashes.
//!
//! `<data_dir>/producer_ids` holds the end of the highest block of ids reserved so far (8 bytes
//! big-endian, then a crc32fast of them). Ids are handed out from a block of
//! [`PRODUCER_ID_BLOCK_SIZE`] only after its end is written and fsynced; a restart starts a fresh
//! block at that end, so the unused rest of the old block is skipped, never reused.
//!
//! Epochs are not persisted here: the current epoch of an id is the newest of what this
//! allocator handed out since start and what the partitions' producer states (rebuilt from the
//! log) have seen.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rustlog_protocol::batch::NO_PRODUCER_ID;

use crate::storage::error::StorageError;
use crate::storage::fsutil::{read_file, write_file_atomic};
use crate::storage::io::Io;
use crate::storage::producers::PRODUCER_ID_EXPIRATION_MS;

/// File name of the allocator's high-water mark in the data directory.
pub const PRODUCER_IDS_FILE: &str = "producer_ids";
/// Ids reserved with one fsync.
pub const PRODUCER_ID_BLOCK_SIZE: i64 = 1000;
const FILE_BYTES: usize = 8 + 4;

#[derive(Debug)]
struct Allocator {
    /// The next id to hand out.
    next_id: i64,
    /// Ids below this are reserved on disk.
    block_end: i64,
    /// Epochs handed out since start: id -> (epoch, broker ms when handed out).
    epochs: HashMap<i64, (i16, i64)>,
}

/// The broker's producer id allocator.
#[derive(Debug)]
pub struct ProducerIds {
    path: PathBuf,
    state: Mutex<Allocator>,
}

/// What InitProducer answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerIdAndEpoch {
    pub producer_id: i64,
    pub producer_epoch: i16,
}

fn encode(block_end: i64) -> [u8; FILE_BYTES] {
    let mut out = [0u8; FILE_BYTES];
    out[..8].copy_from_slice(&block_end.to_be_bytes());
    let crc = crc32fast::hash(&out[..8]);
    out[8..].copy_from_slice(&crc.to_be_bytes());
    out
}

fn decode(path: &Path, bytes: &[u8]) -> Result<i64, StorageError> {
    let fail = |reason: &str| StorageError::corrupt(path, 0, reason.to_string());
    let (raw, crc) = bytes
        .split_first_chunk::<8>()
        .filter(|(_, rest)| rest.len() == 4)
        .ok_or_else(|| fail("producer id file is not 12 bytes"))?;
    let mut stored = [0u8; 4];
    stored.copy_from_slice(crc);
    if u32::from_be_bytes(stored) != crc32fast::hash(raw) {
        return Err(fail("producer id file checksum mismatch"));
    }
    let block_end = i64::from_be_bytes(*raw);
    if block_end < 0 {
        return Err(fail("negative producer id block end"));
    }
    Ok(block_end)
}

impl ProducerIds {
    /// Loads the high-water mark (a missing file starts at 0). A damaged file is an error: with
    /// it, the broker could hand out an id twice.
    pub fn open(io: &dyn Io, data_dir: &Path) -> Result<ProducerIds, StorageError> {
        let path = data_dir.join(PRODUCER_IDS_FILE);
        let block_end = match read_file(io, &path)? {
            Some(bytes) => decode(&path, &bytes)?,
            None => 0,
        };
        Ok(ProducerIds {
            path,
            state: Mutex::new(Allocator {
                next_id: block_end,
                block_end,
                epochs: HashMap::new(),
            }),
        })
    }

    /// A new id at epoch 0 (reserving and persisting a new block first when needed).
    fn allocate(
        &self,
        io: &dyn Io,
        a: &mut Allocator,
        now_ms: i64,
    ) -> Result<ProducerIdAndEpoch, StorageError> {
        if a.next_id >= a.block_end {
            let end = a
                .block_end
                .checked_add(PRODUCER_ID_BLOCK_SIZE)
                .ok_or_else(|| StorageError::corrupt(&self.path, 0, "producer ids exhausted"))?;
            write_file_atomic(io, &self.path, &encode(end))?;
            a.block_end = end;
        }
        let producer_id = a.next_id;
        a.next_id += 1;
        a.epochs.insert(producer_id, (0, now_ms));
        Ok(ProducerIdAndEpoch {
            producer_id,
            producer_epoch: 0,
        })
    }

    /// InitProducer. `producer_id` -1: a new id at epoch 0. An id this broker issued with its
    /// current `epoch`: the same id at epoch + 1 (a new id when that would overflow i16).
    /// `log_epoch` is the newest epoch the partitions have seen for that id. "Issued" means below
    /// the allocation cursor: after a restart the skipped rest of the old block counts too (the
    /// file keeps only the block end), and an id whose epoch nobody knows any more is trusted
    /// at the epoch the producer names.
    pub fn init(
        &self,
        io: &dyn Io,
        producer_id: i64,
        epoch: i16,
        log_epoch: Option<i16>,
        now_ms: i64,
    ) -> Result<ProducerIdAndEpoch, StorageError> {
        let mut a = self.state.lock();
        // Bounded memory: forget what would have expired from the partitions anyway.
        a.epochs.retain(|_, (_, at)| {
            i128::from(now_ms) - i128::from(*at) <= i128::from(PRODUCER_ID_EXPIRATION_MS)
        });
        if producer_id == NO_PRODUCER_ID {
            return self.allocate(io, &mut a, now_ms);
        }
        if producer_id < 0 || producer_id >= a.next_id {
            return Err(StorageError::UnknownProducerId {
                producer_id,
                reason: format!(
                    "this broker never issued it (ids issued so far are below {})",
                    a.next_id
                ),
            });
        }
        let issued = a.epochs.get(&producer_id).map(|(e, _)| *e);
        let current = issued.max(log_epoch).unwrap_or(epoch);
        if epoch < current {
            return Err(StorageError::InvalidProducerEpoch {
                producer_id,
                epoch,
                current_epoch: current,
            });
        }
        match epoch.checked_add(1) {
            Some(next) => {
                a.epochs.insert(producer_id, (next, now_ms));
                Ok(ProducerIdAndEpoch {
                    producer_id,
                    producer_epoch: next,
                })
            }
            None => self.allocate(io, &mut a, now_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::io::StdIo;

    #[test]
    fn ids_are_never_reused_across_reopen_and_epochs_bump() {
        let dir = tempfile::tempdir().unwrap();
        let ids = ProducerIds::open(&StdIo, dir.path()).unwrap();
        let a = ids.init(&StdIo, -1, -1, None, 0).unwrap();
        let b = ids.init(&StdIo, -1, -1, None, 0).unwrap();
        assert_eq!((a.producer_id, b.producer_id), (0, 1));
        let bumped = ids.init(&StdIo, 0, 0, None, 0).unwrap();
        assert_eq!(bumped.producer_epoch, 1);
        let fenced = ids.init(&StdIo, 0, 0, None, 0).unwrap_err();
        assert!(
            matches!(fenced, StorageError::InvalidProducerEpoch { .. }),
            "{fenced}"
        );
        let unknown = ids.init(&StdIo, 500, 0, None, 0).unwrap_err();
        assert!(
            matches!(unknown, StorageError::UnknownProducerId { .. }),
            "{unknown}"
        );
        drop(ids);
        let again = ProducerIds::open(&StdIo, dir.path()).unwrap();
        let c = again.init(&StdIo, -1, -1, None, 0).unwrap();
        assert_eq!(c.producer_id, PRODUCER_ID_BLOCK_SIZE);
        let overflow = again.init(&StdIo, 0, i16::MAX, Some(i16::MAX), 0).unwrap();
        assert_eq!(overflow.producer_epoch, 0);
        assert_ne!(overflow.producer_id, 0);
        std::fs::write(dir.path().join(PRODUCER_IDS_FILE), b"garbage").unwrap();
        assert!(ProducerIds::open(&StdIo, dir.path()).is_err());
    }
}
