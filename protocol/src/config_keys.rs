//! Names of topic config keys (Kafka's spelling, so Kafka users recognise them). Values travel
//! as strings; the broker validates them and reports the bad key by name.

/// `delete` (retention removes old segments) or `compact` (keep the newest record per key).
pub const CLEANUP_POLICY: &str = "cleanup.policy";
/// Delete segments older than this (ms); `-1` keeps them forever.
pub const RETENTION_MS: &str = "retention.ms";
/// Delete the oldest segments while the partition is larger than this; `-1` means no limit.
pub const RETENTION_BYTES: &str = "retention.bytes";
/// Roll the active segment when it reaches this size.
pub const SEGMENT_BYTES: &str = "segment.bytes";
/// Roll the active segment when it is this old (ms).
pub const SEGMENT_MS: &str = "segment.ms";
/// `always`, `interval` or `never`.
pub const FSYNC_POLICY: &str = "fsync.policy";
/// The fsync period for `fsync.policy=interval`.
pub const FSYNC_INTERVAL_MS: &str = "fsync.interval.ms";
/// How long tombstones survive compaction (ms).
pub const DELETE_RETENTION_MS: &str = "delete.retention.ms";
/// Bytes of log between two sparse index entries.
pub const INDEX_INTERVAL_BYTES: &str = "index.interval.bytes";

/// `CreateTime` (the producer's timestamps, the default) or `LogAppendTime` (the broker stamps
/// each batch with its clock on append).
pub const MESSAGE_TIMESTAMP_TYPE: &str = "message.timestamp.type";

/// Every key, for validation and `describe` output.
pub const ALL: &[&str] = &[
    CLEANUP_POLICY,
    RETENTION_MS,
    RETENTION_BYTES,
    SEGMENT_BYTES,
    SEGMENT_MS,
    FSYNC_POLICY,
    FSYNC_INTERVAL_MS,
    DELETE_RETENTION_MS,
    INDEX_INTERVAL_BYTES,
    MESSAGE_TIMESTAMP_TYPE,
];

/// One line describing `key` (for DescribeConfigs and help output); `None` for an unknown key.
pub fn documentation(key: &str) -> Option<&'static str> {
    Some(match key {
        CLEANUP_POLICY => {
            "delete (retention removes whole old segments) or compact (keep the newest record per key)"
        }
        RETENTION_MS => "Delete sealed segments whose newest record is older than this (ms); -1 keeps them",
        RETENTION_BYTES => {
            "Delete the oldest sealed segments while the partition is larger than this; -1: no limit"
        }
        SEGMENT_BYTES => "Roll the active segment when it would grow past this size (bytes)",
        SEGMENT_MS => "Roll the active segment when it is this old (ms)",
        FSYNC_POLICY => {
            "always (acknowledge after fsync, group commit), interval (fsync every fsync.interval.ms) or never (the OS decides)"
        }
        FSYNC_INTERVAL_MS => "The fsync period of fsync.policy=interval (ms)",
        DELETE_RETENTION_MS => "How long a tombstone survives compaction, from its timestamp (ms)",
        INDEX_INTERVAL_BYTES => "Bytes of log between two sparse index entries",
        MESSAGE_TIMESTAMP_TYPE => {
            "CreateTime (the producer's timestamps) or LogAppendTime (the broker's clock at append)"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_documented_and_unknown_keys_are_not() {
        for key in ALL {
            assert!(documentation(key).is_some_and(|d| !d.is_empty()), "{key}");
        }
        assert_eq!(documentation("no.such.key"), None);
    }
}
