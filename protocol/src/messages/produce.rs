//! Produce (2), binary body: append one record batch to each listed partition.
//!
//! ```text
//! request:  acks u8 | timeout_ms u32 | count u32 | count x (topic str16 | partition u32 | batch_len u32 | batch)
//! response: count u32 | count x (topic str16 | partition u32 | error_code u16 | base_offset u64
//!           | log_append_time_ms i64 | log_start_offset u64 | error_message str16)
//! ```

use crate::error::ProtocolError;
use crate::error_code::ErrorCode;
use crate::limits::{BATCH_BYTES_MAX, PARTITIONS_PER_REQUEST_MAX};
use crate::parts::PartsWriter;
use crate::wire::{put_short_string, Reader};
use bytes::{BufMut, Bytes};

/// When the broker answers a produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum Acks {
    /// The client does not wait for the answer (the broker still sends one, in order).
    None = 0,
    /// After the batch is appended to the log (page cache).
    #[default]
    Leader = 1,
    /// After the batch is fsynced to disk.
    Durable = 2,
}

impl Acks {
    /// Decodes the wire byte.
    pub fn from_u8(value: u8) -> Result<Acks, ProtocolError> {
        match value {
            0 => Ok(Acks::None),
            1 => Ok(Acks::Leader),
            2 => Ok(Acks::Durable),
            other => Err(ProtocolError::InvalidEnum {
                what: "acks",
                value: u64::from(other),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceRequest {
    pub acks: Acks,
    /// How long the broker may take (for `Durable`: waiting for the fsync).
    pub timeout_ms: u32,
    pub partitions: Vec<ProducePartition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducePartition {
    pub topic: String,
    pub partition: u32,
    /// One encoded record batch (see [`crate::batch`]); its base offset is ignored.
    pub batch: Bytes,
}

impl ProduceRequest {
    /// Encodes the body; each batch is shared, not copied, when it is large.
    pub fn encode_parts(&self, w: &mut PartsWriter) {
        let out = w.buf();
        out.put_u8(self.acks as u8);
        out.put_u32(self.timeout_ms);
        out.put_u32(self.partitions.len() as u32);
        for p in &self.partitions {
            let out = w.buf();
            put_short_string(out, &p.topic);
            out.put_u32(p.partition);
            out.put_u32(p.batch.len() as u32);
            w.put_shared(&p.batch);
        }
    }

    pub fn decode(body: Bytes) -> Result<Self, ProtocolError> {
        let mut r = Reader::new(body);
        let acks = Acks::from_u8(r.u8("produce acks")?)?;
        let timeout_ms = r.u32("produce timeout_ms")?;
        let count = r.count("produce partition count", PARTITIONS_PER_REQUEST_MAX)?;
        let mut partitions = Vec::with_capacity(count.min(r.remaining() / 10));
        for _ in 0..count {
            let topic = r.short_string("produce topic")?;
            let partition = r.u32("produce partition")?;
            let batch_len = r.count("produce batch bytes", BATCH_BYTES_MAX)?;
            let batch = r.bytes(batch_len, "produce batch")?;
            partitions.push(ProducePartition {
                topic,
                partition,
                batch,
            });
        }
        r.finish("produce request")?;
        Ok(ProduceRequest {
            acks,
            timeout_ms,
            partitions,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceResponse {
    pub partitions: Vec<ProducePartitionResponse>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducePartitionResponse {
    pub topic: String,
    pub partition: u32,
    pub error_code: ErrorCode,
    /// Offset given to the batch's first record (0 on error).
    pub base_offset: u64,
    /// Broker clock when the batch was appended, ms since the Unix epoch.
    pub log_append_time_ms: i64,
    pub log_start_offset: u64,
    /// Context for a non-zero `error_code`; empty otherwise.
    pub error_message: String,
}

impl ProduceResponse {
    /// Encodes the body (small fields only: one part).
    pub fn encode_parts(&self, w: &mut PartsWriter) {
        self.encode(w.buf());
    }

    pub fn encode(&self, out: &mut impl BufMut) {
        out.put_u32(self.partitions.len() as u32);
        for p in &self.partitions {
            put_short_string(out, &p.topic);
            out.put_u32(p.partition);
            out.put_u16(p.error_code.code());
            out.put_u64(p.base_offset);
            out.put_i64(p.log_append_time_ms);
            out.put_u64(p.log_start_offset);
            put_short_string(out, &p.error_message);
        }
    }

    pub fn decode(body: Bytes) -> Result<Self, ProtocolError> {
        let mut r = Reader::new(body);
        let count = r.count("produce response count", PARTITIONS_PER_REQUEST_MAX)?;
        let mut partitions = Vec::with_capacity(count.min(r.remaining() / 32));
        for _ in 0..count {
            partitions.push(ProducePartitionResponse {
                topic: r.short_string("produce response topic")?,
                partition: r.u32("produce response partition")?,
                error_code: super::read_error_code(&mut r)?,
                base_offset: r.u64("produce response base_offset")?,
                log_append_time_ms: r.i64("produce response log_append_time_ms")?,
                log_start_offset: r.u64("produce response log_start_offset")?,
                error_message: r.short_string("produce response error_message")?,
            });
        }
        r.finish("produce response")?;
        Ok(ProduceResponse { partitions })
    }
}
