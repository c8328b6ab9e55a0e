//! Offsets an administrator reads and moves: a topic's offsets by spec, a group's committed
//! offsets, and the plan of a reset ([`OffsetReset`]), as Kafka's `kafka-consumer-groups
//! --reset-offsets` computes it. [`crate::Admin`] sends the requests; this module holds the
//! types and the arithmetic, so the CLI and both bindings reset offsets the same way.

use crate::error::{Error, Result};

/// One partition's offset from a topic-wide lookup ([`crate::Admin::topic_offsets`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionOffset {
    pub partition: u32,
    /// `None` when a timestamp lookup finds no record at or after the timestamp.
    pub offset: Option<u64>,
}

/// A group's committed offset of one partition ([`crate::Admin::group_offsets`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    pub topic: String,
    pub partition: u32,
    /// The next offset the group will consume.
    pub offset: u64,
    /// The free text committed with it.
    pub metadata: Option<String>,
}

/// An offset to commit for a group ([`crate::Admin::set_group_offsets`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPartitionOffset {
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
}

/// Where [`crate::Admin::reset_group_offsets`] moves a group's offsets. Every target is clamped
/// to the partition's `[log start, high watermark]`, as Kafka's tool clamps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OffsetReset {
    /// The log start offset.
    Earliest,
    /// The high watermark: the group skips everything stored so far.
    Latest,
    /// The first record at or after this timestamp (ms since the epoch); the high watermark
    /// when no record is that new.
    Timestamp(i64),
    /// This offset.
    Offset(u64),
    /// The committed offset moved by this many (negative goes back). A partition without a
    /// committed offset is an error: there is nothing to shift.
    ShiftBy(i64),
}

/// One partition of a reset plan: where the group is and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetChange {
    pub topic: String,
    pub partition: u32,
    /// The committed offset before the reset (`None`: nothing committed).
    pub current: Option<u64>,
    /// The offset after it.
    pub new: u64,
}

/// What the plan knows of one partition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PartitionBounds {
    pub log_start: u64,
    pub high_watermark: u64,
    /// The offset a timestamp lookup found (only for [`OffsetReset::Timestamp`]).
    pub at_timestamp: Option<u64>,
}

/// The new offset of one partition.
pub(crate) fn target(
    to: OffsetReset,
    topic: &str,
    partition: u32,
    current: Option<u64>,
    bounds: PartitionBounds,
) -> Result<u64> {
    let wanted = match to {
        OffsetReset::Earliest => bounds.log_start,
        OffsetReset::Latest => bounds.high_watermark,
        OffsetReset::Timestamp(_) => bounds.at_timestamp.unwrap_or(bounds.high_watermark),
        OffsetReset::Offset(offset) => offset,
        OffsetReset::ShiftBy(delta) => {
            let Some(current) = current else {
                return Err(Error::invalid(format!(
                    "cannot shift the offset of {topic}/{partition}: the group has no committed offset there"
                )));
            };
            if delta >= 0 {
                current.saturating_add(delta.unsigned_abs())
            } else {
                current.saturating_sub(delta.unsigned_abs())
            }
        }
    };
    Ok(wanted.clamp(
        bounds.log_start,
        bounds.high_watermark.max(bounds.log_start),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: PartitionBounds = PartitionBounds {
        log_start: 10,
        high_watermark: 50,
        at_timestamp: Some(30),
    };

    fn t(to: OffsetReset, current: Option<u64>) -> Result<u64> {
        target(to, "t", 0, current, BOUNDS)
    }

    #[test]
    fn each_target_is_clamped_to_the_log() {
        assert_eq!(t(OffsetReset::Earliest, Some(20)).unwrap(), 10);
        assert_eq!(t(OffsetReset::Latest, None).unwrap(), 50);
        assert_eq!(t(OffsetReset::Timestamp(1), None).unwrap(), 30);
        assert_eq!(t(OffsetReset::Offset(5), None).unwrap(), 10);
        assert_eq!(t(OffsetReset::Offset(70), None).unwrap(), 50);
        assert_eq!(t(OffsetReset::ShiftBy(-5), Some(20)).unwrap(), 15);
        assert_eq!(t(OffsetReset::ShiftBy(-500), Some(20)).unwrap(), 10);
        assert_eq!(t(OffsetReset::ShiftBy(i64::MAX), Some(20)).unwrap(), 50);
        assert_eq!(t(OffsetReset::ShiftBy(i64::MIN), Some(20)).unwrap(), 10);
    }

    #[test]
    fn a_timestamp_past_every_record_goes_to_the_end() {
        let bounds = PartitionBounds {
            at_timestamp: None,
            ..BOUNDS
        };
        assert_eq!(
            target(OffsetReset::Timestamp(i64::MAX), "t", 0, None, bounds).unwrap(),
            50
        );
    }

    #[test]
    fn shifting_without_a_commit_is_refused() {
        let err = t(OffsetReset::ShiftBy(1), None).unwrap_err();
        assert!(err.to_string().contains("no committed offset"), "{err}");
    }
}
