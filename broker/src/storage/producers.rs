//! Idempotent-producer state of one partition: for every producer id, its epoch and the last
//! [`BATCHES_PER_PRODUCER`] batches' sequence and offset ranges, so a retried batch is answered
//! with its original offsets instead of being appended twice (Kafka's `ProducerStateManager`).
//!
//! The state belongs to the log: it is a function of the batch headers, checked and updated
//! under the log's append lock together with the append. It survives restarts through a
//! snapshot file (`producer.snapshot`: the state as of an offset, checksummed, replaced
//! atomically at segment roll and clean close) plus a replay of the headers written after the
//! snapshot's offset; without a usable snapshot every segment's headers are replayed.
//!
//! Snapshot layout (big-endian):
//!
//! ```text
//! magic "RLPS" | version u16 | crc32 u32 (crc32fast of every byte after it) | offset u64
//! | count u32 | count x (producer_id i64 | epoch i16 | last_activity_ms i64 | batches u8
//!   | batches x (base_sequence i32 | last_sequence i32 | base_offset u64 | last_offset u64
//!   | max_timestamp_ms i64))
//! ```

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};

use rustlog_protocol::batch::{increment_sequence, BatchHeader};

use crate::storage::error::StorageError;
use crate::storage::fsutil::{read_file, write_file_atomic};
use crate::storage::io::Io;

/// Batches remembered per producer id (Kafka's `max.in.flight.requests.per.connection` bound
/// for idempotence is 5, so a retry is always one of the last five).
pub const BATCHES_PER_PRODUCER: usize = 5;
/// How long a producer id may be idle before its state is dropped (Kafka's
/// `producer.id.expiration.ms` default, 1 day).
pub const PRODUCER_ID_EXPIRATION_MS: i64 = 86_400_000;
/// File name of a partition's producer-state snapshot.
pub const PRODUCER_SNAPSHOT_FILE: &str = "producer.snapshot";
/// Most producer ids one snapshot may hold (a bound on what a damaged file can make us allocate).
const SNAPSHOT_PRODUCERS_MAX: u32 = 10_000_000;

const SNAPSHOT_MAGIC: &[u8; 4] = b"RLPS";
const SNAPSHOT_VERSION: u16 = 1;
/// magic + version + crc.
const SNAPSHOT_PREFIX_BYTES: usize = 4 + 2 + 4;
const BATCH_META_BYTES: usize = 4 + 4 + 8 + 8 + 8;

/// One remembered batch of a producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMeta {
    pub base_sequence: i32,
    pub last_sequence: i32,
    pub base_offset: u64,
    pub last_offset: u64,
    /// The batch's maxTimestamp as stored (the append time under LogAppendTime).
    pub max_timestamp_ms: i64,
}

/// What the broker knows of one producer id on one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerEntry {
    pub epoch: i16,
    /// Oldest first, at most [`BATCHES_PER_PRODUCER`].
    pub batches: VecDeque<BatchMeta>,
    /// Broker time of the last append (replayed batches count as active at recovery time, so an
    /// id outlives its expiry by at most the downtime and never expires early).
    pub last_activity_ms: i64,
}

/// The verdict on a batch before it is appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Append it (then call [`ProducerStates::record`]).
    Append,
    /// A retry of this already-appended batch: append nothing, answer with its offsets.
    Duplicate(BatchMeta),
}

/// Every producer id's state on one partition.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ProducerStates {
    producers: HashMap<i64, ProducerEntry>,
}

impl ProducerStates {
    /// The state of one producer id.
    pub(crate) fn get(&self, producer_id: i64) -> Option<&ProducerEntry> {
        self.producers.get(&producer_id)
    }

    pub(crate) fn len(&self) -> usize {
        self.producers.len()
    }

    /// Applies the sequence and epoch rules to a batch fresh from a producer. `now_ms` makes an
    /// expired entry count as absent even before the maintenance pass drops it.
    pub(crate) fn check(&self, h: &BatchHeader, now_ms: i64) -> Result<Verdict, StorageError> {
        if !h.has_producer_id() {
            return Ok(Verdict::Append);
        }
        let (id, epoch, base) = (h.producer_id, h.producer_epoch, h.base_sequence);
        let entry = self
            .producers
            .get(&id)
            .filter(|e| !is_expired(e, now_ms, PRODUCER_ID_EXPIRATION_MS));
        let Some(entry) = entry else {
            if base == 0 {
                return Ok(Verdict::Append);
            }
            return Err(StorageError::UnknownProducerId {
                producer_id: id,
                reason: format!(
                    "no state for this producer id on the partition (never seen or expired), so \
                     its first batch must have base sequence 0, got {base}"
                ),
            });
        };
        if epoch < entry.epoch {
            return Err(StorageError::InvalidProducerEpoch {
                producer_id: id,
                epoch,
                current_epoch: entry.epoch,
            });
        }
        if epoch > entry.epoch {
            if base != 0 {
                return Err(StorageError::OutOfOrderSequence {
                    producer_id: id,
                    epoch,
                    expected: 0,
                    got: base,
                    reason: "a new epoch starts at sequence 0",
                });
            }
            return Ok(Verdict::Append);
        }
        let last_sequence = h.last_sequence();
        if let Some(meta) = entry
            .batches
            .iter()
            .find(|m| m.base_sequence == base && m.last_sequence == last_sequence)
        {
            return Ok(Verdict::Duplicate(*meta));
        }
        let expected = entry
            .batches
            .back()
            .map_or(0, |m| increment_sequence(m.last_sequence, 1));
        if base != expected {
            return Err(StorageError::OutOfOrderSequence {
                producer_id: id,
                epoch,
                expected,
                got: base,
                reason: "the base sequence must follow the last appended batch's",
            });
        }
        Ok(Verdict::Append)
    }

    /// Records an appended batch (`h` carries its stamped base offset).
    pub(crate) fn record(&mut self, h: &BatchHeader, activity_ms: i64) {
        if !h.has_producer_id() {
            return;
        }
        let meta = BatchMeta {
            base_sequence: h.base_sequence,
            last_sequence: h.last_sequence(),
            base_offset: h.base_offset,
            last_offset: h.last_offset(),
            max_timestamp_ms: h.max_timestamp,
        };
        let entry = self
            .producers
            .entry(h.producer_id)
            .or_insert_with(|| ProducerEntry {
                epoch: h.producer_epoch,
                batches: VecDeque::with_capacity(BATCHES_PER_PRODUCER),
                last_activity_ms: activity_ms,
            });
        // A newer epoch (or, in a replay, whatever the log says) restarts the sequences; so does
        // an expired entry, which `check` treated as absent.
        if h.producer_epoch != entry.epoch
            || is_expired(entry, activity_ms, PRODUCER_ID_EXPIRATION_MS)
        {
            entry.epoch = h.producer_epoch;
            entry.batches.clear();
        }
        if entry.batches.len() == BATCHES_PER_PRODUCER {
            entry.batches.pop_front();
        }
        entry.batches.push_back(meta);
        entry.last_activity_ms = entry.last_activity_ms.max(activity_ms);
    }

    /// Moves a known producer id to a newer `epoch` handed out by InitProducer, so batches of
    /// the old epoch are fenced at once (not only after the new epoch's first batch). Returns
    /// whether anything changed.
    pub(crate) fn fence(&mut self, producer_id: i64, epoch: i16) -> bool {
        match self.producers.get_mut(&producer_id) {
            Some(entry) if entry.epoch < epoch => {
                entry.epoch = epoch;
                entry.batches.clear();
                true
            }
            _ => false,
        }
    }

    /// Drops every producer id idle for longer than `expiration_ms`; returns how many.
    pub(crate) fn expire(&mut self, now_ms: i64, expiration_ms: i64) -> usize {
        let before = self.producers.len();
        self.producers
            .retain(|_, e| !is_expired(e, now_ms, expiration_ms));
        before - self.producers.len()
    }
}

fn is_expired(entry: &ProducerEntry, now_ms: i64, expiration_ms: i64) -> bool {
    i128::from(now_ms) - i128::from(entry.last_activity_ms) > i128::from(expiration_ms)
}

pub(crate) fn snapshot_path(dir: &Path) -> PathBuf {
    dir.join(PRODUCER_SNAPSHOT_FILE)
}

/// Encodes the state as of `offset` (every batch below it is reflected, none above).
fn encode_snapshot(states: &ProducerStates, offset: u64) -> Vec<u8> {
    let mut body = Vec::with_capacity(12 + states.len() * (19 + 2 * BATCH_META_BYTES));
    body.extend_from_slice(&offset.to_be_bytes());
    body.extend_from_slice(&(states.producers.len() as u32).to_be_bytes());
    let mut ids: Vec<&i64> = states.producers.keys().collect();
    // Sorted so that equal states give equal files.
    ids.sort_unstable();
    for id in ids {
        let e = &states.producers[id];
        body.extend_from_slice(&id.to_be_bytes());
        body.extend_from_slice(&e.epoch.to_be_bytes());
        body.extend_from_slice(&e.last_activity_ms.to_be_bytes());
        body.push(e.batches.len() as u8);
        for m in &e.batches {
            body.extend_from_slice(&m.base_sequence.to_be_bytes());
            body.extend_from_slice(&m.last_sequence.to_be_bytes());
            body.extend_from_slice(&m.base_offset.to_be_bytes());
            body.extend_from_slice(&m.last_offset.to_be_bytes());
            body.extend_from_slice(&m.max_timestamp_ms.to_be_bytes());
        }
    }
    let mut out = Vec::with_capacity(SNAPSHOT_PREFIX_BYTES + body.len());
    out.extend_from_slice(SNAPSHOT_MAGIC);
    out.extend_from_slice(&SNAPSHOT_VERSION.to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// A bounds-checked reader over snapshot bytes.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let (head, rest) = self
            .buf
            .split_first_chunk::<N>()
            .ok_or_else(|| "snapshot ends early".to_string())?;
        self.buf = rest;
        Ok(*head)
    }
}

/// Decodes a snapshot into (offset, state); `Err(reason)` for anything malformed.
fn decode_snapshot(bytes: &[u8]) -> Result<(u64, ProducerStates), String> {
    let mut r = Reader { buf: bytes };
    if &r.take::<4>()? != SNAPSHOT_MAGIC {
        return Err("bad magic".to_string());
    }
    let version = u16::from_be_bytes(r.take()?);
    if version != SNAPSHOT_VERSION {
        return Err(format!("unknown version {version}"));
    }
    let stored = u32::from_be_bytes(r.take()?);
    let computed = crc32fast::hash(r.buf);
    if stored != computed {
        return Err(format!(
            "checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
        ));
    }
    let offset = u64::from_be_bytes(r.take()?);
    let count = u32::from_be_bytes(r.take()?);
    if count > SNAPSHOT_PRODUCERS_MAX {
        return Err(format!("{count} producer ids is above the limit"));
    }
    let mut states = ProducerStates::default();
    for _ in 0..count {
        let id = i64::from_be_bytes(r.take()?);
        let epoch = i16::from_be_bytes(r.take()?);
        let last_activity_ms = i64::from_be_bytes(r.take()?);
        let n = usize::from(r.take::<1>()?[0]);
        if n > BATCHES_PER_PRODUCER {
            return Err(format!("producer {id} has {n} batches"));
        }
        let mut batches = VecDeque::with_capacity(n);
        for _ in 0..n {
            batches.push_back(BatchMeta {
                base_sequence: i32::from_be_bytes(r.take()?),
                last_sequence: i32::from_be_bytes(r.take()?),
                base_offset: u64::from_be_bytes(r.take()?),
                last_offset: u64::from_be_bytes(r.take()?),
                max_timestamp_ms: i64::from_be_bytes(r.take()?),
            });
        }
        let entry = ProducerEntry {
            epoch,
            batches,
            last_activity_ms,
        };
        states.producers.insert(id, entry);
    }
    if !r.buf.is_empty() {
        return Err(format!("{} trailing bytes", r.buf.len()));
    }
    Ok((offset, states))
}

/// Writes the snapshot crash-safely (temp file, fsync, rename, fsync the directory).
pub(crate) fn store_snapshot(
    io: &dyn Io,
    dir: &Path,
    states: &ProducerStates,
    offset: u64,
) -> Result<(), StorageError> {
    write_file_atomic(io, &snapshot_path(dir), &encode_snapshot(states, offset))
}

/// Loads the snapshot if it is valid and its offset is within `[.., log_end]`; a damaged or
/// too-new one is logged and ignored (the caller replays the whole log instead).
pub(crate) fn load_snapshot(
    io: &dyn Io,
    dir: &Path,
    log_end: u64,
) -> Result<Option<(u64, ProducerStates)>, StorageError> {
    let path = snapshot_path(dir);
    let Some(bytes) = read_file(io, &path)? else {
        return Ok(None);
    };
    match decode_snapshot(&bytes) {
        Ok((offset, states)) if offset <= log_end => Ok(Some((offset, states))),
        Ok((offset, _)) => {
            tracing::warn!(path = %path.display(), offset, log_end, "producer snapshot is ahead of the log; replaying the log instead");
            Ok(None)
        }
        Err(reason) => {
            tracing::warn!(path = %path.display(), reason = %reason, "ignoring a damaged producer snapshot; replaying the log instead");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustlog_protocol::batch::{ProducerStamp, RecordBatchBuilder};

    fn header(id: i64, epoch: i16, base: i32, records: u32, base_offset: u64) -> BatchHeader {
        let mut b = RecordBatchBuilder::new().producer(ProducerStamp {
            producer_id: id,
            producer_epoch: epoch,
            base_sequence: base,
        });
        for _ in 0..records {
            b.push(1, None, Some(b"v"), &[]).unwrap();
        }
        BatchHeader::decode(&b.finish(base_offset).unwrap()).unwrap()
    }

    #[test]
    fn snapshot_round_trips_and_rejects_damage() {
        let mut states = ProducerStates::default();
        for i in 0..7 {
            states.record(&header(3, 1, i * 2, 2, u64::from(i as u32) * 2), 10);
        }
        states.record(&header(9, 0, 0, 1, 100), 20);
        let bytes = encode_snapshot(&states, 101);
        let (offset, back) = decode_snapshot(&bytes).unwrap();
        assert_eq!((offset, &back), (101, &states));
        assert_eq!(back.get(3).unwrap().batches.len(), BATCHES_PER_PRODUCER);
        let mut bad = bytes.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(decode_snapshot(&bad).unwrap_err().contains("checksum"));
        assert!(decode_snapshot(&bytes[..bytes.len() - 3]).is_err());
    }

    #[test]
    fn an_expired_entry_is_absent_and_restarts_when_recorded() {
        let mut states = ProducerStates::default();
        states.record(&header(3, 0, 0, 3, 0), 0);
        let later = PRODUCER_ID_EXPIRATION_MS + 1;
        let restart = header(3, 0, 0, 1, 3);
        assert_eq!(states.check(&restart, later).unwrap(), Verdict::Append);
        let gap = header(3, 0, 5, 1, 3);
        assert!(matches!(
            states.check(&gap, later),
            Err(StorageError::UnknownProducerId { .. })
        ));
        states.record(&restart, later);
        // The old (0, 2) batch is gone, not a duplicate candidate next to the new (0, 0).
        assert_eq!(states.get(3).unwrap().batches.len(), 1);
        assert!(matches!(
            states.check(&header(3, 0, 0, 3, 4), later),
            Err(StorageError::OutOfOrderSequence { .. })
        ));
    }

    #[test]
    fn sequences_wrap_at_i32_max() {
        let mut states = ProducerStates::default();
        states.record(&header(1, 0, 0, 1, 0), 0);
        let mut near_max = header(1, 0, 0, 1, 1);
        near_max.base_sequence = i32::MAX;
        // Seed a last sequence of i32::MAX directly.
        states.producers.get_mut(&1).unwrap().batches[0].last_sequence = i32::MAX - 1;
        assert_eq!(states.check(&near_max, 0).unwrap(), Verdict::Append);
        states.record(&near_max, 0);
        let wrapped = header(1, 0, 0, 1, 2);
        assert_eq!(states.check(&wrapped, 0).unwrap(), Verdict::Append);
    }
}
