//! Offset lookup: earliest (log start), latest (high watermark), or the first offset whose
//! record timestamp is at or after a time.

use crate::state::BrokerState;
use crate::storage::StorageError;

/// Which offset to look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetQuery {
    Earliest,
    Latest,
    Timestamp { timestamp_ms: i64 },
}

/// A found offset (`None`: no record at or after the timestamp) and, for a timestamp query, the
/// timestamp of the record found.
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
        OffsetQuery::Timestamp { timestamp_ms } => match log.offset_for_timestamp(timestamp_ms)? {
            Some((offset, ts)) => FoundOffset {
                offset: Some(offset),
                timestamp_ms: Some(ts),
            },
            None => FoundOffset {
                offset: None,
                timestamp_ms: None,
            },
        },
    };
    Ok(found)
}
