//! Offset lookup: earliest (log start), latest (high watermark), or the first offset whose
//! record timestamp is at or after a time, or the record with the largest timestamp.

use crate::state::BrokerState;
use crate::storage::StorageError;

/// Which offset to look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetQuery {
    Earliest,
    Latest,
    Timestamp {
        timestamp_ms: i64,
    },
    /// The record with the largest timestamp (the first of equal ones).
    MaxTimestamp,
}

/// A found offset (`None`: no record at or after the timestamp, or an empty log) and, for a
/// timestamp or max-timestamp query, the timestamp of the record found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundOffset {
    pub offset: Option<u64>,
    pub timestamp_ms: Option<i64>,
}

pub fn lookup(
    state: &BrokerState,
    topic: &str,
    partition: u32,
    query: OffsetQuery,
) -> Result<FoundOffset, StorageError> {
    let log = state.logs.partition(topic, partition)?;
    let found = match query {
        OffsetQuery::Earliest => FoundOffset {
            offset: Some(log.log_start_offset()),
            timestamp_ms: None,
        },
        OffsetQuery::Latest => FoundOffset {
            offset: Some(log.high_watermark()),
            timestamp_ms: None,
        },
        OffsetQuery::Timestamp { timestamp_ms } => record(log.offset_for_timestamp(timestamp_ms)?),
        OffsetQuery::MaxTimestamp => record(log.max_timestamp_offset()?),
    };
    Ok(found)
}

/// The partition's high watermark, `None` when storage has no such partition (or cannot serve
/// it). Both listeners' OffsetCommit pass it to the group coordinator, which decides.
pub fn high_watermark(state: &BrokerState, topic: &str, partition: u32) -> Option<u64> {
    state
        .logs
        .partition(topic, partition)
        .ok()
        .map(|log| log.high_watermark())
}

fn record(found: Option<(u64, i64)>) -> FoundOffset {
    FoundOffset {
        offset: found.map(|(offset, _)| offset),
        timestamp_ms: found.map(|(_, ts)| ts),
    }
}
