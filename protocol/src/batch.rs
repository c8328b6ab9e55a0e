//! Record batches: Apache Kafka's RecordBatch v2 (magic 2), exactly as Kafka defines it
//! (<https://kafka.apache.org/documentation/#recordbatch>). The bytes a producer sends are the
//! bytes on disk are the bytes every consumer fetches, through either protocol.
//!
//! Header (all integers big-endian; byte tables in `protocol-spec/SPEC.md` §8):
//!
//! ```text
//! offset size field
//!  0     8   baseOffset            offset of the first record, stamped by the broker
//!  8     4   batchLength           bytes after this field (total length - 12)
//! 12     4   partitionLeaderEpoch  stamped by the broker (0 on a single node)
//! 16     1   magic                 2
//! 17     4   crc                   CRC-32C (Castagnoli) of bytes 21..end
//! 21     2   attributes            bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control
//! 23     4   lastOffsetDelta       offset of the last record minus baseOffset
//! 27     8   baseTimestamp         timestamp of the first record (ms since the Unix epoch)
//! 35     8   maxTimestamp          largest timestamp (the append time under LogAppendTime)
//! 43     8   producerId            -1 without an idempotent producer
//! 51     2   producerEpoch         -1 without an idempotent producer
//! 53     4   baseSequence          sequence of the first record, -1 without a producer
//! 57     4   recordCount           number of records
//! 61     ..  records               compressed as one stream when the codec is not none
//! ```
//!
//! A record: `length varint | attributes i8 | timestampDelta varlong | offsetDelta varint |
//! keyLength varint | key | valueLength varint | value | headerCount varint | headers`, a header:
//! `keyLength varint | key (UTF-8) | valueLength varint | value`. Varints are zig-zag encoded
//! (protobuf's sint32 / sint64); a length of -1 is null (keys, values, header values).
//!
//! `baseOffset`, `batchLength` and `partitionLeaderEpoch` sit before the CRC span, so the broker
//! stamps an offset without recomputing the checksum. Nobody outside this module reads these
//! bytes by hand: storage, broker, clients and bindings call [`BatchHeader::decode`],
//! [`RecordBatchView`] and [`RecordBatchBuilder`].

use std::borrow::Cow;

use crate::compression::Compression;
use crate::error::ProtocolError;
use crate::limits::{
    BATCH_BYTES_MAX, BATCH_DECOMPRESSED_BYTES_MAX, HEADERS_PER_RECORD_MAX, HEADER_KEY_BYTES_MAX,
    HEADER_VALUE_BYTES_MAX, KEY_BYTES_MAX, RECORDS_PER_BATCH_MAX, VALUE_BYTES_MAX,
};

/// Format version written in every batch.
pub const MAGIC: u8 = 2;
/// Bytes before the records.
pub const BATCH_HEADER_BYTES: usize = 61;
/// Bytes of `baseOffset` + `batchLength`: the prefix that announces a batch's size.
pub const BATCH_LENGTH_PREFIX_BYTES: usize = 12;
/// Most bytes one record adds besides its key, value and headers (every varint at its widest).
pub const RECORD_OVERHEAD_BYTES: usize = 5 + 1 + 10 + 5 + 5 + 5 + 5;
/// Most bytes one header adds besides its key and value.
pub const HEADER_OVERHEAD_BYTES: usize = 5 + 5;
/// `producerId` of a batch without an idempotent producer.
pub const NO_PRODUCER_ID: i64 = -1;
/// `producerEpoch` of a batch without an idempotent producer.
pub const NO_PRODUCER_EPOCH: i16 = -1;
/// `baseSequence` of a batch without an idempotent producer.
pub const NO_SEQUENCE: i32 = -1;

/// Attribute bits 0-2: the compression codec.
pub const ATTR_CODEC_MASK: u16 = 0b111;
/// Attribute bit 3: timestamps are the broker's append time.
pub const ATTR_LOG_APPEND_TIME: u16 = 1 << 3;
/// Attribute bit 4: part of a transaction.
pub const ATTR_TRANSACTIONAL: u16 = 1 << 4;
/// Attribute bit 5: a control batch (transaction markers).
pub const ATTR_CONTROL: u16 = 1 << 5;

const OFF_LEADER_EPOCH: usize = 12;
const OFF_MAGIC: usize = 16;
const OFF_CRC: usize = 17;
const CRC_SPAN_START: usize = 21;
const OFF_ATTRIBUTES: usize = 21;
const OFF_LAST_OFFSET_DELTA: usize = 23;
const OFF_BASE_TIMESTAMP: usize = 27;
const OFF_MAX_TIMESTAMP: usize = 35;
const OFF_PRODUCER_ID: usize = 43;
const OFF_PRODUCER_EPOCH: usize = 51;
const OFF_BASE_SEQUENCE: usize = 53;
const OFF_RECORD_COUNT: usize = 57;

fn be<const N: usize>(buf: &[u8], at: usize) -> [u8; N] {
    let mut raw = [0u8; N];
    raw.copy_from_slice(&buf[at..at + N]);
    raw
}

fn invalid(reason: String) -> ProtocolError {
    ProtocolError::InvalidBatch { reason }
}

/// Reads the total length of the batch starting at `buf[0]` from its 12-byte prefix.
///
/// `Ok(None)` when fewer than 12 bytes are available. Errors when the announced length is too
/// small for a header or above [`BATCH_BYTES_MAX`]; nothing is allocated either way.
pub fn batch_total_len(buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
    if buf.len() < BATCH_LENGTH_PREFIX_BYTES {
        return Ok(None);
    }
    let batch_length = i64::from(i32::from_be_bytes(be(buf, 8)));
    let total = batch_length + BATCH_LENGTH_PREFIX_BYTES as i64;
    if total < BATCH_HEADER_BYTES as i64 {
        return Err(invalid(format!(
            "batchLength {batch_length} is shorter than the batch header"
        )));
    }
    if total > i64::from(BATCH_BYTES_MAX) {
        return Err(ProtocolError::LimitExceeded {
            what: "record batch bytes",
            value: total as u64,
            max: u64::from(BATCH_BYTES_MAX),
        });
    }
    Ok(Some(total as usize))
}

/// Overwrites the base offset of an encoded batch. The CRC stays valid (it does not cover it).
pub fn set_base_offset(batch: &mut [u8], base_offset: u64) {
    if let Some(field) = batch.get_mut(..8) {
        field.copy_from_slice(&base_offset.to_be_bytes());
    }
}

/// Overwrites the partition leader epoch. The CRC stays valid (it does not cover it).
pub fn set_partition_leader_epoch(batch: &mut [u8], epoch: i32) {
    if let Some(field) = batch.get_mut(OFF_LEADER_EPOCH..OFF_LEADER_EPOCH + 4) {
        field.copy_from_slice(&epoch.to_be_bytes());
    }
}

/// Marks a batch's timestamps as the broker's append time: sets attribute bit 3, writes
/// `now_ms` as maxTimestamp and recomputes the CRC (both fields are inside it). Consumers then
/// read every record's timestamp as `now_ms`, as in Kafka. A buffer shorter than the batch it
/// announces is a `Truncated` error, never a panic.
pub fn stamp_log_append_time(batch: &mut [u8], now_ms: i64) -> Result<(), ProtocolError> {
    let (header, batch) = whole_batch_mut(batch)?;
    let attributes = header.attributes | ATTR_LOG_APPEND_TIME;
    batch[OFF_ATTRIBUTES..OFF_ATTRIBUTES + 2].copy_from_slice(&attributes.to_be_bytes());
    batch[OFF_MAX_TIMESTAMP..OFF_MAX_TIMESTAMP + 8].copy_from_slice(&now_ms.to_be_bytes());
    write_crc(batch);
    Ok(())
}

/// The header and the whole batch at the start of `buf`; a `Truncated` error when `buf` ends
/// before the length the header announces (the CRC covers bytes up to there).
fn whole_batch_mut(buf: &mut [u8]) -> Result<(BatchHeader, &mut [u8]), ProtocolError> {
    let header = BatchHeader::decode(buf)?;
    let available = buf.len();
    let batch = buf
        .get_mut(..header.total_len())
        .ok_or(ProtocolError::Truncated {
            what: "record batch",
            needed: header.total_len(),
            available,
        })?;
    Ok((header, batch))
}

/// The idempotent-producer fields of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProducerStamp {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
}

impl ProducerStamp {
    /// The fields of a batch sent without an idempotent producer.
    pub const NONE: ProducerStamp = ProducerStamp {
        producer_id: NO_PRODUCER_ID,
        producer_epoch: NO_PRODUCER_EPOCH,
        base_sequence: NO_SEQUENCE,
    };
}

/// Rewrites the producer fields of an encoded batch and its CRC (a client restamping a batch
/// under a new producer id or epoch). A buffer shorter than the batch it announces is a
/// `Truncated` error, never a panic.
pub fn set_producer(batch: &mut [u8], stamp: ProducerStamp) -> Result<(), ProtocolError> {
    let (_, batch) = whole_batch_mut(batch)?;
    write_producer(batch, stamp);
    write_crc(batch);
    Ok(())
}

fn write_producer(batch: &mut [u8], stamp: ProducerStamp) {
    batch[OFF_PRODUCER_ID..OFF_PRODUCER_ID + 8].copy_from_slice(&stamp.producer_id.to_be_bytes());
    batch[OFF_PRODUCER_EPOCH..OFF_PRODUCER_EPOCH + 2]
        .copy_from_slice(&stamp.producer_epoch.to_be_bytes());
    batch[OFF_BASE_SEQUENCE..OFF_BASE_SEQUENCE + 4]
        .copy_from_slice(&stamp.base_sequence.to_be_bytes());
}

fn write_crc(batch: &mut [u8]) {
    let crc = crc32c::crc32c(&batch[CRC_SPAN_START..]);
    batch[OFF_CRC..OFF_CRC + 4].copy_from_slice(&crc.to_be_bytes());
}

/// Where record timestamps come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimestampType {
    /// Set by the producer (Kafka's default).
    #[default]
    CreateTime,
    /// Set by the broker on append.
    LogAppendTime,
}

/// The fixed 61-byte header of a batch, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: u64,
    pub batch_length: u32,
    pub partition_leader_epoch: i32,
    pub magic: u8,
    pub crc: u32,
    pub attributes: u16,
    pub last_offset_delta: u32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub record_count: u32,
}

impl BatchHeader {
    /// Decodes the header at the start of `buf` (at least 61 bytes) without reading the records
    /// or checking the CRC: the length, magic and signed counts are checked.
    pub fn decode(buf: &[u8]) -> Result<BatchHeader, ProtocolError> {
        if buf.len() < BATCH_HEADER_BYTES {
            return Err(ProtocolError::Truncated {
                what: "record batch header",
                needed: BATCH_HEADER_BYTES,
                available: buf.len(),
            });
        }
        batch_total_len(buf)?;
        let magic = buf[OFF_MAGIC];
        if magic != MAGIC {
            return Err(invalid(format!(
                "magic {magic} is not supported (only RecordBatch v2, magic 2)"
            )));
        }
        let last_offset_delta = i32::from_be_bytes(be(buf, OFF_LAST_OFFSET_DELTA));
        let record_count = i32::from_be_bytes(be(buf, OFF_RECORD_COUNT));
        if last_offset_delta < 0 || record_count < 0 {
            return Err(invalid(format!(
                "negative lastOffsetDelta {last_offset_delta} or recordCount {record_count}"
            )));
        }
        Ok(BatchHeader {
            base_offset: u64::from_be_bytes(be(buf, 0)),
            batch_length: u32::from_be_bytes(be(buf, 8)),
            partition_leader_epoch: i32::from_be_bytes(be(buf, OFF_LEADER_EPOCH)),
            magic,
            crc: u32::from_be_bytes(be(buf, OFF_CRC)),
            attributes: u16::from_be_bytes(be(buf, OFF_ATTRIBUTES)),
            last_offset_delta: last_offset_delta as u32,
            base_timestamp: i64::from_be_bytes(be(buf, OFF_BASE_TIMESTAMP)),
            max_timestamp: i64::from_be_bytes(be(buf, OFF_MAX_TIMESTAMP)),
            producer_id: i64::from_be_bytes(be(buf, OFF_PRODUCER_ID)),
            producer_epoch: i16::from_be_bytes(be(buf, OFF_PRODUCER_EPOCH)),
            base_sequence: i32::from_be_bytes(be(buf, OFF_BASE_SEQUENCE)),
            record_count: record_count as u32,
        })
    }

    /// Total encoded bytes of the batch.
    pub fn total_len(&self) -> usize {
        self.batch_length as usize + BATCH_LENGTH_PREFIX_BYTES
    }
    /// Offset of the last record.
    pub fn last_offset(&self) -> u64 {
        self.base_offset
            .saturating_add(u64::from(self.last_offset_delta))
    }
    /// The offset after this batch.
    pub fn next_offset(&self) -> u64 {
        self.last_offset().saturating_add(1)
    }
    /// The codec of attribute bits 0-2 (errors for 5, 6 and 7).
    pub fn compression(&self) -> Result<Compression, ProtocolError> {
        Compression::from_id((self.attributes & ATTR_CODEC_MASK) as u8)
    }
    /// Attribute bit 3.
    pub fn timestamp_type(&self) -> TimestampType {
        if self.attributes & ATTR_LOG_APPEND_TIME != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }
    /// Attribute bit 4.
    pub fn is_transactional(&self) -> bool {
        self.attributes & ATTR_TRANSACTIONAL != 0
    }
    /// Attribute bit 5.
    pub fn is_control(&self) -> bool {
        self.attributes & ATTR_CONTROL != 0
    }
    /// The producer fields.
    pub fn producer(&self) -> ProducerStamp {
        ProducerStamp {
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            base_sequence: self.base_sequence,
        }
    }
    /// True when an idempotent producer wrote the batch.
    pub fn has_producer_id(&self) -> bool {
        self.producer_id >= 0
    }
    /// Sequence of the last record (Kafka's rule: base + lastOffsetDelta, wrapping at i32::MAX);
    /// [`NO_SEQUENCE`] when the batch has no base sequence, as in Kafka.
    pub fn last_sequence(&self) -> i32 {
        if self.base_sequence == NO_SEQUENCE {
            return NO_SEQUENCE;
        }
        increment_sequence(self.base_sequence, self.last_offset_delta)
    }
}

/// `sequence + by`, wrapping from `i32::MAX` to 0 as Kafka's sequences do.
pub fn increment_sequence(sequence: i32, by: u32) -> i32 {
    let next = i64::from(sequence) + i64::from(by);
    (next % (i64::from(i32::MAX) + 1)) as i32
}

/// A borrowed, zero-copy view of one encoded batch.
#[derive(Debug, Clone, Copy)]
pub struct RecordBatchView<'a> {
    bytes: &'a [u8],
    header: BatchHeader,
}

impl<'a> RecordBatchView<'a> {
    /// Parses the header of the batch at the start of `buf` and bounds the view to its length.
    /// Checks sizes and the magic byte; does not verify the CRC (see [`Self::verify_crc`]).
    pub fn parse(buf: &'a [u8]) -> Result<Self, ProtocolError> {
        let Some(total) = batch_total_len(buf)? else {
            return Err(ProtocolError::Truncated {
                what: "record batch length prefix",
                needed: BATCH_LENGTH_PREFIX_BYTES,
                available: buf.len(),
            });
        };
        if buf.len() < total {
            return Err(ProtocolError::Truncated {
                what: "record batch",
                needed: total,
                available: buf.len(),
            });
        }
        let bytes = &buf[..total];
        let header = BatchHeader::decode(bytes)?;
        Ok(RecordBatchView { bytes, header })
    }

    /// The decoded header.
    pub fn header(&self) -> &BatchHeader {
        &self.header
    }

    /// The whole encoded batch.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The records section as stored (compressed when the codec is not none).
    pub fn raw_records(&self) -> &'a [u8] {
        &self.bytes[BATCH_HEADER_BYTES..]
    }

    /// Recomputes the CRC-32C over bytes 21..end and compares it with the stored one.
    pub fn verify_crc(&self) -> Result<(), ProtocolError> {
        let computed = crc32c::crc32c(&self.bytes[CRC_SPAN_START..]);
        if computed != self.header.crc {
            return Err(ProtocolError::CrcMismatch {
                stored: self.header.crc,
                computed,
            });
        }
        Ok(())
    }

    /// The records section uncompressed: borrowed for codec none, decompressed (at most
    /// [`BATCH_DECOMPRESSED_BYTES_MAX`] bytes) otherwise.
    pub fn decompressed_records(&self) -> Result<Cow<'a, [u8]>, ProtocolError> {
        match self.header.compression()? {
            Compression::None => Ok(Cow::Borrowed(self.raw_records())),
            codec => codec
                .decompress(self.raw_records(), BATCH_DECOMPRESSED_BYTES_MAX as usize)
                .map(Cow::Owned),
        }
    }

    /// The records, decompressed when needed; iterate them with [`Records::iter`].
    pub fn records(&self) -> Result<Records<'a>, ProtocolError> {
        Ok(Records {
            section: self.decompressed_records()?,
            header: self.header,
        })
    }

    /// Full check: CRC, codec, counts, every record's bounds and limits, offset deltas strictly
    /// increasing and at most `lastOffsetDelta`, CreateTime timestamps at most `maxTimestamp`.
    /// A batch that passes can be iterated without errors.
    pub fn validate(&self) -> Result<(), ProtocolError> {
        self.check_records(false)
    }

    /// [`Self::validate`] plus the rules for a batch fresh from a producer: not transactional,
    /// not control, offset deltas exactly 0, 1, .., recordCount - 1, and producer fields either
    /// all unset or a valid id, epoch and sequence.
    pub fn validate_for_append(&self) -> Result<(), ProtocolError> {
        let h = &self.header;
        if h.is_control() {
            return Err(ProtocolError::Unsupported {
                what: "control batches from a producer (RustLog has no transactions)",
            });
        }
        if h.is_transactional() {
            return Err(ProtocolError::Unsupported {
                what: "transactional batches (RustLog has no transactions)",
            });
        }
        if h.record_count == 0 || h.last_offset_delta != h.record_count - 1 {
            return Err(invalid(format!(
                "recordCount {} but lastOffsetDelta {}; a produced batch holds recordCount = \
                 lastOffsetDelta + 1 records",
                h.record_count, h.last_offset_delta
            )));
        }
        if h.has_producer_id() && (h.producer_epoch < 0 || h.base_sequence < 0) {
            return Err(invalid(format!(
                "producerId {} with producerEpoch {} and baseSequence {}",
                h.producer_id, h.producer_epoch, h.base_sequence
            )));
        }
        self.check_records(true)
    }

    fn check_records(&self, dense: bool) -> Result<(), ProtocolError> {
        self.verify_crc()?;
        let h = &self.header;
        h.compression()?;
        if h.record_count == 0 {
            return Err(invalid("batch holds no records".to_string()));
        }
        if h.record_count > RECORDS_PER_BATCH_MAX {
            return Err(ProtocolError::LimitExceeded {
                what: "records per batch",
                value: u64::from(h.record_count),
                max: u64::from(RECORDS_PER_BATCH_MAX),
            });
        }
        if h.last_offset_delta < h.record_count - 1 {
            return Err(invalid(format!(
                "lastOffsetDelta {} is below recordCount {} - 1",
                h.last_offset_delta, h.record_count
            )));
        }
        let records = self.records()?;
        let mut previous: Option<u32> = None;
        for record in records.iter() {
            let record = record?;
            let delta = record.offset_delta;
            let expected_ok = match previous {
                None if dense => delta == 0,
                None => true,
                Some(prev) if dense => delta == prev + 1,
                Some(prev) => delta > prev,
            };
            if !expected_ok || delta > h.last_offset_delta {
                return Err(invalid(format!(
                    "offset delta {delta} out of order (previous {previous:?}, lastOffsetDelta {})",
                    h.last_offset_delta
                )));
            }
            if h.timestamp_type() == TimestampType::CreateTime
                && record.timestamp_ms > h.max_timestamp
            {
                return Err(invalid(format!(
                    "record timestamp {} above maxTimestamp {}",
                    record.timestamp_ms, h.max_timestamp
                )));
            }
            previous = Some(delta);
        }
        Ok(())
    }
}

/// Iterates over consecutive whole batches in `buf` (a fetch response's records, a segment).
pub fn batches(buf: &[u8]) -> BatchIter<'_> {
    BatchIter { buf, pos: 0 }
}

/// See [`batches`].
#[derive(Debug, Clone)]
pub struct BatchIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for BatchIter<'a> {
    type Item = Result<RecordBatchView<'a>, ProtocolError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        match RecordBatchView::parse(&self.buf[self.pos..]) {
            Ok(view) => {
                self.pos += view.as_bytes().len();
                Some(Ok(view))
            }
            Err(err) => {
                self.pos = self.buf.len();
                Some(Err(err))
            }
        }
    }
}

/// The uncompressed records of one batch: borrowed from the batch, or owned after
/// decompression.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    section: Cow<'a, [u8]>,
    header: BatchHeader,
}

impl<'a> Records<'a> {
    /// Iterates the records.
    pub fn iter(&self) -> RecordIter<'_> {
        RecordIter::new(&self.section, &self.header)
    }
    /// The uncompressed records section.
    pub fn as_bytes(&self) -> &[u8] {
        &self.section
    }
    /// The section itself, for callers that keep it (owned when it was decompressed).
    pub fn into_section(self) -> Cow<'a, [u8]> {
        self.section
    }
}

/// One record, borrowed from its (uncompressed) records section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// Absolute offset (baseOffset + offsetDelta).
    pub offset: u64,
    /// Offset relative to the batch's base offset.
    pub offset_delta: u32,
    /// Absolute timestamp in ms since the Unix epoch (the batch's maxTimestamp under
    /// LogAppendTime).
    pub timestamp_ms: i64,
    /// `None` for a null key.
    pub key: Option<&'a [u8]>,
    /// `None` for a null value (a tombstone under compaction).
    pub value: Option<&'a [u8]>,
    header_count: u32,
    headers_raw: &'a [u8],
}

impl<'a> RecordView<'a> {
    /// Number of headers.
    pub fn header_count(&self) -> u32 {
        self.header_count
    }
    /// Iterates `(key, value)` header pairs in order; duplicate keys are kept, a null value is
    /// `None`.
    pub fn headers(&self) -> HeaderIter<'a> {
        HeaderIter {
            buf: self.headers_raw,
            pos: 0,
            left: self.header_count,
        }
    }
}

/// A bounds-checked reader of zig-zag varints and byte runs.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], ProtocolError> {
        let available = self.buf.len() - self.pos;
        if len > available {
            return Err(ProtocolError::Truncated {
                what,
                needed: len,
                available,
            });
        }
        let out = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(out)
    }

    /// An unsigned LEB128 of at most `max_bytes` bytes.
    fn uvarint(&mut self, max_bytes: usize, what: &'static str) -> Result<u64, ProtocolError> {
        // The broker reads every varint of every produced batch and a consumer of every fetched
        // one: walk the slice directly rather than through `take` per byte.
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let mut value = 0u64;
        for (i, &byte) in rest.iter().take(max_bytes).enumerate() {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.pos += i + 1;
                return Ok(value);
            }
        }
        if rest.len() < max_bytes {
            return Err(ProtocolError::Truncated {
                what,
                needed: 1,
                available: 0,
            });
        }
        Err(invalid(format!(
            "{what}: varint longer than {max_bytes} bytes"
        )))
    }

    fn varint(&mut self, what: &'static str) -> Result<i32, ProtocolError> {
        // Seven varints a record, most of one byte (lengths under 64, deltas, counts).
        if let Some(&byte) = self.buf.get(self.pos).filter(|&&b| b < 0x80) {
            self.pos += 1;
            let raw = u32::from(byte);
            return Ok(((raw >> 1) as i32) ^ -((raw & 1) as i32));
        }
        let raw = self.uvarint(5, what)?;
        let raw =
            u32::try_from(raw).map_err(|_| invalid(format!("{what}: varint overflows i32")))?;
        Ok(((raw >> 1) as i32) ^ -((raw & 1) as i32))
    }

    fn varlong(&mut self, what: &'static str) -> Result<i64, ProtocolError> {
        let raw = self.uvarint(10, what)?;
        Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
    }

    /// A varint length where -1 means null, checked against `max`.
    fn nullable(
        &mut self,
        what: &'static str,
        max: u32,
    ) -> Result<Option<&'a [u8]>, ProtocolError> {
        let len = self.varint(what)?;
        if len == -1 {
            return Ok(None);
        }
        Ok(Some(self.sized(len, what, max)?))
    }

    fn sized(&mut self, len: i32, what: &'static str, max: u32) -> Result<&'a [u8], ProtocolError> {
        if len < 0 {
            return Err(invalid(format!("{what} length {len} is negative")));
        }
        let len = len as u32;
        if len > max {
            return Err(ProtocolError::LimitExceeded {
                what,
                value: u64::from(len),
                max: u64::from(max),
            });
        }
        self.take(len as usize, what)
    }
}

/// See [`Records::iter`].
#[derive(Debug, Clone)]
pub struct RecordIter<'a> {
    buf: &'a [u8],
    pos: usize,
    left: u32,
    base_offset: u64,
    base_timestamp: i64,
    /// `Some(maxTimestamp)` under LogAppendTime: every record reads as that.
    append_time: Option<i64>,
}

impl<'a> RecordIter<'a> {
    /// Iterates the records of an uncompressed records `section` of the batch with `header`
    /// (for callers that hold the section themselves, such as a client slicing shared bytes).
    pub fn new(section: &'a [u8], header: &BatchHeader) -> RecordIter<'a> {
        RecordIter {
            buf: section,
            pos: 0,
            left: header.record_count,
            base_offset: header.base_offset,
            base_timestamp: header.base_timestamp,
            append_time: (header.timestamp_type() == TimestampType::LogAppendTime)
                .then_some(header.max_timestamp),
        }
    }

    fn read_one(&mut self) -> Result<RecordView<'a>, ProtocolError> {
        let mut outer = Cursor {
            buf: self.buf,
            pos: self.pos,
        };
        let length = outer.varint("record length")?;
        let body = outer.sized(length, "record", BATCH_DECOMPRESSED_BYTES_MAX)?;
        self.pos = outer.pos;
        let mut c = Cursor { buf: body, pos: 0 };
        // Record attributes are unused in v2 (Kafka ignores them too).
        c.take(1, "record attributes")?;
        let timestamp_delta = c.varlong("record timestampDelta")?;
        let offset_delta = c.varint("record offsetDelta")?;
        let offset_delta = u32::try_from(offset_delta)
            .map_err(|_| invalid(format!("negative record offsetDelta {offset_delta}")))?;
        let key = c.nullable("record key", KEY_BYTES_MAX)?;
        let value = c.nullable("record value", VALUE_BYTES_MAX)?;
        let header_count = c.varint("record header count")?;
        let header_count = u32::try_from(header_count)
            .map_err(|_| invalid(format!("negative header count {header_count}")))?;
        if header_count > HEADERS_PER_RECORD_MAX {
            return Err(ProtocolError::LimitExceeded {
                what: "headers per record",
                value: u64::from(header_count),
                max: u64::from(HEADERS_PER_RECORD_MAX),
            });
        }
        let headers_raw = &body[c.pos..];
        // Walk the headers once so a record's bounds are fully checked when it is yielded.
        let mut walk = HeaderIter {
            buf: headers_raw,
            pos: 0,
            left: header_count,
        };
        for header in walk.by_ref() {
            header?;
        }
        if walk.pos != headers_raw.len() {
            return Err(ProtocolError::TrailingBytes {
                what: "record",
                extra: headers_raw.len() - walk.pos,
            });
        }
        Ok(RecordView {
            offset: self.base_offset.saturating_add(u64::from(offset_delta)),
            offset_delta,
            timestamp_ms: self
                .append_time
                .unwrap_or_else(|| self.base_timestamp.wrapping_add(timestamp_delta)),
            key,
            value,
            header_count,
            headers_raw,
        })
    }
}

impl<'a> Iterator for RecordIter<'a> {
    type Item = Result<RecordView<'a>, ProtocolError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            if self.pos != self.buf.len() {
                let extra = self.buf.len() - self.pos;
                self.pos = self.buf.len();
                return Some(Err(ProtocolError::TrailingBytes {
                    what: "record batch",
                    extra,
                }));
            }
            return None;
        }
        self.left -= 1;
        let item = self.read_one();
        if item.is_err() {
            self.left = 0;
            self.pos = self.buf.len();
        }
        Some(item)
    }
}

/// See [`RecordView::headers`].
#[derive(Debug, Clone)]
pub struct HeaderIter<'a> {
    buf: &'a [u8],
    pos: usize,
    left: u32,
}

impl<'a> HeaderIter<'a> {
    fn read_one(&mut self) -> Result<(&'a str, Option<&'a [u8]>), ProtocolError> {
        let mut c = Cursor {
            buf: self.buf,
            pos: self.pos,
        };
        let key_len = c.varint("header key length")?;
        let key = c.sized(key_len, "header key bytes", HEADER_KEY_BYTES_MAX)?;
        let key = std::str::from_utf8(key)
            .map_err(|_| ProtocolError::InvalidUtf8 { what: "header key" })?;
        let value = c.nullable("header value bytes", HEADER_VALUE_BYTES_MAX)?;
        self.pos = c.pos;
        Ok((key, value))
    }
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = Result<(&'a str, Option<&'a [u8]>), ProtocolError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let item = self.read_one();
        if item.is_err() {
            self.left = 0;
        }
        Some(item)
    }
}

/// One header to write: a key and a nullable value.
pub type HeaderRef<'a> = (&'a str, Option<&'a [u8]>);

/// Writes a batch record by record. Checks every limit as records are pushed; `finish` can only
/// fail when compression makes the batch larger than [`BATCH_BYTES_MAX`].
#[derive(Debug, Clone)]
pub struct RecordBatchBuilder {
    buf: Vec<u8>,
    record_count: u32,
    base_timestamp: i64,
    max_timestamp: i64,
    compression: Compression,
    compression_level: Option<i32>,
    producer: ProducerStamp,
}

impl Default for RecordBatchBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordBatchBuilder {
    /// An empty, uncompressed builder without producer fields.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty builder with room for `bytes` of records.
    pub fn with_capacity(bytes: usize) -> Self {
        let mut buf = Vec::with_capacity(BATCH_HEADER_BYTES + bytes);
        buf.resize(BATCH_HEADER_BYTES, 0);
        RecordBatchBuilder {
            buf,
            record_count: 0,
            base_timestamp: 0,
            max_timestamp: 0,
            compression: Compression::None,
            compression_level: None,
            producer: ProducerStamp::NONE,
        }
    }

    /// Compresses the records with `codec` at `level` (the codec's default when `None`) on
    /// `finish`. Fails for a level the codec does not take.
    pub fn compression(
        mut self,
        codec: Compression,
        level: Option<i32>,
    ) -> Result<Self, ProtocolError> {
        codec.check_level(level)?;
        self.compression = codec;
        self.compression_level = level;
        Ok(self)
    }

    /// Writes these producer fields (an idempotent producer's id, epoch and base sequence).
    #[must_use]
    pub fn producer(mut self, stamp: ProducerStamp) -> Self {
        self.producer = stamp;
        self
    }

    /// Records pushed so far.
    pub fn record_count(&self) -> u32 {
        self.record_count
    }

    /// True when no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.record_count == 0
    }

    /// Bytes the batch would have if finished now without compression.
    pub fn encoded_len(&self) -> usize {
        self.buf.len()
    }

    /// Most bytes one record with these fields adds to a batch (its varints at their widest).
    pub fn record_encoded_len(
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[HeaderRef<'_>],
    ) -> usize {
        RECORD_OVERHEAD_BYTES
            + key.map_or(0, <[u8]>::len)
            + value.map_or(0, <[u8]>::len)
            + headers
                .iter()
                .map(|(k, v)| HEADER_OVERHEAD_BYTES + k.len() + v.map_or(0, <[u8]>::len))
                .sum::<usize>()
    }

    /// Checks one record against the per-record limits without pushing it.
    pub fn check_record(
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[HeaderRef<'_>],
    ) -> Result<(), ProtocolError> {
        check_len("record key", key.map_or(0, <[u8]>::len), KEY_BYTES_MAX)?;
        check_len(
            "record value",
            value.map_or(0, <[u8]>::len),
            VALUE_BYTES_MAX,
        )?;
        check_len("headers per record", headers.len(), HEADERS_PER_RECORD_MAX)?;
        for (k, v) in headers {
            check_len("header key bytes", k.len(), HEADER_KEY_BYTES_MAX)?;
            check_len(
                "header value bytes",
                v.map_or(0, <[u8]>::len),
                HEADER_VALUE_BYTES_MAX,
            )?;
        }
        let batch_len = BATCH_HEADER_BYTES + Self::record_encoded_len(key, value, headers);
        check_len("record batch bytes", batch_len, BATCH_BYTES_MAX)
    }

    /// Appends a record. Fails (leaving the builder unchanged) when a limit would be exceeded;
    /// a full batch reports `LimitExceeded` for "record batch bytes" or "records per batch".
    pub fn push(
        &mut self,
        timestamp_ms: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[HeaderRef<'_>],
    ) -> Result<(), ProtocolError> {
        Self::check_record(key, value, headers)?;
        check_len(
            "records per batch",
            self.record_count as usize + 1,
            RECORDS_PER_BATCH_MAX,
        )?;
        check_len(
            "record batch bytes",
            self.buf.len() + Self::record_encoded_len(key, value, headers),
            BATCH_BYTES_MAX,
        )?;
        if self.record_count == 0 {
            self.base_timestamp = timestamp_ms;
            self.max_timestamp = timestamp_ms;
        }
        self.max_timestamp = self.max_timestamp.max(timestamp_ms);
        let record = RecordFields {
            timestamp_delta: timestamp_ms.wrapping_sub(self.base_timestamp),
            offset_delta: self.record_count,
            key,
            value,
            headers,
        };
        put_record(&mut self.buf, &record);
        self.record_count += 1;
        Ok(())
    }

    /// Compresses the records if asked, writes the header and CRC and returns the batch.
    /// `base_offset` is 0 from a producer; the broker stamps the real one.
    pub fn finish(self, base_offset: u64) -> Result<Vec<u8>, ProtocolError> {
        let header = HeaderFields {
            base_offset,
            attributes: u16::from(self.compression.id()),
            last_offset_delta: self.record_count.saturating_sub(1),
            base_timestamp: self.base_timestamp,
            max_timestamp: self.max_timestamp,
            producer: self.producer,
            record_count: self.record_count,
        };
        seal(self.buf, self.compression, self.compression_level, &header)
    }
}

/// The header fields a writer chooses; the rest (length, epoch, magic, CRC) follow from them.
struct HeaderFields {
    base_offset: u64,
    attributes: u16,
    last_offset_delta: u32,
    base_timestamp: i64,
    max_timestamp: i64,
    producer: ProducerStamp,
    record_count: u32,
}

/// Compresses `buf[61..]` with `codec` when it is not none, then writes the header and CRC.
fn seal(
    buf: Vec<u8>,
    codec: Compression,
    level: Option<i32>,
    h: &HeaderFields,
) -> Result<Vec<u8>, ProtocolError> {
    let mut buf = match codec {
        Compression::None => buf,
        codec => {
            let mut packed = Vec::with_capacity(BATCH_HEADER_BYTES + buf.len() / 2);
            packed.resize(BATCH_HEADER_BYTES, 0);
            codec.compress(level, &buf[BATCH_HEADER_BYTES..], &mut packed)?;
            packed
        }
    };
    check_len("record batch bytes", buf.len(), BATCH_BYTES_MAX)?;
    buf[0..8].copy_from_slice(&h.base_offset.to_be_bytes());
    let batch_length = (buf.len() - BATCH_LENGTH_PREFIX_BYTES) as u32;
    buf[8..12].copy_from_slice(&batch_length.to_be_bytes());
    buf[OFF_LEADER_EPOCH..OFF_LEADER_EPOCH + 4].copy_from_slice(&0i32.to_be_bytes());
    buf[OFF_MAGIC] = MAGIC;
    buf[OFF_ATTRIBUTES..OFF_ATTRIBUTES + 2].copy_from_slice(&h.attributes.to_be_bytes());
    buf[OFF_LAST_OFFSET_DELTA..OFF_LAST_OFFSET_DELTA + 4]
        .copy_from_slice(&h.last_offset_delta.to_be_bytes());
    buf[OFF_BASE_TIMESTAMP..OFF_BASE_TIMESTAMP + 8]
        .copy_from_slice(&h.base_timestamp.to_be_bytes());
    buf[OFF_MAX_TIMESTAMP..OFF_MAX_TIMESTAMP + 8].copy_from_slice(&h.max_timestamp.to_be_bytes());
    write_producer(&mut buf, h.producer);
    buf[OFF_RECORD_COUNT..OFF_RECORD_COUNT + 4].copy_from_slice(&h.record_count.to_be_bytes());
    write_crc(&mut buf);
    Ok(buf)
}

fn check_len(what: &'static str, value: usize, max: u32) -> Result<(), ProtocolError> {
    if value as u64 > u64::from(max) {
        return Err(ProtocolError::LimitExceeded {
            what,
            value: value as u64,
            max: u64::from(max),
        });
    }
    Ok(())
}

/// Re-encodes a subset of a batch's records (compaction), keeping each record's absolute offset
/// and timestamp, the source batch's codec, timestamp type and producer id and epoch.
///
/// `base_offset` must be at most the first kept record's offset; `last_offset` is the offset the
/// batch must still claim to end at (the source batch's last offset), so the next offset of the
/// log is unchanged. The base sequence is moved with the base offset so the batch's last
/// sequence stays the source's (what producer-state recovery reads).
pub fn rebuild_batch<'a>(
    records: impl IntoIterator<Item = RecordView<'a>>,
    source: &BatchHeader,
    base_offset: u64,
    last_offset: u64,
) -> Result<Option<Vec<u8>>, ProtocolError> {
    let kept: Vec<RecordView<'a>> = records.into_iter().collect();
    let Some(first) = kept.first() else {
        return Ok(None);
    };
    let delta_of = |offset: u64, what: &str| {
        offset
            .checked_sub(base_offset)
            .and_then(|d| u32::try_from(d).ok())
            .filter(|d| *d <= i32::MAX as u32)
            .ok_or_else(|| {
                invalid(format!(
                    "{what} {offset} not within i32 of base {base_offset}"
                ))
            })
    };
    let base_timestamp = first.timestamp_ms;
    let mut max_timestamp = base_timestamp;
    let mut buf = vec![0u8; BATCH_HEADER_BYTES];
    for record in &kept {
        let headers: Vec<HeaderRef<'_>> = record.headers().collect::<Result<_, _>>()?;
        max_timestamp = max_timestamp.max(record.timestamp_ms);
        let fields = RecordFields {
            timestamp_delta: record.timestamp_ms.wrapping_sub(base_timestamp),
            offset_delta: delta_of(record.offset, "record offset")?,
            key: record.key,
            value: record.value,
            headers: &headers,
        };
        put_record(&mut buf, &fields);
    }
    if source.timestamp_type() == TimestampType::LogAppendTime {
        max_timestamp = source.max_timestamp;
    }
    let mut producer = source.producer();
    if source.has_producer_id() {
        let last_sequence = source.last_sequence();
        let span = delta_of(last_offset, "last offset")?;
        producer.base_sequence = ((i64::from(last_sequence) - i64::from(span))
            .rem_euclid(i64::from(i32::MAX) + 1)) as i32;
    }
    let header = HeaderFields {
        base_offset,
        attributes: source.attributes,
        last_offset_delta: delta_of(last_offset, "last offset")?,
        base_timestamp,
        max_timestamp,
        producer,
        record_count: kept.len() as u32,
    };
    seal(buf, source.compression()?, None, &header).map(Some)
}

/// The fields of one record to encode.
struct RecordFields<'a, 'h> {
    timestamp_delta: i64,
    offset_delta: u32,
    key: Option<&'a [u8]>,
    value: Option<&'a [u8]>,
    headers: &'h [HeaderRef<'a>],
}

fn put_uvarint(buf: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

fn put_varint(buf: &mut Vec<u8>, value: i32) {
    put_uvarint(buf, u64::from(((value << 1) ^ (value >> 31)) as u32));
}

fn put_varlong(buf: &mut Vec<u8>, value: i64) {
    put_uvarint(buf, ((value << 1) ^ (value >> 63)) as u64);
}

fn uvarint_len(mut value: u64) -> usize {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}

fn varint_len(value: i32) -> usize {
    uvarint_len(u64::from(((value << 1) ^ (value >> 31)) as u32))
}

fn put_nullable(buf: &mut Vec<u8>, field: Option<&[u8]>) {
    match field {
        None => put_varint(buf, -1),
        Some(bytes) => {
            put_varint(buf, bytes.len() as i32);
            buf.extend_from_slice(bytes);
        }
    }
}

fn nullable_len(field: Option<&[u8]>) -> usize {
    field.map_or(1, |b| varint_len(b.len() as i32) + b.len())
}

/// Appends one encoded record (limits were checked by the caller, so lengths fit i32).
fn put_record(buf: &mut Vec<u8>, r: &RecordFields<'_, '_>) {
    let timestamp_zigzag = ((r.timestamp_delta << 1) ^ (r.timestamp_delta >> 63)) as u64;
    let mut body_len = 1
        + uvarint_len(timestamp_zigzag)
        + varint_len(r.offset_delta as i32)
        + nullable_len(r.key)
        + nullable_len(r.value)
        + varint_len(r.headers.len() as i32);
    for (k, v) in r.headers {
        body_len += varint_len(k.len() as i32) + k.len() + nullable_len(*v);
    }
    buf.reserve(5 + body_len);
    put_varint(buf, body_len as i32);
    buf.push(0);
    put_varlong(buf, r.timestamp_delta);
    put_varint(buf, r.offset_delta as i32);
    put_nullable(buf, r.key);
    put_nullable(buf, r.value);
    put_varint(buf, r.headers.len() as i32);
    for (k, v) in r.headers {
        put_varint(buf, k.len() as i32);
        buf.extend_from_slice(k.as_bytes());
        put_nullable(buf, *v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_read_and_stamp() {
        let mut b = RecordBatchBuilder::new();
        b.push(
            1_000,
            Some(b"k1"),
            Some(b"v1"),
            &[("h", Some(b"x")), ("h", None)],
        )
        .unwrap();
        b.push(1_005, None, None, &[]).unwrap();
        let mut bytes = b.finish(0).unwrap();
        set_base_offset(&mut bytes, 42);
        let view = RecordBatchView::parse(&bytes).unwrap();
        view.validate_for_append().unwrap();
        assert_eq!(view.header().next_offset(), 44);
        let records = view.records().unwrap();
        let records: Vec<_> = records.iter().map(Result::unwrap).collect();
        assert_eq!(records[0].offset, 42);
        assert_eq!(records[0].key, Some(&b"k1"[..]));
        let headers: Vec<_> = records[0].headers().map(Result::unwrap).collect();
        assert_eq!(headers, vec![("h", Some(&b"x"[..])), ("h", None)]);
        assert_eq!(records[1].offset, 43);
        assert_eq!(records[1].timestamp_ms, 1_005);
        assert_eq!(records[1].value, None);
    }

    #[test]
    fn bit_flip_fails_crc() {
        let mut b = RecordBatchBuilder::new();
        b.push(1, Some(b"k"), Some(b"value"), &[]).unwrap();
        let mut bytes = b.finish(0).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let err = RecordBatchView::parse(&bytes)
            .unwrap()
            .validate()
            .unwrap_err();
        assert!(matches!(err, ProtocolError::CrcMismatch { .. }), "{err}");
    }

    #[test]
    fn varints_round_trip_at_their_edges() {
        for value in [0, 1, -1, 63, -64, 64, i32::MAX, i32::MIN] {
            let mut buf = Vec::new();
            put_varint(&mut buf, value);
            assert_eq!(buf.len(), varint_len(value));
            let mut c = Cursor { buf: &buf, pos: 0 };
            assert_eq!(c.varint("v").unwrap(), value);
        }
        for value in [0i64, -1, i64::MAX, i64::MIN] {
            let mut buf = Vec::new();
            put_varlong(&mut buf, value);
            let mut c = Cursor { buf: &buf, pos: 0 };
            assert_eq!(c.varlong("v").unwrap(), value);
        }
        let mut c = Cursor {
            buf: &[0xff; 6],
            pos: 0,
        };
        assert!(c.varint("v").is_err());
    }

    #[test]
    fn log_append_time_rewrites_the_timestamps_and_keeps_the_crc_valid() {
        let mut b = RecordBatchBuilder::new();
        b.push(5, None, Some(b"a"), &[]).unwrap();
        b.push(7, None, Some(b"b"), &[]).unwrap();
        let mut bytes = b.finish(0).unwrap();
        stamp_log_append_time(&mut bytes, 99).unwrap();
        let view = RecordBatchView::parse(&bytes).unwrap();
        view.validate().unwrap();
        assert_eq!(view.header().timestamp_type(), TimestampType::LogAppendTime);
        let records = view.records().unwrap();
        assert!(records.iter().all(|r| r.unwrap().timestamp_ms == 99));
    }

    #[test]
    fn sequences_wrap_at_i32_max() {
        assert_eq!(increment_sequence(i32::MAX, 1), 0);
        assert_eq!(increment_sequence(5, 3), 8);
    }
}
