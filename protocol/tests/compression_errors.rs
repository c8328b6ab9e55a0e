//! The four codecs as a reader meets them: each one's stream format (gzip, xerial-framed
//! snappy and raw snappy, LZ4 frames, zstd), corrupt or truncated compressed data
//! (`Decompression`, wire code `CorruptRecord`), and decompression bombs: 40 MiB of zeros
//! squeezed into a small batch is refused by `BATCH_DECOMPRESSED_BYTES_MAX`, and the memory the
//! refusal costs stays below the 40 MiB the bomb claims.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{self, Read, Write};

use common::alloc_meter::{peak_bytes, Meter};
use rustlog_protocol::limits::BATCH_DECOMPRESSED_BYTES_MAX;
use rustlog_protocol::{Compression, ErrorCode, ProtocolError, RecordBatchView};

#[global_allocator]
static METER: Meter = Meter;

const BOMB_BYTES: u64 = 40 * 1024 * 1024;

fn decode(batch: &[u8]) -> Result<usize, ProtocolError> {
    let view = RecordBatchView::parse(batch)?;
    view.validate()?;
    Ok(view.records()?.iter().count())
}

fn assert_corrupt(result: Result<usize, ProtocolError>, codec: Compression) {
    match result {
        Err(err @ ProtocolError::Decompression { .. }) => {
            let ProtocolError::Decompression { codec: name, .. } = &err else {
                unreachable!()
            };
            assert_eq!(*name, codec.name());
            assert_eq!(err.code(), ErrorCode::CorruptRecord);
        }
        other => panic!("{codec}: expected Decompression, got {other:?}"),
    }
}

/// The records section of `batch` (everything after the 61-byte header).
fn section(batch: &[u8]) -> &[u8] {
    &batch[61..]
}

#[test]
fn every_codec_writes_its_standard_stream_format() {
    let expected_magic: [(Compression, &[u8]); 4] = [
        (Compression::Gzip, &[0x1f, 0x8b]),
        (
            Compression::Snappy,
            b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01",
        ),
        (Compression::Lz4, &[0x04, 0x22, 0x4d, 0x18]),
        (Compression::Zstd, &[0x28, 0xb5, 0x2f, 0xfd]),
    ];
    let plain = common::batch_compressed(Compression::None);
    for (codec, magic) in expected_magic {
        let batch = common::batch_compressed(codec);
        assert_eq!(decode(&batch).unwrap(), 4, "{codec}");
        assert!(section(&batch).starts_with(magic), "{codec}");
        // Each decompresses, with the codec's standard library, to the plain records.
        let mut out = Vec::new();
        let packed = section(&batch);
        match codec {
            Compression::Gzip => {
                flate2::read::GzDecoder::new(packed)
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Compression::Snappy => {
                // xerial: 16-byte header, then big-endian length-prefixed raw blocks.
                let mut rest = &packed[16..];
                while !rest.is_empty() {
                    let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
                    out.extend(
                        snap::raw::Decoder::new()
                            .decompress_vec(&rest[4..4 + len])
                            .unwrap(),
                    );
                    rest = &rest[4 + len..];
                }
            }
            Compression::Lz4 => {
                lz4_flex::frame::FrameDecoder::new(packed)
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Compression::Zstd => out = zstd::decode_all(packed).unwrap(),
            Compression::None => unreachable!(),
        }
        assert_eq!(out, section(&plain), "{codec}");
    }
}

#[test]
fn raw_snappy_and_multi_member_gzip_are_read_too() {
    let plain = common::batch_compressed(Compression::None);
    // librdkafka may write raw (unframed) snappy.
    let raw = snap::raw::Encoder::new()
        .compress_vec(section(&plain))
        .unwrap();
    let batch = common::with_section(&plain, Compression::Snappy.id().into(), &raw);
    assert_eq!(decode(&batch).unwrap(), 4);
    // Two gzip members read as one stream, as Kafka's Java client reads them.
    let (first, second) = section(&plain).split_at(40);
    let mut members = Vec::new();
    for part in [first, second] {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(part).unwrap();
        members.extend(enc.finish().unwrap());
    }
    let batch = common::with_section(&plain, Compression::Gzip.id().into(), &members);
    assert_eq!(decode(&batch).unwrap(), 4);
}

#[test]
fn corrupt_compressed_data_is_a_decompression_error_for_every_codec() {
    for codec in &Compression::ALL[1..] {
        let good = common::batch_compressed(*codec);
        assert_eq!(decode(&good).unwrap(), 4, "{codec}");
        let attributes = u16::from(codec.id());
        // Garbage where the stream should be.
        let garbage = common::with_section(&good, attributes, &[0xA5; 64]);
        assert_corrupt(decode(&garbage), *codec);
        // The right stream, cut short.
        let packed = section(&good);
        let cut = common::with_section(&good, attributes, &packed[..packed.len() - 5]);
        let err = decode(&cut).expect_err(codec.name());
        assert!(
            matches!(
                err,
                ProtocolError::Decompression { .. } | ProtocolError::Truncated { .. }
            ),
            "{codec}: {err}"
        );
        // Damage inside the stream is the batch CRC's to catch: snappy, and lz4 and zstd
        // as written here, carry no checksum of their own, so damaged literals could
        // decompress to other, well-formed records.
        let mut damaged = good.clone();
        let middle = 61 + packed.len() / 2;
        damaged[middle] ^= 0xff;
        let err = decode(&damaged).unwrap_err();
        assert!(
            matches!(err, ProtocolError::CrcMismatch { .. }),
            "{codec}: {err}"
        );
    }
}

#[test]
fn data_under_the_wrong_codec_is_corrupt() {
    let gzip = common::batch_compressed(Compression::Gzip);
    for codec in [Compression::Snappy, Compression::Lz4, Compression::Zstd] {
        let relabelled = common::with_section(&gzip, codec.id().into(), section(&gzip));
        assert_corrupt(decode(&relabelled), codec);
    }
}

// ---- bombs ----

/// `BOMB_BYTES` zeros compressed with `codec`, written without ever holding them in memory.
fn bomb(codec: Compression) -> Vec<u8> {
    let mut zeros = io::repeat(0).take(BOMB_BYTES);
    match codec {
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            io::copy(&mut zeros, &mut enc).unwrap();
            enc.finish().unwrap()
        }
        Compression::Zstd => {
            let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 19).unwrap();
            io::copy(&mut zeros, &mut enc).unwrap();
            enc.finish().unwrap()
        }
        Compression::Lz4 => {
            let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::new());
            io::copy(&mut zeros, &mut enc).unwrap();
            enc.finish().unwrap()
        }
        Compression::Snappy => {
            let mut out = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01".to_vec();
            let block = snap::raw::Encoder::new()
                .compress_vec(&[0u8; 32 * 1024])
                .unwrap();
            for _ in 0..BOMB_BYTES / (32 * 1024) {
                out.extend_from_slice(&(block.len() as u32).to_be_bytes());
                out.extend_from_slice(&block);
            }
            out
        }
        Compression::None => unreachable!(),
    }
}

fn assert_refused_within_bounds(batch: &[u8], what: &str) {
    let (result, peak) = peak_bytes(|| decode(batch));
    match result {
        Err(err @ ProtocolError::LimitExceeded { .. }) => {
            let ProtocolError::LimitExceeded { what: w, max, .. } = &err else {
                unreachable!()
            };
            assert_eq!(*w, "decompressed record batch bytes", "{what}");
            assert_eq!(*max, u64::from(BATCH_DECOMPRESSED_BYTES_MAX), "{what}");
            assert_eq!(err.code(), ErrorCode::RecordTooLarge);
        }
        other => panic!("{what}: expected LimitExceeded, got {other:?}"),
    }
    // The refusal comes from the bound: at most the bound (plus decoder state) was allocated,
    // never the 40 MiB the stream expands to.
    assert!(
        peak <= BATCH_DECOMPRESSED_BYTES_MAX as usize + (1 << 20),
        "{what}: decoding allocated {peak} bytes at once"
    );
    assert!((peak as u64) < BOMB_BYTES, "{what}: {peak}");
}

#[test]
fn forty_mib_of_zeros_is_refused_by_the_bound_for_every_codec() {
    let plain = common::batch_compressed(Compression::None);
    for codec in &Compression::ALL[1..] {
        let packed = bomb(*codec);
        let batch = common::with_section(&plain, codec.id().into(), &packed);
        assert!(
            batch.len() < 4 * 1024 * 1024,
            "{codec}: {} bytes",
            batch.len()
        );
        assert_refused_within_bounds(&batch, codec.name());
    }
}

#[test]
fn raw_snappy_claiming_forty_mib_is_refused_before_allocating() {
    let plain = common::batch_compressed(Compression::None);
    // A raw snappy stream starts with the uncompressed length as a varint: claim 40 MiB.
    let mut claim = Vec::new();
    let mut n = BOMB_BYTES;
    while n >= 0x80 {
        claim.push(n as u8 | 0x80);
        n >>= 7;
    }
    claim.push(n as u8);
    claim.extend_from_slice(&[0; 16]);
    let batch = common::with_section(&plain, Compression::Snappy.id().into(), &claim);
    let (result, peak) = peak_bytes(|| decode(&batch));
    assert!(
        matches!(result, Err(ProtocolError::LimitExceeded { .. })),
        "{result:?}"
    );
    assert!(peak < 1 << 20, "allocated {peak} bytes");
}
