//! Quarantine: a partition whose recovery finds corruption is set aside at start-up instead of
//! failing the whole broker. Every other partition opens and serves; this one answers every
//! request with [`StorageError::Quarantined`] (file, byte, reason) until an operator repairs it
//! offline (`rustlog-broker repair`, [`crate::storage::repair`]). Nothing is cut automatically:
//! the bytes may be the only copy of acknowledged records.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::storage::config::LogConfig;
use crate::storage::error::StorageError;
use crate::storage::io::Io;
use crate::storage::log::PartitionLog;
use crate::storage::open_segments::OpenSegments;

/// A partition that failed recovery with corruption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedPartition {
    pub topic: String,
    pub partition: u32,
    /// The damaged file.
    pub path: PathBuf,
    /// Byte offset of the damage in `path`.
    pub position: u64,
    pub reason: String,
}

impl QuarantinedPartition {
    /// The error every request on this partition answers.
    pub fn error(&self) -> StorageError {
        StorageError::Quarantined {
            topic: self.topic.clone(),
            partition: self.partition,
            path: self.path.clone(),
            position: self.position,
            reason: self.reason.clone(),
        }
    }
}

/// One partition of a topic as the manager holds it.
#[derive(Debug, Clone)]
pub(crate) enum PartitionSlot {
    Open(Arc<PartitionLog>),
    Quarantined(Arc<QuarantinedPartition>),
}

impl PartitionSlot {
    pub(crate) fn log(&self) -> Option<&Arc<PartitionLog>> {
        match self {
            PartitionSlot::Open(log) => Some(log),
            PartitionSlot::Quarantined(_) => None,
        }
    }
}

/// Opens the partition log in `dir`; corruption quarantines it (logged), any other error (a
/// permission denied, a full disk) is returned and fails the caller.
pub(crate) fn open_or_quarantine(
    dir: &Path,
    topic: &str,
    partition: u32,
    config: LogConfig,
    io: Arc<dyn Io>,
    open_segments: &Arc<OpenSegments>,
) -> Result<PartitionSlot, StorageError> {
    match PartitionLog::open_capped(dir, config, io, open_segments.clone()) {
        Ok(log) => Ok(PartitionSlot::Open(Arc::new(log))),
        Err(StorageError::Corrupt {
            path,
            position,
            reason,
        }) => {
            let quarantined = QuarantinedPartition {
                topic: topic.to_string(),
                partition,
                path,
                position,
                reason,
            };
            tracing::error!(error = %quarantined.error(), "partition quarantined at start-up");
            Ok(PartitionSlot::Quarantined(Arc::new(quarantined)))
        }
        Err(e) => Err(e),
    }
}
