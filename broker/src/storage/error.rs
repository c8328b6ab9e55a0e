//! [`StorageError`]: every way the storage engine can fail, with the path, offset or name that
//! explains it, and its wire [`ErrorCode`].

use std::path::{Path, PathBuf};

use rustlog_protocol::{ErrorCode, ProtocolError};

/// `errno` of "no space left on device" (Linux and the BSDs agree on 28).
pub(crate) const ENOSPC: i32 = 28;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A file operation failed.
    #[error("I/O error during {op} on {path}: {source}", path = .path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The disk is full (ENOSPC on a write). Nothing partial is kept and reads keep working;
    /// appends answer this (retriable) until space returns, then resume by themselves.
    #[error("no space left on device while writing {path}", path = .path.display())]
    DiskFull { path: PathBuf },
    /// An earlier fsync or an unexpected write error failed, so the log refuses appends for good
    /// (it never retries an fsync and acks).
    #[error("log is read-only: {reason}")]
    ReadOnly { reason: String },
    /// Stored bytes fail their checks: mid-log corruption found by recovery, or a bad CRC on read.
    #[error("corrupt data in {path} at byte {position}: {reason}", path = .path.display())]
    Corrupt {
        path: PathBuf,
        position: u64,
        reason: String,
    },
    /// The partition failed recovery with corruption at start-up and is quarantined: nothing is
    /// served or appended until an operator runs `rustlog-broker repair` on it.
    #[error(
        "partition {topic}-{partition} is quarantined: corrupt data in {path} at byte {position}: \
         {reason} (see `rustlog-broker repair --topic {topic} --partition {partition}`)",
        path = .path.display()
    )]
    Quarantined {
        topic: String,
        partition: u32,
        path: PathBuf,
        position: u64,
        reason: String,
    },
    /// An appended batch is malformed (bad CRC, limits, not dense).
    #[error("invalid record batch: {0}")]
    InvalidBatch(#[source] ProtocolError),
    /// A read asked for an offset outside `[log_start_offset, high_watermark]`.
    #[error("offset {offset} is out of range [{log_start_offset}, {high_watermark}]")]
    OffsetOutOfRange {
        offset: u64,
        log_start_offset: u64,
        high_watermark: u64,
    },
    /// No topic of this name.
    #[error("topic {topic:?} does not exist")]
    TopicNotFound { topic: String },
    /// The topic exists but has no such partition.
    #[error("topic {topic:?} has no partition {partition}")]
    PartitionNotFound { topic: String, partition: u32 },
    /// A topic of this name exists already.
    #[error("topic {topic:?} already exists")]
    TopicAlreadyExists { topic: String },
    /// The topic name breaks the naming rule.
    #[error("{0}")]
    InvalidTopicName(#[source] ProtocolError),
    /// The partition count is zero or above the limit.
    #[error("invalid partition count {partitions}: must be between 1 and {max}")]
    InvalidPartitions { partitions: u32, max: u32 },
    /// A grow asked for no more partitions than the topic has.
    #[error(
        "topic {topic:?} has {current} partitions; a grow needs more than that, not {requested}"
    )]
    PartitionsNotIncreased {
        topic: String,
        current: u32,
        requested: u32,
    },
    /// A config key is unknown or its value is invalid.
    #[error("invalid config {key}: {reason}")]
    InvalidConfig { key: String, reason: String },
    /// A test hook stopped an operation between two of its steps, as a crash would.
    #[error("simulated crash at {point:?}")]
    SimulatedCrash { point: crate::storage::CrashPoint },
    /// An idempotent producer's batch does not continue its sequence (a gap, a reordering, or a
    /// new epoch not starting at 0).
    #[error(
        "out-of-order sequence for producer {producer_id} epoch {epoch}: expected base sequence \
         {expected}, got {got} ({reason})"
    )]
    OutOfOrderSequence {
        producer_id: i64,
        epoch: i16,
        expected: i32,
        got: i32,
        reason: &'static str,
    },
    /// The batch's producer epoch is older than the newest one seen for its producer id.
    #[error(
        "producer {producer_id} epoch {epoch} is fenced: the current epoch is {current_epoch}"
    )]
    InvalidProducerEpoch {
        producer_id: i64,
        epoch: i16,
        current_epoch: i16,
    },
    /// No state for this producer id (expired, never seen, or never issued by this broker).
    #[error("unknown producer id {producer_id}: {reason}")]
    UnknownProducerId { producer_id: i64, reason: String },
    /// Another broker (or another `LogManager` in this process) holds the data directory.
    #[error("data directory is in use by another broker: {path} is locked")]
    DataDirLocked { path: PathBuf },
}

impl StorageError {
    /// The wire code a broker answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            StorageError::Io { .. }
            | StorageError::ReadOnly { .. }
            | StorageError::SimulatedCrash { .. }
            | StorageError::DataDirLocked { .. } => ErrorCode::StorageError,
            StorageError::DiskFull { .. } => ErrorCode::DiskFull,
            StorageError::Corrupt { .. } | StorageError::Quarantined { .. } => {
                ErrorCode::CorruptRecord
            }
            // A record that runs past its batch, or bytes left over in it, is a bad batch (not a
            // malformed request frame, which is what these two mean elsewhere).
            StorageError::InvalidBatch(
                ProtocolError::Truncated { .. } | ProtocolError::TrailingBytes { .. },
            ) => ErrorCode::InvalidRecord,
            StorageError::InvalidBatch(e) => e.code(),
            StorageError::OutOfOrderSequence { .. } => ErrorCode::OutOfOrderSequenceNumber,
            StorageError::InvalidProducerEpoch { .. } => ErrorCode::InvalidProducerEpoch,
            StorageError::UnknownProducerId { .. } => ErrorCode::UnknownProducerId,
            StorageError::OffsetOutOfRange { .. } => ErrorCode::OffsetOutOfRange,
            StorageError::TopicNotFound { .. } => ErrorCode::TopicNotFound,
            StorageError::PartitionNotFound { .. } => ErrorCode::PartitionNotFound,
            StorageError::TopicAlreadyExists { .. } => ErrorCode::TopicAlreadyExists,
            StorageError::InvalidTopicName(_) => ErrorCode::InvalidTopicName,
            StorageError::InvalidPartitions { .. }
            | StorageError::PartitionsNotIncreased { .. } => ErrorCode::InvalidPartitions,
            StorageError::InvalidConfig { .. } => ErrorCode::InvalidConfig,
        }
    }

    /// Wraps an I/O error, turning ENOSPC into [`StorageError::DiskFull`].
    pub fn io(op: &'static str, path: &Path, source: std::io::Error) -> StorageError {
        if is_disk_full(&source) {
            StorageError::DiskFull {
                path: path.to_path_buf(),
            }
        } else {
            StorageError::Io {
                op,
                path: path.to_path_buf(),
                source,
            }
        }
    }

    /// Wraps a failed fsync. Never [`StorageError::DiskFull`], even for ENOSPC: after a failed
    /// fsync the kernel may have dropped the dirty pages, so retrying could ack lost data
    /// (fsyncgate); the log must stay read-only.
    pub fn fsync(path: &Path, source: std::io::Error) -> StorageError {
        StorageError::Io {
            op: "fsync",
            path: path.to_path_buf(),
            source,
        }
    }

    /// True for [`StorageError::DiskFull`].
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StorageError::DiskFull { .. })
    }

    pub(crate) fn corrupt(path: &Path, position: u64, reason: impl Into<String>) -> StorageError {
        StorageError::Corrupt {
            path: path.to_path_buf(),
            position,
            reason: reason.into(),
        }
    }
}

/// True for "no space left on device".
pub(crate) fn is_disk_full(err: &std::io::Error) -> bool {
    err.raw_os_error() == Some(ENOSPC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enospc_becomes_disk_full_with_its_code() {
        let err = StorageError::io(
            "write",
            Path::new("/x/0.log"),
            std::io::Error::from_raw_os_error(ENOSPC),
        );
        assert!(matches!(err, StorageError::DiskFull { .. }), "{err}");
        assert_eq!(err.code(), ErrorCode::DiskFull);
        let other = StorageError::io("write", Path::new("/x"), std::io::Error::other("boom"));
        assert_eq!(other.code(), ErrorCode::StorageError);
        assert!(other.to_string().contains("/x"), "{other}");
    }

    #[test]
    fn enospc_from_fsync_is_a_storage_error_not_disk_full() {
        let err = StorageError::fsync(
            Path::new("/x/0.log"),
            std::io::Error::from_raw_os_error(ENOSPC),
        );
        assert!(!err.is_disk_full(), "{err}");
        assert_eq!(err.code(), ErrorCode::StorageError);
    }
}
