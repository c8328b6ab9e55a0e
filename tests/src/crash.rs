//! The machinery of the kill -9 crash harness (`tests/tests/crash_kill9.rs`, `make soak`):
//! self-checking harness records, a seeded RNG, the ledger of what the broker acknowledged, and
//! the independent verifier.
//!
//! The verifier reads the log with [`RawClient`] (the protocol crate's codec over a plain
//! `TcpStream`), never with the SDK consumer, so a client bug cannot hide a storage bug. It
//! checks every batch CRC, that offsets run without holes, that every acknowledged record is at
//! its acknowledged offset with identical bytes, and that no record is stored twice.

use crate::{crc32c, RawClient};
use rustlog_protocol::messages::offset_fetch::OffsetFetchRequest;
use rustlog_protocol::{ErrorCode, Response, TopicPartition};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

/// Cycles a run makes unless [`CYCLES_ENV`] says otherwise (the CI run).
pub const CYCLES_DEFAULT: u32 = 20;
/// Environment variable: how many kill -9 cycles to run (`make soak` sets 1000).
pub const CYCLES_ENV: &str = "RUSTLOG_CRASH_CYCLES";
/// Environment variable: the RNG seed to replay (the run prints the seed it used).
pub const SEED_ENV: &str = "RUSTLOG_CRASH_SEED";

/// The number of cycles to run: [`CYCLES_ENV`], else [`CYCLES_DEFAULT`].
pub fn cycles_from_env() -> u32 {
    std::env::var(CYCLES_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CYCLES_DEFAULT)
}

/// The seed: [`SEED_ENV`], else one from the clock.
pub fn seed_from_env() -> u64 {
    std::env::var(SEED_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
        })
}

/// SplitMix64: small, seedable, good enough to pick kill moments (no crate needed).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A duration drawn uniformly from `min_ms..=max_ms`.
    pub fn duration_ms(&mut self, min_ms: u64, max_ms: u64) -> Duration {
        let span = max_ms.saturating_sub(min_ms) + 1;
        Duration::from_millis(min_ms + self.next_u64() % span)
    }
}

/// Who wrote a harness record: producer index and its sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId {
    pub producer: u32,
    pub seq: u64,
}

impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "p{}#{}", self.producer, self.seq)
    }
}

/// Filler bytes per record beyond the fixed part (varies with the sequence, so batches and
/// segments end at varied byte positions).
const FILLER_BYTES_MAX: u64 = 96;

/// The record's value: `crash p=<producer> s=<seq> <filler> c=<crc32c of what precedes, hex>`.
/// A pure function of the id, so the verifier needs no copy of what was sent.
pub fn record_value(id: RecordId) -> Vec<u8> {
    let mut filler = Rng::new((u64::from(id.producer) << 48) ^ id.seq);
    let filler_len = (id.seq % FILLER_BYTES_MAX) as usize;
    let filler: String = (0..filler_len)
        .map(|_| char::from(b'a' + (filler.next_u64() % 26) as u8))
        .collect();
    let mut value = format!("crash p={} s={} {filler} ", id.producer, id.seq).into_bytes();
    let crc = crc32c(&value);
    value.extend_from_slice(format!("c={crc:08x}").as_bytes());
    value
}

/// The record's key (a few keys per producer, so records spread over the partitions).
pub fn record_key(id: RecordId) -> Vec<u8> {
    format!("p{}-k{}", id.producer, id.seq % 8).into_bytes()
}

/// The id of a harness record whose bytes are exactly what [`record_value`] makes for it.
pub fn parse_record(value: &[u8]) -> Option<RecordId> {
    let text = std::str::from_utf8(value).ok()?;
    let mut words = text.split(' ');
    let (_, producer, seq) = (
        words.next().filter(|w| *w == "crash")?,
        words.next()?.strip_prefix("p=")?.parse().ok()?,
        words.next()?.strip_prefix("s=")?.parse().ok()?,
    );
    let id = RecordId { producer, seq };
    (record_value(id) == value).then_some(id)
}

/// Where the broker said it stored a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub partition: u32,
    pub offset: u64,
}

/// What the broker acknowledged, as the clients saw it.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    /// Records whose produce was acknowledged, with the offset the broker gave.
    pub acked: HashMap<RecordId, Placed>,
    /// Records whose produce failed: they may be stored (at most once) or not.
    pub failed: u64,
    /// The last acknowledged commit per partition.
    pub commits: BTreeMap<u32, u64>,
    /// Problems the clients saw themselves (a commit that went backwards, a consumed record
    /// with wrong bytes).
    pub client_violations: Vec<String>,
    /// Records the consumer received.
    pub consumed: u64,
}

impl Ledger {
    /// The acknowledged records at or after `from[partition]` (what a pass from there checks).
    pub fn acked_from(&self, from: &[u64]) -> Vec<(RecordId, Placed)> {
        self.acked
            .iter()
            .filter(|(_, placed)| placed.offset >= from[placed.partition as usize])
            .map(|(id, placed)| (*id, *placed))
            .collect()
    }

    /// Notes an acknowledged commit; an acknowledged commit below the previous one is a
    /// violation (one member, no reset: its position only moves forward).
    pub fn commit_acked(&mut self, partition: u32, offset: u64) {
        let previous = self.commits.insert(partition, offset);
        if let Some(previous) = previous.filter(|p| *p > offset) {
            self.client_violations.push(format!(
                "partition {partition}: acknowledged commit {offset} after {previous}"
            ));
        }
    }
}

/// What one verification pass read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Records read from the log.
    pub records_read: u64,
    /// Acknowledged records found at their offset with their bytes.
    pub acked_verified: u64,
    /// Records of failed produces found (at most once each).
    pub unacked_present: u64,
}

/// The verifier's reader: one partition at a time, from an offset to the high watermark.
#[derive(Debug)]
pub struct Verifier {
    client: RawClient,
    topic: String,
}

impl Verifier {
    pub fn connect(addr: SocketAddr, topic: &str) -> Verifier {
        Verifier {
            client: RawClient::connect(addr),
            topic: topic.to_string(),
        }
    }

    /// Reads `partition` from `from` to its high watermark: batch CRCs valid, offsets without
    /// holes, every record a harness record with its exact bytes. Returns `(offset, id)` pairs.
    pub fn read(
        &mut self,
        partition: u32,
        from: u64,
        violations: &mut Vec<String>,
    ) -> Vec<(u64, RecordId)> {
        let mut out = Vec::new();
        let mut next = from;
        loop {
            let p = self.client.fetch(&self.topic, partition, next);
            if p.error_code != ErrorCode::None {
                violations.push(format!(
                    "partition {partition}: fetch at {next} failed: {:?}",
                    p.error_code
                ));
                return out;
            }
            if p.log_start_offset > next {
                violations.push(format!(
                    "partition {partition}: the log starts at {}, past {next} (nothing is \
                     deleted here)",
                    p.log_start_offset
                ));
                return out;
            }
            let before = next;
            if let Err(problem) = self.take_batches(partition, &p.records, &mut next, &mut out) {
                violations.push(problem);
                return out;
            }
            if next >= p.high_watermark {
                return out;
            }
            if next == before {
                violations.push(format!(
                    "partition {partition}: fetch at {next} returned nothing below the high \
                     watermark {}",
                    p.high_watermark
                ));
                return out;
            }
        }
    }

    fn take_batches(
        &self,
        partition: u32,
        records: &[u8],
        next: &mut u64,
        out: &mut Vec<(u64, RecordId)>,
    ) -> Result<(), String> {
        let at = |offset: u64| format!("partition {partition} offset {offset}");
        for batch in rustlog_protocol::batch::batches(records) {
            let batch = batch.map_err(|e| format!("{}: unreadable batch: {e}", at(*next)))?;
            batch
                .verify_crc()
                .map_err(|e| format!("{}: batch CRC: {e}", at(*next)))?;
            let section = batch
                .records()
                .map_err(|e| format!("{}: records: {e}", at(*next)))?;
            for record in section.iter() {
                let record = record.map_err(|e| format!("{}: record: {e}", at(*next)))?;
                if record.offset < *next {
                    continue; // the fetch started inside this batch
                }
                if record.offset != *next {
                    return Err(format!(
                        "{}: hole, next record is {}",
                        at(*next),
                        record.offset
                    ));
                }
                let value = record.value.unwrap_or_default();
                let id = parse_record(value).ok_or_else(|| {
                    format!("{}: not a harness record or bytes differ", at(*next))
                })?;
                if record.key != Some(record_key(id).as_slice()) {
                    return Err(format!("{}: key of {id} differs", at(*next)));
                }
                out.push((record.offset, id));
                *next += 1;
            }
        }
        Ok(())
    }

    /// Checks `acked` (records at offsets from `from[partition]` on, [`Ledger::acked_from`])
    /// against the log read from `from`: present once, at its offset; no record stored twice in
    /// the range read.
    pub fn check(&mut self, from: &[u64], acked: &[(RecordId, Placed)]) -> (Verified, Vec<String>) {
        let mut violations = Vec::new();
        let mut verified = Verified::default();
        let mut found: HashMap<RecordId, Placed> = HashMap::new();
        for (partition, start) in (0u32..).zip(from) {
            for (offset, id) in self.read(partition, *start, &mut violations) {
                verified.records_read += 1;
                let here = Placed { partition, offset };
                if let Some(first) = found.insert(id, here) {
                    violations.push(format!("{id} stored twice: at {first:?} and at {here:?}"));
                }
            }
        }
        let acked_ids: HashMap<RecordId, Placed> = acked.iter().copied().collect();
        for (id, placed) in acked {
            match found.get(id) {
                Some(at) if at == placed => verified.acked_verified += 1,
                Some(at) => violations.push(format!(
                    "acknowledged {id} at {placed:?} is stored at {at:?}"
                )),
                None => violations.push(format!("acknowledged {id} at {placed:?} is missing")),
            }
        }
        verified.unacked_present = found
            .keys()
            .filter(|id| !acked_ids.contains_key(id))
            .count() as u64;
        (verified, violations)
    }

    /// The partition's high watermark.
    pub fn high_watermark(&mut self, partition: u32) -> u64 {
        self.client.partition_end(&self.topic, partition).0
    }

    /// The group's committed offsets of `partitions` partitions (`None`: never committed).
    pub fn committed(&mut self, group_id: &str, partitions: u32) -> Vec<Option<u64>> {
        let response = self.client.call_ok(OffsetFetchRequest {
            group_id: group_id.to_string(),
            partitions: Some(
                (0..partitions)
                    .map(|partition| TopicPartition {
                        topic: self.topic.clone(),
                        partition,
                    })
                    .collect(),
            ),
        });
        let Response::OffsetFetch(fetched) = response else {
            panic!("OffsetFetch answered {response:?}")
        };
        fetched.offsets.iter().map(|o| o.offset).collect()
    }

    /// Committed offsets never below the last acknowledged commit, never above the log end.
    pub fn check_commits(
        &mut self,
        group_id: &str,
        partitions: u32,
        acked: &BTreeMap<u32, u64>,
    ) -> Vec<String> {
        let mut violations = Vec::new();
        for (partition, committed) in (0u32..).zip(self.committed(group_id, partitions)) {
            let last_acked = acked.get(&partition).copied();
            if last_acked.is_some_and(|acked| committed.is_none_or(|c| c < acked)) {
                violations.push(format!(
                    "partition {partition}: committed {committed:?} is below the acknowledged \
                     commit {last_acked:?}"
                ));
            }
            let end = self.high_watermark(partition);
            if committed.is_some_and(|c| c > end) {
                violations.push(format!(
                    "partition {partition}: committed {committed:?} is past the log end {end}"
                ));
            }
        }
        violations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_check_themselves() {
        let id = RecordId {
            producer: 2,
            seq: 12_345,
        };
        let value = record_value(id);
        assert_eq!(parse_record(&value), Some(id));
        let mut flipped = value.clone();
        flipped[20] ^= 1;
        assert_eq!(parse_record(&flipped), None);
        assert_eq!(parse_record(&value[..value.len() - 1]), None);
    }
}
