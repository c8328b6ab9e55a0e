//! Fetch (3), binary body: read stored batches from each listed partition, long-polling until
//! `min_bytes` are available or `max_wait_ms` passes.
//!
//! ```text
//! request:  max_wait_ms u32 | min_bytes u32 | max_bytes u32 | count u32
//!           | count x (topic str16 | partition u32 | fetch_offset u64 | partition_max_bytes u32)
//! response: count u32 | count x (topic str16 | partition u32 | error_code u16 | high_watermark u64
//!           | log_start_offset u64 | records_len u32 | records)
//! ```
//!
//! `records` holds whole stored batches exactly as on disk. The first batch may start before
//! `fetch_offset` (a batch is never split); consumers skip records below the offset they asked for.
//! At least one batch is returned when one is available, even if it exceeds the byte limits, so a
//! consumer always makes progress.

use crate::error::ProtocolError;
use crate::error_code::ErrorCode;
use crate::limits::{FRAME_BYTES_MAX, PARTITIONS_PER_REQUEST_MAX};
use crate::parts::PartsWriter;
use crate::wire::{put_short_string, Reader};
use bytes::{BufMut, Bytes};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    pub max_wait_ms: u32,
    pub min_bytes: u32,
    /// Total bytes across partitions (the broker clamps it to `FETCH_BYTES_MAX`).
    pub max_bytes: u32,
    pub partitions: Vec<FetchPartition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPartition {
    pub topic: String,
    pub partition: u32,
    pub fetch_offset: u64,
    pub partition_max_bytes: u32,
}

impl FetchRequest {
    /// Encodes the body (small fields only: one part).
    pub fn encode_parts(&self, w: &mut PartsWriter) {
        self.encode(w.buf());
    }

    pub fn encode(&self, out: &mut impl BufMut) {
        out.put_u32(self.max_wait_ms);
        out.put_u32(self.min_bytes);
        out.put_u32(self.max_bytes);
        out.put_u32(self.partitions.len() as u32);
        for p in &self.partitions {
            put_short_string(out, &p.topic);
            out.put_u32(p.partition);
            out.put_u64(p.fetch_offset);
            out.put_u32(p.partition_max_bytes);
        }
    }

    /// `max_bytes` of an undecoded request body, so the connection layer can reserve memory for
    /// the response before the handler decodes the whole request; `None` when too short.
    pub fn peek_max_bytes(body: &Bytes) -> Option<u32> {
        let mut r = Reader::new(body.clone());
        r.u32("fetch max_wait_ms").ok()?;
        r.u32("fetch min_bytes").ok()?;
        r.u32("fetch max_bytes").ok()
    }

    pub fn decode(body: Bytes) -> Result<Self, ProtocolError> {
        let mut r = Reader::new(body);
        let max_wait_ms = r.u32("fetch max_wait_ms")?;
        let min_bytes = r.u32("fetch min_bytes")?;
        let max_bytes = r.u32("fetch max_bytes")?;
        let count = r.count("fetch partition count", PARTITIONS_PER_REQUEST_MAX)?;
        let mut partitions = Vec::with_capacity(count.min(r.remaining() / 18));
        for _ in 0..count {
            partitions.push(FetchPartition {
                topic: r.short_string("fetch topic")?,
                partition: r.u32("fetch partition")?,
                fetch_offset: r.u64("fetch offset")?,
                partition_max_bytes: r.u32("fetch partition_max_bytes")?,
            });
        }
        r.finish("fetch request")?;
        Ok(FetchRequest {
            max_wait_ms,
            min_bytes,
            max_bytes,
            partitions,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchResponse {
    pub partitions: Vec<FetchPartitionResponse>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPartitionResponse {
    pub topic: String,
    pub partition: u32,
    pub error_code: ErrorCode,
    pub high_watermark: u64,
    pub log_start_offset: u64,
    /// Whole stored batches; iterate them with [`crate::batch::batches`].
    pub records: Bytes,
}

impl FetchResponse {
    /// Encodes the body; each partition's records are shared, not copied, when large.
    pub fn encode_parts(&self, w: &mut PartsWriter) {
        w.buf().put_u32(self.partitions.len() as u32);
        for p in &self.partitions {
            let out = w.buf();
            put_short_string(out, &p.topic);
            out.put_u32(p.partition);
            out.put_u16(p.error_code.code());
            out.put_u64(p.high_watermark);
            out.put_u64(p.log_start_offset);
            out.put_u32(p.records.len() as u32);
            w.put_shared(&p.records);
        }
    }

    pub fn decode(body: Bytes) -> Result<Self, ProtocolError> {
        let mut r = Reader::new(body);
        let count = r.count("fetch response count", PARTITIONS_PER_REQUEST_MAX)?;
        let mut partitions = Vec::with_capacity(count.min(r.remaining() / 28));
        for _ in 0..count {
            let topic = r.short_string("fetch response topic")?;
            let partition = r.u32("fetch response partition")?;
            let error_code = super::read_error_code(&mut r)?;
            let high_watermark = r.u64("fetch response high_watermark")?;
            let log_start_offset = r.u64("fetch response log_start_offset")?;
            let records_len = r.count("fetch response records bytes", FRAME_BYTES_MAX)?;
            let records = r.bytes(records_len, "fetch response records")?;
            partitions.push(FetchPartitionResponse {
                topic,
                partition,
                error_code,
                high_watermark,
                log_start_offset,
                records,
            });
        }
        r.finish("fetch response")?;
        Ok(FetchResponse { partitions })
    }
}
