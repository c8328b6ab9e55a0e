//! `rustlog-broker`: the RustLog broker.
//!
//! Module map:
//! - [`storage`]: the storage engine — segmented, checksummed, crash-safe partition logs with
//!   retention and key compaction, and the [`storage::LogManager`] that owns every topic's logs
//!   under one data directory. Synchronous (std threads), no networking.

pub mod storage;
