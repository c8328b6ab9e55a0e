//! [`LogConfig`]: per-topic storage settings, parsed from Kafka-style string keys
//! (`rustlog_protocol::config_keys`) and printed back for describe output and persistence.

use std::collections::BTreeMap;

use rustlog_protocol::batch::TimestampType;
use rustlog_protocol::config_keys as keys;

use crate::storage::error::StorageError;

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Default segment size: 128 MiB.
pub const SEGMENT_BYTES_DEFAULT: u64 = 128 * 1024 * 1024;
/// Smallest allowed segment size (tests use tiny segments; a batch header must fit).
pub const SEGMENT_BYTES_MIN: u64 = 128;
/// Largest allowed segment size: file positions in the index are `u32`, and one more batch of up
/// to `BATCH_BYTES_MAX` may still be appended after the limit is reached.
pub const SEGMENT_BYTES_MAX: u64 = 2 * 1024 * 1024 * 1024;
/// Default segment age before a roll: 7 days.
pub const SEGMENT_MS_DEFAULT: u64 = 7 * DAY_MS;
/// Default time retention: 7 days.
pub const RETENTION_MS_DEFAULT: u64 = 7 * DAY_MS;
/// Default fsync period of the `interval` policy.
pub const FSYNC_INTERVAL_MS_DEFAULT: u64 = 100;
/// Default tombstone lifetime under compaction: 1 day.
pub const DELETE_RETENTION_MS_DEFAULT: u64 = DAY_MS;
/// Default bytes of log between two sparse index entries.
pub const INDEX_INTERVAL_BYTES_DEFAULT: u32 = 4096;
/// Smallest allowed index interval (0 would index every batch; 1 does the same, explicitly).
pub const INDEX_INTERVAL_BYTES_MIN: u32 = 1;
/// Largest allowed index interval.
pub const INDEX_INTERVAL_BYTES_MAX: u32 = 64 * 1024 * 1024;
/// Default of [`LogConfig::compaction_map_bytes_max`]: 2 million keys per pass (Kafka's
/// `log.cleaner.dedupe.buffer.size` is 128 MiB shared by its cleaner threads).
pub const COMPACTION_MAP_BYTES_MAX_DEFAULT: usize = 64 * 1024 * 1024;
/// Bytes one key of the compaction map is counted as: a 16-byte hash and an 8-byte offset in a
/// hash table kept at most 7/8 full.
pub const COMPACTION_MAP_ENTRY_BYTES: usize = 32;

/// When appended bytes are fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// Acknowledge only after fsync; concurrent appends share one fsync (group commit).
    Always,
    /// fsync at most `interval_ms` after an append (driven by `maintain`).
    Interval { interval_ms: u64 },
    /// Leave it to the OS (segments are still fsynced when they roll).
    Never,
}

/// What happens to old data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CleanupPolicy {
    /// Delete whole old segments by time and size.
    Delete,
    /// Keep the newest record per key (key compaction).
    Compact,
}

/// Storage settings of one topic (every partition shares them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// Roll the active segment when it would exceed this size (`segment.bytes`).
    pub segment_bytes: u64,
    /// Roll the active segment when it is this old (`segment.ms`).
    pub segment_ms: u64,
    /// Delete sealed segments whose newest record is older than this; `None` keeps them.
    pub retention_ms: Option<u64>,
    /// Delete the oldest sealed segments while the log is larger than this; `None` = no limit.
    pub retention_bytes: Option<u64>,
    /// `delete` or `compact`.
    pub cleanup_policy: CleanupPolicy,
    /// When to fsync.
    pub fsync: FsyncPolicy,
    /// How long a tombstone survives compaction, counted from its timestamp.
    pub delete_retention_ms: u64,
    /// Bytes of log between two sparse index entries.
    pub index_interval_bytes: u32,
    /// Whose clock the record timestamps are (`message.timestamp.type`): the producer's
    /// (`CreateTime`, the default) or the broker's at append (`LogAppendTime`).
    pub timestamp_type: TimestampType,
    /// Memory of one compaction pass's key map (about 32 bytes a key). Not a topic key: the
    /// broker sets it from `limits.compaction_map_bytes_max` for every topic.
    pub compaction_map_bytes_max: usize,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: SEGMENT_BYTES_DEFAULT,
            segment_ms: SEGMENT_MS_DEFAULT,
            retention_ms: Some(RETENTION_MS_DEFAULT),
            retention_bytes: None,
            cleanup_policy: CleanupPolicy::Delete,
            fsync: FsyncPolicy::Interval {
                interval_ms: FSYNC_INTERVAL_MS_DEFAULT,
            },
            delete_retention_ms: DELETE_RETENTION_MS_DEFAULT,
            index_interval_bytes: INDEX_INTERVAL_BYTES_DEFAULT,
            timestamp_type: TimestampType::CreateTime,
            compaction_map_bytes_max: COMPACTION_MAP_BYTES_MAX_DEFAULT,
        }
    }
}

fn bad(key: &str, reason: impl Into<String>) -> StorageError {
    StorageError::InvalidConfig {
        key: key.to_string(),
        reason: reason.into(),
    }
}

fn parse_u64(key: &str, value: &str) -> Result<u64, StorageError> {
    value
        .trim()
        .parse::<u64>()
        .map_err(|_| bad(key, format!("{value:?} is not a non-negative integer")))
}

fn parse_in_range(key: &str, value: &str, min: u64, max: u64) -> Result<u64, StorageError> {
    let n = parse_u64(key, value)?;
    if n < min || n > max {
        return Err(bad(key, format!("{n} is outside {min}..={max}")));
    }
    Ok(n)
}

/// `-1` means "no limit"; otherwise a non-negative integer.
fn parse_optional(key: &str, value: &str) -> Result<Option<u64>, StorageError> {
    if value.trim() == "-1" {
        return Ok(None);
    }
    parse_u64(key, value).map(Some).map_err(|_| {
        bad(
            key,
            format!("{value:?} is neither -1 nor a non-negative integer"),
        )
    })
}

/// Kafka's spelling of the two timestamp types.
fn parse_timestamp_type(key: &str, value: &str) -> Result<TimestampType, StorageError> {
    match value.trim() {
        "CreateTime" => Ok(TimestampType::CreateTime),
        "LogAppendTime" => Ok(TimestampType::LogAppendTime),
        other => Err(bad(
            key,
            format!("{other:?} is not one of CreateTime, LogAppendTime"),
        )),
    }
}

fn timestamp_type_name(timestamp_type: TimestampType) -> &'static str {
    match timestamp_type {
        TimestampType::CreateTime => "CreateTime",
        TimestampType::LogAppendTime => "LogAppendTime",
    }
}

fn optional_to_string(value: Option<u64>) -> String {
    value.map_or_else(|| "-1".to_string(), |v| v.to_string())
}

impl LogConfig {
    /// Applies string overrides (keys from `rustlog_protocol::config_keys`) on top of `self`.
    /// Unknown key or bad value -> [`StorageError::InvalidConfig`] naming the key.
    pub fn with_overrides(
        &self,
        overrides: &BTreeMap<String, String>,
    ) -> Result<LogConfig, StorageError> {
        let mut out = self.clone();
        // The interval is applied after the policy so that the order of keys does not matter.
        let mut interval_ms: Option<u64> = None;
        let mut policy: Option<&str> = None;
        for (key, value) in overrides {
            match key.as_str() {
                keys::SEGMENT_BYTES => {
                    out.segment_bytes =
                        parse_in_range(key, value, SEGMENT_BYTES_MIN, SEGMENT_BYTES_MAX)?;
                }
                keys::SEGMENT_MS => out.segment_ms = parse_in_range(key, value, 1, u64::MAX)?,
                keys::RETENTION_MS => out.retention_ms = parse_optional(key, value)?,
                keys::RETENTION_BYTES => out.retention_bytes = parse_optional(key, value)?,
                keys::CLEANUP_POLICY => {
                    out.cleanup_policy = match value.trim() {
                        "delete" => CleanupPolicy::Delete,
                        "compact" => CleanupPolicy::Compact,
                        other => {
                            return Err(bad(
                                key,
                                format!("{other:?} is not one of delete, compact"),
                            ))
                        }
                    }
                }
                keys::FSYNC_POLICY => match value.trim() {
                    p @ ("always" | "interval" | "never") => policy = Some(p),
                    other => {
                        return Err(bad(
                            key,
                            format!("{other:?} is not one of always, interval, never"),
                        ))
                    }
                },
                keys::FSYNC_INTERVAL_MS => {
                    interval_ms = Some(parse_in_range(key, value, 1, u64::MAX)?);
                }
                keys::DELETE_RETENTION_MS => out.delete_retention_ms = parse_u64(key, value)?,
                keys::INDEX_INTERVAL_BYTES => {
                    out.index_interval_bytes = parse_in_range(
                        key,
                        value,
                        u64::from(INDEX_INTERVAL_BYTES_MIN),
                        u64::from(INDEX_INTERVAL_BYTES_MAX),
                    )? as u32;
                }
                keys::MESSAGE_TIMESTAMP_TYPE => {
                    out.timestamp_type = parse_timestamp_type(key, value)?
                }
                other => return Err(bad(other, "unknown config key")),
            }
        }
        let current_interval = match out.fsync {
            FsyncPolicy::Interval { interval_ms } => interval_ms,
            _ => FSYNC_INTERVAL_MS_DEFAULT,
        };
        out.fsync = match policy {
            Some("always") => FsyncPolicy::Always,
            Some("never") => FsyncPolicy::Never,
            Some(_) => FsyncPolicy::Interval {
                interval_ms: interval_ms.unwrap_or(current_interval),
            },
            None => match (out.fsync, interval_ms) {
                (FsyncPolicy::Interval { .. }, Some(ms)) => {
                    FsyncPolicy::Interval { interval_ms: ms }
                }
                (other, _) => other,
            },
        };
        Ok(out)
    }

    /// Every key with its effective value, for describe output and persistence.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        let (policy, interval_ms) = match self.fsync {
            FsyncPolicy::Always => ("always", FSYNC_INTERVAL_MS_DEFAULT),
            FsyncPolicy::Interval { interval_ms } => ("interval", interval_ms),
            FsyncPolicy::Never => ("never", FSYNC_INTERVAL_MS_DEFAULT),
        };
        let cleanup = match self.cleanup_policy {
            CleanupPolicy::Delete => "delete",
            CleanupPolicy::Compact => "compact",
        };
        [
            (keys::SEGMENT_BYTES, self.segment_bytes.to_string()),
            (keys::SEGMENT_MS, self.segment_ms.to_string()),
            (keys::RETENTION_MS, optional_to_string(self.retention_ms)),
            (
                keys::RETENTION_BYTES,
                optional_to_string(self.retention_bytes),
            ),
            (keys::CLEANUP_POLICY, cleanup.to_string()),
            (keys::FSYNC_POLICY, policy.to_string()),
            (keys::FSYNC_INTERVAL_MS, interval_ms.to_string()),
            (
                keys::DELETE_RETENTION_MS,
                self.delete_retention_ms.to_string(),
            ),
            (
                keys::INDEX_INTERVAL_BYTES,
                self.index_interval_bytes.to_string(),
            ),
            (
                keys::MESSAGE_TIMESTAMP_TYPE,
                timestamp_type_name(self.timestamp_type).to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn overrides_apply_and_round_trip() {
        let cfg = LogConfig::default()
            .with_overrides(&map(&[
                ("segment.bytes", "1024"),
                ("retention.ms", "-1"),
                ("retention.bytes", "5000"),
                ("cleanup.policy", "compact"),
                ("fsync.interval.ms", "7"),
                ("fsync.policy", "interval"),
                ("index.interval.bytes", "1"),
                ("message.timestamp.type", "LogAppendTime"),
            ]))
            .unwrap();
        assert_eq!(cfg.timestamp_type, TimestampType::LogAppendTime);
        assert_eq!(cfg.segment_bytes, 1024);
        assert_eq!(cfg.retention_ms, None);
        assert_eq!(cfg.retention_bytes, Some(5000));
        assert_eq!(cfg.cleanup_policy, CleanupPolicy::Compact);
        assert_eq!(cfg.fsync, FsyncPolicy::Interval { interval_ms: 7 });
        let again = LogConfig::default().with_overrides(&cfg.to_map()).unwrap();
        assert_eq!(again, cfg);
        for key in keys::ALL {
            assert!(cfg.to_map().contains_key(*key), "{key}");
        }
        let always = cfg
            .with_overrides(&map(&[("fsync.policy", "always")]))
            .unwrap();
        assert_eq!(always.fsync, FsyncPolicy::Always);
    }

    #[test]
    fn bad_overrides_name_the_key() {
        for (key, value) in [
            ("segment.bytes", "abc"),
            ("segment.bytes", "1"),
            ("retention.ms", "-2"),
            ("cleanup.policy", "shred"),
            ("fsync.policy", "sometimes"),
            ("fsync.interval.ms", "0"),
            ("index.interval.bytes", "0"),
            ("message.timestamp.type", "BrokerTime"),
            ("message.timestamp.type", "createtime"),
            ("no.such.key", "1"),
        ] {
            match LogConfig::default().with_overrides(&map(&[(key, value)])) {
                Err(StorageError::InvalidConfig { key: k, .. }) => assert_eq!(k, key),
                other => panic!("{key}={value}: {other:?}"),
            }
        }
    }
}
