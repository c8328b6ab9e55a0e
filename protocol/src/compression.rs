//! The compression codecs of Kafka's RecordBatch v2: attribute bits 0-2 name the codec, and the
//! whole records section (everything after the 61-byte header) is compressed as one stream.
//!
//! - gzip: a gzip stream (`flate2`); several members are read as one, as Kafka's Java client does.
//! - snappy: written in xerial's framing (the 16-byte `\x82SNAPPY\0` header, then big-endian
//!   length-prefixed raw blocks of at most 32 KiB), which Kafka's Java client writes and every
//!   client reads; raw unframed snappy (what librdkafka may write) is read too.
//! - lz4: the standard LZ4 frame format (`lz4_flex`), Kafka's since message format v1.
//! - zstd: a zstd frame (`zstd`).
//!
//! Decompression is bounded: output past `max_bytes` is an error before it is allocated, so a
//! small batch that expands enormously (a zip bomb) costs at most `max_bytes` of memory.

use std::io::{Read, Write};

use crate::error::ProtocolError;

/// A codec, numbered as in the batch attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum Compression {
    #[default]
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}

/// Xerial's stream header: magic, then version 1 and minimum compatible version 1.
const XERIAL_HEADER: &[u8; 16] = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01";
/// Uncompressed bytes per xerial block (snappy-java's default).
const XERIAL_BLOCK_BYTES: usize = 32 * 1024;

impl Compression {
    /// Every codec, in number order.
    pub const ALL: &'static [Compression] = &[
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];

    /// The codec of attribute bits 0-2.
    pub fn from_id(id: u8) -> Result<Compression, ProtocolError> {
        Compression::ALL
            .get(usize::from(id))
            .copied()
            .ok_or(ProtocolError::UnsupportedCompression { codec: id })
    }

    /// The number written in attribute bits 0-2.
    pub const fn id(self) -> u8 {
        self as u8
    }

    /// Kafka's name of the codec (`compression.type`).
    pub const fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// Parses Kafka's name of a codec.
    pub fn from_name(name: &str) -> Option<Compression> {
        Compression::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// The levels this codec takes, inclusive; `None` for codecs without levels (none, snappy,
    /// and lz4, whose encoder here has one speed).
    pub const fn level_range(self) -> Option<(i32, i32)> {
        match self {
            Compression::Gzip => Some((0, 9)),
            Compression::Zstd => Some((-7, 22)),
            _ => None,
        }
    }

    /// Checks `level` against [`Self::level_range`].
    pub fn check_level(self, level: Option<i32>) -> Result<(), ProtocolError> {
        let Some(level) = level else { return Ok(()) };
        match self.level_range() {
            Some((low, high)) if (low..=high).contains(&level) => Ok(()),
            Some((low, high)) => Err(ProtocolError::InvalidCompressionLevel {
                codec: self.name(),
                level,
                reason: format!("must be within {low}..={high}"),
            }),
            None => Err(ProtocolError::InvalidCompressionLevel {
                codec: self.name(),
                level,
                reason: "this codec takes no level".to_string(),
            }),
        }
    }

    /// Compresses `input` onto the end of `out` at `level` (the codec's default when `None`).
    pub fn compress(
        self,
        level: Option<i32>,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), ProtocolError> {
        self.check_level(level)?;
        let failed = |e: std::io::Error| self.failure(e.to_string());
        match self {
            Compression::None => out.extend_from_slice(input),
            Compression::Gzip => {
                let level = level.map_or(flate2::Compression::default(), |l| {
                    flate2::Compression::new(l.unsigned_abs())
                });
                let mut encoder = flate2::write::GzEncoder::new(out, level);
                encoder.write_all(input).map_err(failed)?;
                encoder.finish().map_err(failed)?;
            }
            Compression::Snappy => {
                snappy_xerial_compress(input, out).map_err(|e| self.failure(e))?
            }
            Compression::Lz4 => {
                let mut encoder = lz4_flex::frame::FrameEncoder::new(out);
                encoder.write_all(input).map_err(failed)?;
                encoder.finish().map_err(|e| self.failure(e.to_string()))?;
            }
            Compression::Zstd => {
                let level = level.unwrap_or(zstd::DEFAULT_COMPRESSION_LEVEL);
                let mut encoder = zstd::stream::write::Encoder::new(out, level).map_err(failed)?;
                encoder.write_all(input).map_err(failed)?;
                encoder.finish().map_err(failed)?;
            }
        }
        Ok(())
    }

    /// Decompresses `input`; more than `max_bytes` of output is a `LimitExceeded` error.
    pub fn decompress(self, input: &[u8], max_bytes: usize) -> Result<Vec<u8>, ProtocolError> {
        match self {
            Compression::None => {
                check_decompressed(input.len(), max_bytes)?;
                Ok(input.to_vec())
            }
            Compression::Gzip => {
                read_bounded(self, flate2::read::MultiGzDecoder::new(input), max_bytes)
            }
            Compression::Snappy => snappy_decompress(input, max_bytes),
            Compression::Lz4 => {
                read_bounded(self, lz4_flex::frame::FrameDecoder::new(input), max_bytes)
            }
            Compression::Zstd => {
                let decoder = zstd::stream::read::Decoder::with_buffer(input)
                    .map_err(|e| self.failure(e.to_string()))?;
                read_bounded(self, decoder, max_bytes)
            }
        }
    }

    fn failure(self, reason: String) -> ProtocolError {
        ProtocolError::Decompression {
            codec: self.name(),
            reason,
        }
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn check_decompressed(len: usize, max_bytes: usize) -> Result<(), ProtocolError> {
    if len > max_bytes {
        return Err(ProtocolError::LimitExceeded {
            what: "decompressed record batch bytes",
            value: len as u64,
            max: max_bytes as u64,
        });
    }
    Ok(())
}

/// Reads `reader` to its end, failing as soon as it yields more than `max_bytes`. The output's
/// capacity never exceeds `max_bytes` (`read_to_end` would double it past the bound).
fn read_bounded(
    codec: Compression,
    mut reader: impl Read,
    max_bytes: usize,
) -> Result<Vec<u8>, ProtocolError> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(codec.failure(e.to_string())),
        };
        check_decompressed(out.len().saturating_add(n), max_bytes)?;
        reserve_within(&mut out, n, max_bytes);
        out.extend_from_slice(&chunk[..n]);
    }
    Ok(out)
}

/// Makes room for `additional` more bytes in `out`, growing geometrically but never past
/// `max_bytes` of capacity (the caller checked `out.len() + additional <= max_bytes`).
fn reserve_within(out: &mut Vec<u8>, additional: usize, max_bytes: usize) {
    let needed = out.len() + additional;
    if needed > out.capacity() {
        let target = out.capacity().saturating_mul(2).max(needed).min(max_bytes);
        out.reserve_exact(target.max(needed) - out.len());
    }
}

fn snappy_xerial_compress(input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    out.extend_from_slice(XERIAL_HEADER);
    let mut encoder = snap::raw::Encoder::new();
    for block in input.chunks(XERIAL_BLOCK_BYTES) {
        let at = out.len();
        out.resize(at + 4 + snap::raw::max_compress_len(block.len()), 0);
        let written = encoder
            .compress(block, &mut out[at + 4..])
            .map_err(|e| e.to_string())?;
        out[at..at + 4].copy_from_slice(&(written as u32).to_be_bytes());
        out.truncate(at + 4 + written);
    }
    Ok(())
}

fn snappy_decompress(input: &[u8], max_bytes: usize) -> Result<Vec<u8>, ProtocolError> {
    let codec = Compression::Snappy;
    let Some(mut rest) = input.strip_prefix(&XERIAL_HEADER[..8]) else {
        let mut out = Vec::new();
        snappy_raw_block(input, max_bytes, &mut out)?;
        return Ok(out);
    };
    // Skip the version and compatible-version words, whatever they say (as snappy-java does).
    rest = rest
        .get(8..)
        .ok_or_else(|| codec.failure("truncated xerial header".to_string()))?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (len, tail) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| codec.failure("truncated xerial block length".to_string()))?;
        let len = u32::from_be_bytes(*len) as usize;
        let block = tail
            .get(..len)
            .ok_or_else(|| codec.failure(format!("xerial block of {len} bytes is truncated")))?;
        snappy_raw_block(block, max_bytes, &mut out)?;
        rest = &tail[len..];
    }
    Ok(out)
}

/// Decompresses one raw snappy block onto `out`, keeping `out` within `max_bytes`.
fn snappy_raw_block(
    block: &[u8],
    max_bytes: usize,
    out: &mut Vec<u8>,
) -> Result<(), ProtocolError> {
    let codec = Compression::Snappy;
    let len = snap::raw::decompress_len(block).map_err(|e| codec.failure(e.to_string()))?;
    check_decompressed(out.len().saturating_add(len), max_bytes)?;
    reserve_within(out, len, max_bytes);
    let at = out.len();
    out.resize(at + len, 0);
    let written = snap::raw::Decoder::new()
        .decompress(block, &mut out[at..])
        .map_err(|e| codec.failure(e.to_string()))?;
    out.truncate(at + written);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codec_round_trips() {
        let input: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_be_bytes())
            .collect();
        for codec in Compression::ALL {
            let mut packed = Vec::new();
            codec.compress(None, &input, &mut packed).unwrap();
            assert_eq!(
                codec.decompress(&packed, input.len()).unwrap(),
                input,
                "{codec}"
            );
            let err = codec.decompress(&packed, input.len() - 1).unwrap_err();
            assert!(
                matches!(err, ProtocolError::LimitExceeded { .. }),
                "{codec}: {err}"
            );
        }
    }

    #[test]
    fn raw_snappy_is_read_too() {
        let raw = snap::raw::Encoder::new()
            .compress_vec(b"hello hello hello")
            .unwrap();
        assert_eq!(
            Compression::Snappy.decompress(&raw, 1024).unwrap(),
            b"hello hello hello"
        );
    }

    #[test]
    fn levels_are_checked() {
        assert!(Compression::Gzip.check_level(Some(9)).is_ok());
        assert!(Compression::Gzip.check_level(Some(10)).is_err());
        assert!(Compression::Snappy.check_level(Some(1)).is_err());
        assert!(Compression::Zstd.check_level(Some(3)).is_ok());
    }
}
