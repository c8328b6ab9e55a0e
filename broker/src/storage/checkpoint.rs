//! The partition's own checkpoint file (`checkpoint.json` in the partition directory): the log
//! start offset (advanced by retention) and the cleaner's progress. Replaced atomically.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::storage::error::StorageError;
use crate::storage::fsutil::{read_file, write_file_atomic};
use crate::storage::io::Io;

/// File name of the partition checkpoint.
pub const CHECKPOINT_FILE: &str = "checkpoint.json";
/// Format version written into the checkpoint.
const CHECKPOINT_VERSION: u32 = 1;

/// What the cleaner (compaction) has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CleanerState {
    /// Sealed data below this offset has been compacted.
    pub clean_end_offset: u64,
    /// The earliest time a kept tombstone expires (a reason to compact again).
    pub next_tombstone_expiry_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    pub version: u32,
    pub log_start_offset: u64,
    pub cleaner: CleanerState,
}

pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join(CHECKPOINT_FILE)
}

/// Reads the checkpoint; a missing one is the default. A damaged one is reported: it is only
/// ever replaced atomically, so damage means the disk is not to be trusted.
pub(crate) fn load(io: &dyn Io, dir: &Path) -> Result<Checkpoint, StorageError> {
    let path = path(dir);
    match read_file(io, &path)? {
        None => Ok(Checkpoint {
            version: CHECKPOINT_VERSION,
            ..Checkpoint::default()
        }),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| StorageError::corrupt(&path, 0, format!("bad checkpoint: {e}"))),
    }
}

pub(crate) fn store(io: &dyn Io, dir: &Path, checkpoint: &Checkpoint) -> Result<(), StorageError> {
    let path = path(dir);
    let mut checkpoint = *checkpoint;
    checkpoint.version = CHECKPOINT_VERSION;
    let bytes = serde_json::to_vec_pretty(&checkpoint)
        .map_err(|e| StorageError::io("encode checkpoint", &path, std::io::Error::other(e)))?;
    write_file_atomic(io, &path, &bytes)
}
