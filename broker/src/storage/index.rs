//! Sparse indexes of one segment, kept in memory and persisted next to the log:
//! - `.index`: entries of (offset - base: u32 BE, file position: u32 BE), 8 bytes each;
//! - `.timeindex`: entries of (max timestamp so far in the segment: i64 BE, offset - base of the
//!   last record covered: u32 BE), 12 bytes each.
//!
//! Both are rebuildable from the log at any time, so they are only hints: every lookup result is
//! checked against the log (a batch header must sit at the position, with the right offset).

/// Bytes of one `.index` entry.
pub const OFFSET_ENTRY_BYTES: usize = 8;
/// Bytes of one `.timeindex` entry.
pub const TIME_ENTRY_BYTES: usize = 12;

/// One `.index` entry: the batch whose base offset is `base + relative_offset` starts at
/// `position` in the log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OffsetEntry {
    pub relative_offset: u32,
    pub position: u32,
}

/// One `.timeindex` entry: every record with offset <= `base + relative_offset` has a timestamp
/// <= `max_timestamp_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeEntry {
    pub max_timestamp_ms: i64,
    pub relative_offset: u32,
}

pub(crate) fn encode_offsets(entries: &[OffsetEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * OFFSET_ENTRY_BYTES);
    for e in entries {
        out.extend_from_slice(&e.relative_offset.to_be_bytes());
        out.extend_from_slice(&e.position.to_be_bytes());
    }
    out
}

pub(crate) fn encode_times(entries: &[TimeEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * TIME_ENTRY_BYTES);
    for e in entries {
        out.extend_from_slice(&e.max_timestamp_ms.to_be_bytes());
        out.extend_from_slice(&e.relative_offset.to_be_bytes());
    }
    out
}

fn u32_at(chunk: &[u8], at: usize) -> u32 {
    let mut raw = [0u8; 4];
    raw.copy_from_slice(&chunk[at..at + 4]);
    u32::from_be_bytes(raw)
}

/// Decodes and sanity-checks an offset index against a log of `log_len` bytes: whole entries,
/// strictly increasing offsets and positions, first position 0, every position inside the log.
/// `None` means "inconsistent, rebuild".
pub(crate) fn decode_offsets(bytes: &[u8], log_len: u64) -> Option<Vec<OffsetEntry>> {
    if bytes.len() % OFFSET_ENTRY_BYTES != 0 {
        return None;
    }
    let entries: Vec<OffsetEntry> = bytes
        .chunks_exact(OFFSET_ENTRY_BYTES)
        .map(|c| OffsetEntry {
            relative_offset: u32_at(c, 0),
            position: u32_at(c, 4),
        })
        .collect();
    match entries.first() {
        None if log_len == 0 => return Some(entries),
        None => return None,
        Some(first) if first.position != 0 => return None,
        Some(_) => {}
    }
    let increasing = entries
        .windows(2)
        .all(|w| w[0].relative_offset < w[1].relative_offset && w[0].position < w[1].position);
    let inside = entries.iter().all(|e| u64::from(e.position) < log_len);
    (increasing && inside).then_some(entries)
}

/// Decodes and sanity-checks a time index: whole entries, non-decreasing timestamps, strictly
/// increasing offsets. `None` means "inconsistent, rebuild".
pub(crate) fn decode_times(bytes: &[u8]) -> Option<Vec<TimeEntry>> {
    if bytes.len() % TIME_ENTRY_BYTES != 0 {
        return None;
    }
    let entries: Vec<TimeEntry> = bytes
        .chunks_exact(TIME_ENTRY_BYTES)
        .map(|c| {
            let mut ts = [0u8; 8];
            ts.copy_from_slice(&c[0..8]);
            TimeEntry {
                max_timestamp_ms: i64::from_be_bytes(ts),
                relative_offset: u32_at(c, 8),
            }
        })
        .collect();
    let ordered = entries.windows(2).all(|w| {
        w[0].max_timestamp_ms <= w[1].max_timestamp_ms
            && w[0].relative_offset < w[1].relative_offset
    });
    ordered.then_some(entries)
}

/// The last entry whose offset is <= `relative_offset` (where to start scanning for it).
pub(crate) fn floor_offset(entries: &[OffsetEntry], relative_offset: u32) -> Option<OffsetEntry> {
    let idx = entries.partition_point(|e| e.relative_offset <= relative_offset);
    idx.checked_sub(1).map(|i| entries[i])
}

/// The last entry whose max timestamp is < `timestamp_ms`: no record up to its offset can match.
pub(crate) fn last_below(entries: &[TimeEntry], timestamp_ms: i64) -> Option<TimeEntry> {
    let idx = entries.partition_point(|e| e.max_timestamp_ms < timestamp_ms);
    idx.checked_sub(1).map(|i| entries[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_and_reject_garbage() {
        let entries = vec![
            OffsetEntry {
                relative_offset: 0,
                position: 0,
            },
            OffsetEntry {
                relative_offset: 10,
                position: 500,
            },
        ];
        let bytes = encode_offsets(&entries);
        assert_eq!(decode_offsets(&bytes, 1000), Some(entries.clone()));
        assert_eq!(decode_offsets(&bytes, 400), None, "position beyond the log");
        assert_eq!(decode_offsets(&bytes[..7], 1000), None, "partial entry");
        assert_eq!(
            decode_offsets(&[], 1000),
            None,
            "empty index for a non-empty log"
        );
        assert_eq!(decode_offsets(&[], 0), Some(vec![]));
        let swapped = encode_offsets(&[entries[1], entries[0]]);
        assert_eq!(decode_offsets(&swapped, 1000), None);
        assert_eq!(floor_offset(&entries, 9), Some(entries[0]));
        assert_eq!(floor_offset(&entries, 10), Some(entries[1]));
    }

    #[test]
    fn times_round_trip_and_reject_garbage() {
        let entries = vec![
            TimeEntry {
                max_timestamp_ms: 5,
                relative_offset: 1,
            },
            TimeEntry {
                max_timestamp_ms: 9,
                relative_offset: 4,
            },
        ];
        let bytes = encode_times(&entries);
        assert_eq!(decode_times(&bytes), Some(entries.clone()));
        assert_eq!(decode_times(&bytes[..13]), None);
        assert_eq!(decode_times(&encode_times(&[entries[1], entries[0]])), None);
        assert_eq!(last_below(&entries, 5), None);
        assert_eq!(last_below(&entries, 6), Some(entries[0]));
    }
}
