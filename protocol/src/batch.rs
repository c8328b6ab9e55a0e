//! Record batches: the unit a producer sends, the broker stores and a consumer fetches. The bytes
//! are identical on the wire and on disk, so the broker appends and serves them without
//! re-encoding.
//!
//! Layout (all integers big-endian; byte tables in `protocol-spec/SPEC.md`):
//!
//! ```text
//! offset size field
//!  0     8   base_offset        offset of the first record, stamped by the broker
//!  8     4   batch_length       bytes after this field (total length - 12)
//! 12     1   magic              format version, 1
//! 13     4   crc                CRC-32 (IEEE, crc32fast) of bytes 17..end
//! 17     2   attributes         bits 0-2 compression codec (0 = none); other bits 0
//! 19     4   last_offset_delta  offset of the last record minus base_offset
//! 23     8   first_timestamp    ms since the Unix epoch, of the first record
//! 31     8   max_timestamp      largest record timestamp in the batch
//! 39     4   record_count       number of records that follow
//! 43     ..  records
//! ```
//!
//! `base_offset` and `batch_length` sit before the CRC span, so the broker stamps the offset
//! without recomputing the checksum.

use crate::error::ProtocolError;
use crate::limits::{
    BATCH_BYTES_MAX, HEADERS_PER_RECORD_MAX, HEADER_KEY_BYTES_MAX, HEADER_VALUE_BYTES_MAX,
    KEY_BYTES_MAX, RECORDS_PER_BATCH_MAX, VALUE_BYTES_MAX,
};

/// Format version written in every batch.
pub const MAGIC: u8 = 1;
/// Bytes before the records.
pub const BATCH_HEADER_BYTES: usize = 43;
/// Bytes of `base_offset` + `batch_length`: the prefix that announces a batch's size.
pub const BATCH_LENGTH_PREFIX_BYTES: usize = 12;
/// Where the CRC field starts.
pub const CRC_OFFSET: usize = 13;
/// Where the CRC span starts (the byte after the CRC field).
pub const CRC_SPAN_START: usize = 17;
/// Attribute bits that select a compression codec.
pub const ATTRIBUTES_CODEC_MASK: u16 = 0b111;
/// Fixed bytes of a record besides its key, value and headers.
pub const RECORD_OVERHEAD_BYTES: usize = 4 + 1 + 8 + 4 + 4 + 4 + 4;

const OFF_MAGIC: usize = 12;
const OFF_ATTRIBUTES: usize = 17;
const OFF_LAST_OFFSET_DELTA: usize = 19;
const OFF_FIRST_TIMESTAMP: usize = 23;
const OFF_MAX_TIMESTAMP: usize = 31;
const OFF_RECORD_COUNT: usize = 39;

fn be_u32(buf: &[u8], at: usize) -> u32 {
    let mut raw = [0u8; 4];
    raw.copy_from_slice(&buf[at..at + 4]);
    u32::from_be_bytes(raw)
}

fn be_u64(buf: &[u8], at: usize) -> u64 {
    let mut raw = [0u8; 8];
    raw.copy_from_slice(&buf[at..at + 8]);
    u64::from_be_bytes(raw)
}

/// Reads the total length of the batch starting at `buf[0]` from its 12-byte prefix.
///
/// `Ok(None)` when fewer than 12 bytes are available. Errors when the announced length is too
/// small for a header or above [`BATCH_BYTES_MAX`]; nothing is allocated either way.
pub fn batch_total_len(buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
    if buf.len() < BATCH_LENGTH_PREFIX_BYTES {
        return Ok(None);
    }
    let batch_length = u64::from(be_u32(buf, 8));
    let total = batch_length + BATCH_LENGTH_PREFIX_BYTES as u64;
    if total < BATCH_HEADER_BYTES as u64 {
        return Err(ProtocolError::InvalidBatch {
            reason: format!("batch_length {batch_length} is shorter than the batch header"),
        });
    }
    if total > u64::from(BATCH_BYTES_MAX) {
        return Err(ProtocolError::LimitExceeded {
            what: "record batch bytes",
            value: total,
            max: u64::from(BATCH_BYTES_MAX),
        });
    }
    Ok(Some(total as usize))
}

/// Overwrites the base offset of an encoded batch. The CRC stays valid.
///
/// # Panics
/// Never on a buffer of at least 8 bytes; callers pass batches that were already parsed.
pub fn set_base_offset(batch: &mut [u8], base_offset: u64) {
    if batch.len() >= 8 {
        batch[..8].copy_from_slice(&base_offset.to_be_bytes());
    }
}

/// The fixed header of a batch, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: u64,
    pub batch_length: u32,
    pub magic: u8,
    pub crc: u32,
    pub attributes: u16,
    pub last_offset_delta: u32,
    pub first_timestamp: i64,
    pub max_timestamp: i64,
    pub record_count: u32,
}

impl BatchHeader {
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
        let total = match batch_total_len(buf)? {
            Some(total) => total,
            None => {
                return Err(ProtocolError::Truncated {
                    what: "record batch length prefix",
                    needed: BATCH_LENGTH_PREFIX_BYTES,
                    available: buf.len(),
                })
            }
        };
        if buf.len() < total {
            return Err(ProtocolError::Truncated {
                what: "record batch",
                needed: total,
                available: buf.len(),
            });
        }
        let bytes = &buf[..total];
        let magic = bytes[OFF_MAGIC];
        if magic != MAGIC {
            return Err(ProtocolError::InvalidBatch {
                reason: format!("unknown magic {magic}"),
            });
        }
        let header = BatchHeader {
            base_offset: be_u64(bytes, 0),
            batch_length: be_u32(bytes, 8),
            magic,
            crc: be_u32(bytes, CRC_OFFSET),
            attributes: u16::from_be_bytes([bytes[OFF_ATTRIBUTES], bytes[OFF_ATTRIBUTES + 1]]),
            last_offset_delta: be_u32(bytes, OFF_LAST_OFFSET_DELTA),
            first_timestamp: be_u64(bytes, OFF_FIRST_TIMESTAMP) as i64,
            max_timestamp: be_u64(bytes, OFF_MAX_TIMESTAMP) as i64,
            record_count: be_u32(bytes, OFF_RECORD_COUNT),
        };
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

    /// Recomputes the CRC over bytes 17..end and compares it with the stored one.
    pub fn verify_crc(&self) -> Result<(), ProtocolError> {
        let computed = crc32fast::hash(&self.bytes[CRC_SPAN_START..]);
        if computed != self.header.crc {
            return Err(ProtocolError::CrcMismatch {
                stored: self.header.crc,
                computed,
            });
        }
        Ok(())
    }

    /// Full check: CRC, codec, record count, every record's bounds and limits, offset deltas
    /// strictly increasing and at most `last_offset_delta`, no timestamp above `max_timestamp`.
    /// A batch that passes can be iterated without errors.
    pub fn validate(&self) -> Result<(), ProtocolError> {
        self.verify_crc()?;
        let h = &self.header;
        if h.attributes & !ATTRIBUTES_CODEC_MASK != 0 {
            return Err(invalid(format!(
                "reserved attribute bits set: {:#06x}",
                h.attributes
            )));
        }
        if h.attributes & ATTRIBUTES_CODEC_MASK != 0 {
            return Err(invalid(format!(
                "compression codec {} is not supported",
                h.attributes & ATTRIBUTES_CODEC_MASK
            )));
        }
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
        if h.max_timestamp < h.first_timestamp {
            return Err(invalid(
                "max_timestamp is before first_timestamp".to_string(),
            ));
        }
        let mut previous_delta: Option<u32> = None;
        let mut seen = 0u32;
        for record in self.records() {
            let record = record?;
            let delta = record.offset_delta;
            if previous_delta.is_some_and(|prev| delta <= prev) {
                return Err(invalid(format!("offset delta {delta} does not increase")));
            }
            if delta > h.last_offset_delta {
                return Err(invalid(format!(
                    "offset delta {delta} exceeds last_offset_delta {}",
                    h.last_offset_delta
                )));
            }
            if record.timestamp_ms > h.max_timestamp {
                return Err(invalid(format!(
                    "record timestamp {} above max_timestamp {}",
                    record.timestamp_ms, h.max_timestamp
                )));
            }
            for header in record.headers() {
                header?;
            }
            previous_delta = Some(delta);
            seen += 1;
        }
        if seen != h.record_count {
            return Err(invalid(format!(
                "record_count {} but {seen} records",
                h.record_count
            )));
        }
        Ok(())
    }

    /// [`Self::validate`] plus the rules for a batch fresh from a producer: offset deltas are
    /// exactly 0, 1, .., record_count - 1.
    pub fn validate_for_append(&self) -> Result<(), ProtocolError> {
        self.validate()?;
        let h = &self.header;
        if h.last_offset_delta != h.record_count - 1 {
            return Err(invalid(format!(
                "last_offset_delta {} but {} records; produced batches must be dense",
                h.last_offset_delta, h.record_count
            )));
        }
        Ok(())
    }

    /// Iterates the records. Each item is checked for bounds; call [`Self::validate`] first to
    /// rule out errors altogether.
    pub fn records(&self) -> RecordIter<'a> {
        RecordIter {
            buf: &self.bytes[BATCH_HEADER_BYTES..],
            pos: 0,
            left: self.header.record_count,
            base_offset: self.header.base_offset,
            first_timestamp: self.header.first_timestamp,
        }
    }
}

fn invalid(reason: String) -> ProtocolError {
    ProtocolError::InvalidBatch { reason }
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

/// One record, borrowed from its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// Absolute offset (base_offset + offset_delta).
    pub offset: u64,
    /// Offset relative to the batch's base offset.
    pub offset_delta: u32,
    /// Absolute timestamp in ms since the Unix epoch.
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
    /// Iterates `(key, value)` header pairs.
    pub fn headers(&self) -> HeaderIter<'a> {
        HeaderIter {
            buf: self.headers_raw,
            pos: 0,
            left: self.header_count,
        }
    }
}

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
    fn u8(&mut self, what: &'static str) -> Result<u8, ProtocolError> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, ProtocolError> {
        let raw = self.take(2, what)?;
        Ok(u16::from_be_bytes([raw[0], raw[1]]))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, ProtocolError> {
        Ok(be_u32(self.take(4, what)?, 0))
    }
    fn i64(&mut self, what: &'static str) -> Result<i64, ProtocolError> {
        Ok(be_u64(self.take(8, what)?, 0) as i64)
    }
    /// An `i32` length where -1 means null, checked against `max`.
    fn nullable(
        &mut self,
        what: &'static str,
        max: u32,
    ) -> Result<Option<&'a [u8]>, ProtocolError> {
        let len = self.u32(what)? as i32;
        if len == -1 {
            return Ok(None);
        }
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
        Ok(Some(self.take(len as usize, what)?))
    }
}

/// See [`RecordBatchView::records`].
#[derive(Debug, Clone)]
pub struct RecordIter<'a> {
    buf: &'a [u8],
    pos: usize,
    left: u32,
    base_offset: u64,
    first_timestamp: i64,
}

impl<'a> RecordIter<'a> {
    fn read_one(&mut self) -> Result<RecordView<'a>, ProtocolError> {
        let mut outer = Cursor {
            buf: self.buf,
            pos: self.pos,
        };
        let length = outer.u32("record length")? as usize;
        let body = outer.take(length, "record")?;
        self.pos = outer.pos;
        let mut c = Cursor { buf: body, pos: 0 };
        let attributes = c.u8("record attributes")?;
        if attributes != 0 {
            return Err(invalid(format!(
                "reserved record attributes set: {attributes:#04x}"
            )));
        }
        let timestamp_delta = c.i64("record timestamp delta")?;
        let offset_delta = c.u32("record offset delta")?;
        let key = c.nullable("record key", KEY_BYTES_MAX)?;
        let value = c.nullable("record value", VALUE_BYTES_MAX)?;
        let header_count = c.u32("record header count")?;
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
            timestamp_ms: self.first_timestamp.wrapping_add(timestamp_delta),
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

impl<'a> Iterator for HeaderIter<'a> {
    type Item = Result<(&'a str, &'a [u8]), ProtocolError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let mut c = Cursor {
            buf: self.buf,
            pos: self.pos,
        };
        let item = (|| {
            let key_len = c.u16("header key length")?;
            if u32::from(key_len) > HEADER_KEY_BYTES_MAX {
                return Err(ProtocolError::LimitExceeded {
                    what: "header key bytes",
                    value: u64::from(key_len),
                    max: u64::from(HEADER_KEY_BYTES_MAX),
                });
            }
            let key = c.take(usize::from(key_len), "header key")?;
            let key = std::str::from_utf8(key)
                .map_err(|_| ProtocolError::InvalidUtf8 { what: "header key" })?;
            let value_len = c.u32("header value length")?;
            if value_len > HEADER_VALUE_BYTES_MAX {
                return Err(ProtocolError::LimitExceeded {
                    what: "header value bytes",
                    value: u64::from(value_len),
                    max: u64::from(HEADER_VALUE_BYTES_MAX),
                });
            }
            let value = c.take(value_len as usize, "header value")?;
            Ok((key, value))
        })();
        match item {
            Ok(pair) => {
                self.pos = c.pos;
                Some(Ok(pair))
            }
            Err(err) => {
                self.left = 0;
                Some(Err(err))
            }
        }
    }
}

/// Writes a batch record by record. Checks every limit as records are pushed, so `finish`
/// cannot fail.
#[derive(Debug, Clone)]
pub struct RecordBatchBuilder {
    buf: Vec<u8>,
    record_count: u32,
    first_timestamp: i64,
    max_timestamp: i64,
}

impl Default for RecordBatchBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordBatchBuilder {
    /// An empty builder.
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
            first_timestamp: 0,
            max_timestamp: 0,
        }
    }

    /// Records pushed so far.
    pub fn record_count(&self) -> u32 {
        self.record_count
    }

    /// True when no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.record_count == 0
    }

    /// Bytes the batch would have if finished now.
    pub fn encoded_len(&self) -> usize {
        self.buf.len()
    }

    /// Bytes one record with these fields adds to a batch.
    pub fn record_encoded_len(
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(&str, &[u8])],
    ) -> usize {
        RECORD_OVERHEAD_BYTES
            + key.map_or(0, <[u8]>::len)
            + value.map_or(0, <[u8]>::len)
            + headers
                .iter()
                .map(|(k, v)| 2 + k.len() + 4 + v.len())
                .sum::<usize>()
    }

    /// Checks one record against the per-record limits without pushing it.
    pub fn check_record(
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(&str, &[u8])],
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
            check_len("header value bytes", v.len(), HEADER_VALUE_BYTES_MAX)?;
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
        headers: &[(&str, &[u8])],
    ) -> Result<(), ProtocolError> {
        Self::check_record(key, value, headers)?;
        check_len(
            "records per batch",
            self.record_count as usize + 1,
            RECORDS_PER_BATCH_MAX,
        )?;
        let record_len = Self::record_encoded_len(key, value, headers);
        check_len(
            "record batch bytes",
            self.buf.len() + record_len,
            BATCH_BYTES_MAX,
        )?;
        if self.record_count == 0 {
            self.first_timestamp = timestamp_ms;
            self.max_timestamp = timestamp_ms;
        }
        self.max_timestamp = self.max_timestamp.max(timestamp_ms);
        let timestamp_delta = timestamp_ms.wrapping_sub(self.first_timestamp);
        put_record(
            &mut self.buf,
            timestamp_delta,
            self.record_count,
            key,
            value,
            headers,
        );
        self.record_count += 1;
        Ok(())
    }

    /// Writes the header and CRC and returns the encoded batch. `base_offset` is usually 0 from
    /// a producer; the broker stamps the real one.
    pub fn finish(mut self, base_offset: u64) -> Vec<u8> {
        let header = BatchHeader {
            base_offset,
            batch_length: (self.buf.len() - BATCH_LENGTH_PREFIX_BYTES) as u32,
            magic: MAGIC,
            crc: 0,
            attributes: 0,
            last_offset_delta: self.record_count.saturating_sub(1),
            first_timestamp: self.first_timestamp,
            max_timestamp: self.max_timestamp,
            record_count: self.record_count,
        };
        write_header(&mut self.buf, &header);
        self.buf
    }
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

fn put_nullable(buf: &mut Vec<u8>, field: Option<&[u8]>) {
    match field {
        None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(bytes) => {
            buf.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            buf.extend_from_slice(bytes);
        }
    }
}

/// Re-encodes a subset of a batch's records (compaction), keeping each record's absolute offset
/// and the original `last_offset_delta` span, so offsets are preserved with gaps.
///
/// `base_offset` must be at most the first kept record's offset; `last_offset` is the offset the
/// batch must still claim to end at (the source batch's last offset), so the next offset of the
/// log is unchanged.
pub fn rebuild_batch<'a>(
    records: impl IntoIterator<Item = RecordView<'a>>,
    base_offset: u64,
    last_offset: u64,
) -> Result<Option<Vec<u8>>, ProtocolError> {
    let kept: Vec<RecordView<'a>> = records.into_iter().collect();
    let Some(first) = kept.first() else {
        return Ok(None);
    };
    let first_timestamp = first.timestamp_ms;
    let max_timestamp = kept
        .iter()
        .map(|r| r.timestamp_ms)
        .fold(first_timestamp, i64::max);
    let delta_of = |offset: u64, what: &str| {
        offset
            .checked_sub(base_offset)
            .and_then(|d| u32::try_from(d).ok())
            .ok_or_else(|| {
                invalid(format!(
                    "{what} {offset} not within u32 of base {base_offset}"
                ))
            })
    };
    let mut buf = vec![0u8; BATCH_HEADER_BYTES];
    for record in &kept {
        let headers: Vec<(&str, &[u8])> = record.headers().collect::<Result<_, _>>()?;
        let offset_delta = delta_of(record.offset, "record offset")?;
        let timestamp_delta = record.timestamp_ms.wrapping_sub(first_timestamp);
        put_record(
            &mut buf,
            timestamp_delta,
            offset_delta,
            record.key,
            record.value,
            &headers,
        );
    }
    let header = BatchHeader {
        base_offset,
        batch_length: (buf.len() - BATCH_LENGTH_PREFIX_BYTES) as u32,
        magic: MAGIC,
        crc: 0,
        attributes: 0,
        last_offset_delta: delta_of(last_offset, "last offset")?,
        first_timestamp,
        max_timestamp,
        record_count: kept.len() as u32,
    };
    write_header(&mut buf, &header);
    Ok(Some(buf))
}

/// Writes every header field but the CRC, then computes and writes the CRC.
fn write_header(buf: &mut [u8], h: &BatchHeader) {
    buf[0..8].copy_from_slice(&h.base_offset.to_be_bytes());
    buf[8..12].copy_from_slice(&h.batch_length.to_be_bytes());
    buf[OFF_MAGIC] = h.magic;
    buf[OFF_ATTRIBUTES..OFF_ATTRIBUTES + 2].copy_from_slice(&h.attributes.to_be_bytes());
    buf[OFF_LAST_OFFSET_DELTA..OFF_LAST_OFFSET_DELTA + 4]
        .copy_from_slice(&h.last_offset_delta.to_be_bytes());
    buf[OFF_FIRST_TIMESTAMP..OFF_FIRST_TIMESTAMP + 8]
        .copy_from_slice(&h.first_timestamp.to_be_bytes());
    buf[OFF_MAX_TIMESTAMP..OFF_MAX_TIMESTAMP + 8].copy_from_slice(&h.max_timestamp.to_be_bytes());
    buf[OFF_RECORD_COUNT..OFF_RECORD_COUNT + 4].copy_from_slice(&h.record_count.to_be_bytes());
    let crc = crc32fast::hash(&buf[CRC_SPAN_START..]);
    buf[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
}

/// Appends one encoded record.
fn put_record(
    buf: &mut Vec<u8>,
    timestamp_delta: i64,
    offset_delta: u32,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[(&str, &[u8])],
) {
    let record_len = RecordBatchBuilder::record_encoded_len(key, value, headers);
    buf.extend_from_slice(&((record_len - 4) as u32).to_be_bytes());
    buf.push(0);
    buf.extend_from_slice(&timestamp_delta.to_be_bytes());
    buf.extend_from_slice(&offset_delta.to_be_bytes());
    put_nullable(buf, key);
    put_nullable(buf, value);
    buf.extend_from_slice(&(headers.len() as u32).to_be_bytes());
    for (k, v) in headers {
        buf.extend_from_slice(&(k.len() as u16).to_be_bytes());
        buf.extend_from_slice(k.as_bytes());
        buf.extend_from_slice(&(v.len() as u32).to_be_bytes());
        buf.extend_from_slice(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_read_and_stamp() {
        let mut b = RecordBatchBuilder::new();
        b.push(1_000, Some(b"k1"), Some(b"v1"), &[("h", b"x")])
            .unwrap();
        b.push(1_005, None, None, &[]).unwrap();
        let mut bytes = b.finish(0);
        set_base_offset(&mut bytes, 42);
        let view = RecordBatchView::parse(&bytes).unwrap();
        view.validate_for_append().unwrap();
        assert_eq!(view.header().next_offset(), 44);
        let records: Vec<_> = view.records().map(Result::unwrap).collect();
        assert_eq!(records[0].offset, 42);
        assert_eq!(records[0].key, Some(&b"k1"[..]));
        assert_eq!(
            records[0].headers().next().unwrap().unwrap(),
            ("h", &b"x"[..])
        );
        assert_eq!(records[1].offset, 43);
        assert_eq!(records[1].timestamp_ms, 1_005);
        assert_eq!(records[1].value, None);
    }

    #[test]
    fn bit_flip_fails_crc() {
        let mut b = RecordBatchBuilder::new();
        b.push(1, Some(b"k"), Some(b"value"), &[]).unwrap();
        let mut bytes = b.finish(0);
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let err = RecordBatchView::parse(&bytes)
            .unwrap()
            .validate()
            .unwrap_err();
        assert!(matches!(err, ProtocolError::CrcMismatch { .. }), "{err}");
    }
}
