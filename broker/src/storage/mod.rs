//! The storage engine: per-partition segmented logs on disk. Synchronous, no networking.
//!
//! Module map:
//! - [`config`]: [`LogConfig`] and its string keys.
//! - [`error`]: [`StorageError`] and its wire codes.
//! - [`io`]: the [`Io`]/[`IoFile`] seam every file operation goes through; [`StdIo`] and the
//!   fault-injecting [`FaultyIo`].
//! - [`fsutil`]: positioned read/write helpers and [`write_file_atomic`].
//! - `mmap`: read-only maps of sealed segments (the crate's only `unsafe`).
//! - [`open_segments`]: [`OpenSegments`], the broker-wide cap on mapped sealed segments
//!   (least recently read unmapped past it, mapped again on demand).
//! - `index`: the sparse `.index` / `.timeindex` formats.
//! - `segment`: one segment — append, read, recovery scan, index checks.
//! - [`log`]: [`PartitionLog`] — segments, rolls, group-commit fsync, retention, compaction.
//! - `cleaner`: key compaction and its crash-safe swap.
//! - `checkpoint`: the per-partition checkpoint (log start offset, cleaner progress).
//! - `recovery_point`: the per-partition recovery point (every offset below it was fsynced),
//!   which tells a torn tail (cut) from corruption (quarantined) on open.
//! - [`producers`]: idempotent-producer state per partition (epochs, the last five batches'
//!   sequences and offsets), its checksummed snapshot and its replay from batch headers.
//! - [`producer_ids`]: [`ProducerIds`], the broker-wide producer id allocator (InitProducer).
//! - [`quarantine`]: partitions set aside at start-up for corruption; [`repair`] cuts them
//!   offline, keeping the cut bytes.
//! - [`manager`]: [`LogManager`] — every topic's partitions under one data directory.
//!
//! On-disk layout: `<data_dir>/topics/<topic>/topic.json` and
//! `<data_dir>/topics/<topic>/<partition>/{base:020}.log|.index|.timeindex`, plus
//! `checkpoint.json`, `recovery-point`, `producer.snapshot` (and, during a compaction swap,
//! `cleaner-swap.json`) per partition (and, for a moment while a full disk is probed,
//! `disk-full-probe.tmp`); `<data_dir>/producer_ids` holds the producer id allocator's
//! high-water mark.

mod checkpoint;
mod cleaner;
pub mod config;
pub mod error;
pub mod fsutil;
mod index;
pub mod io;
pub mod log;
pub mod manager;
mod mmap;
pub mod open_segments;
pub mod producer_ids;
pub mod producers;
pub mod quarantine;
mod recovery_point;
pub mod repair;
mod segment;

pub use config::{CleanupPolicy, FsyncPolicy, LogConfig};
pub use error::StorageError;
pub use fsutil::write_file_atomic;
pub use io::{FaultyIo, Io, IoFile, StdIo, WriteFault};
pub use log::{
    AppendInfo, CompactionStats, CrashPoint, PartitionInfo, PartitionLog, ReadResult,
    SegmentSummary, DISK_FULL_PROBE_INTERVAL_MS,
};
pub use manager::{FlushReport, LogManager, TopicMeta};
pub use open_segments::{OpenSegments, OPEN_SEGMENTS_MAX_DEFAULT};
pub use producer_ids::{ProducerIdAndEpoch, ProducerIds};
pub use producers::{BatchMeta, ProducerEntry, PRODUCER_ID_EXPIRATION_MS};
pub use quarantine::QuarantinedPartition;
