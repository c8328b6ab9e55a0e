//! Hostile input: decoding arbitrary bytes, and valid frames and batches (every codec, producer
//! fields, LogAppendTime) with flipped bits, truncations and insertions, returns `Ok` or a
//! `ProtocolError`, never panics, and never allocates more than the decompression bound: no
//! length or count read from the input sizes an allocation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::{Bytes, BytesMut};
use common::alloc_meter::{peak_bytes, Meter};
use proptest::collection::vec;
use proptest::prelude::*;
use rustlog_protocol::batch::{batches, BatchHeader};
use rustlog_protocol::frame::{decode_request_frame, decode_response_frame};
use rustlog_protocol::limits::{BATCH_DECOMPRESSED_BYTES_MAX, FRAME_BYTES_MAX};
use rustlog_protocol::{ApiKey, RecordBatchView, Request, Response};

#[global_allocator]
static METER: Meter = Meter;

/// The most one decode of a hostile input may allocate: one decompressed records section at
/// its bound, plus a little for the decoder's own state.
const ALLOCATION_BOUND: usize = BATCH_DECOMPRESSED_BYTES_MAX as usize + (1 << 20);

/// Runs every request decoder over `bytes`.
fn decode_as_requests(bytes: &[u8]) {
    let mut buf = BytesMut::from(bytes);
    while let Ok(Some(frame)) = decode_request_frame(&mut buf, FRAME_BYTES_MAX) {
        let _ = Request::decode(&frame);
    }
    for api in ApiKey::ALL {
        let _ = Request::decode_body(*api, Bytes::copy_from_slice(bytes));
    }
}

/// Runs every response decoder over `bytes`, as an answer to each api.
fn decode_as_responses(bytes: &[u8]) {
    let mut buf = BytesMut::from(bytes);
    while let Ok(Some(frame)) = decode_response_frame(&mut buf, FRAME_BYTES_MAX) {
        for api in ApiKey::ALL {
            let _ = Response::decode(*api, &frame);
        }
    }
    for api in ApiKey::ALL {
        let _ = Response::decode_body(*api, Bytes::copy_from_slice(bytes));
    }
}

/// Parses, validates and walks every record and header of every batch in `bytes`.
fn decode_as_batches(bytes: &[u8]) {
    let _ = BatchHeader::decode(bytes);
    if let Ok(view) = RecordBatchView::parse(bytes) {
        let _ = view.verify_crc();
        let _ = view.header().compression();
        let validated = view.validate();
        let _ = view.validate_for_append();
        let mut failed = false;
        match view.records() {
            Ok(records) => {
                for record in records.iter() {
                    match record {
                        Ok(r) => {
                            let _ = (r.key, r.value, r.offset, r.timestamp_ms, r.header_count());
                            for header in r.headers() {
                                failed |= header.is_err();
                            }
                        }
                        Err(_) => failed = true,
                    }
                }
            }
            Err(_) => failed = true,
        }
        // A batch that validates iterates without errors.
        if validated.is_ok() {
            assert!(!failed, "validated batch failed to iterate");
        }
    }
    for view in batches(bytes).flatten() {
        let _ = view.validate();
    }
}

fn decode_everything(bytes: &[u8]) {
    bounded(|| {
        decode_as_requests(bytes);
        decode_as_responses(bytes);
        decode_as_batches(bytes);
    });
}

/// Runs `decode` and checks it stayed within [`ALLOCATION_BOUND`].
fn bounded(decode: impl FnOnce()) {
    let ((), peak) = peak_bytes(decode);
    assert!(
        peak <= ALLOCATION_BOUND,
        "decoding allocated {peak} bytes at once"
    );
}

/// Every valid sample: request, response and error frames, and batches.
fn samples() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (_, request) in common::sample_requests() {
        let mut buf = BytesMut::new();
        request.encode_frame(7, &mut buf).unwrap();
        out.push(buf.to_vec());
    }
    for (_, response) in common::sample_responses() {
        let mut buf = BytesMut::new();
        response.encode_frame(7, &mut buf).unwrap();
        out.push(buf.to_vec());
    }
    let mut buf = BytesMut::new();
    rustlog_protocol::encode_error_response(
        &mut buf,
        7,
        rustlog_protocol::ErrorCode::Unknown,
        "boom",
    );
    out.push(buf.to_vec());
    out.extend(common::sample_batches().into_iter().map(|(_, _, b)| b));
    out
}

/// A mutation of a valid input.
#[derive(Debug, Clone)]
struct Mutation {
    sample: prop::sample::Index,
    flips: Vec<(prop::sample::Index, u8)>,
    insert: Option<(prop::sample::Index, Vec<u8>)>,
    truncate: Option<prop::sample::Index>,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (
        any::<prop::sample::Index>(),
        vec((any::<prop::sample::Index>(), 1..=255u8), 0..4),
        proptest::option::of((any::<prop::sample::Index>(), vec(any::<u8>(), 1..8))),
        proptest::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(|(sample, flips, insert, truncate)| Mutation {
            sample,
            flips,
            insert,
            truncate,
        })
}

fn apply(m: &Mutation, samples: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = m.sample.get(samples).clone();
    for (at, xor) in &m.flips {
        let i = at.index(bytes.len());
        bytes[i] ^= xor;
    }
    if let Some((at, extra)) = &m.insert {
        let i = at.index(bytes.len() + 1);
        bytes.splice(i..i, extra.iter().copied());
    }
    if let Some(at) = &m.truncate {
        bytes.truncate(at.index(bytes.len()));
    }
    bytes
}

proptest! {
    #![proptest_config(common::proptest_config(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..256)) {
        decode_everything(&bytes);
    }

    #[test]
    fn arbitrary_bodies_in_well_formed_frames_never_panic(
        api_key in 0u16..21,
        api_version in 0u16..2,
        body in vec(any::<u8>(), 0..256),
    ) {
        let mut request = Vec::new();
        request.extend_from_slice(&(8 + body.len() as u32).to_be_bytes());
        request.extend_from_slice(&api_key.to_be_bytes());
        request.extend_from_slice(&api_version.to_be_bytes());
        request.extend_from_slice(&1u32.to_be_bytes());
        request.extend_from_slice(&body);
        bounded(|| decode_as_requests(&request));
        let mut response = Vec::new();
        response.extend_from_slice(&(6 + body.len() as u32).to_be_bytes());
        response.extend_from_slice(&1u32.to_be_bytes());
        response.extend_from_slice(&(api_key % 30).to_be_bytes());
        response.extend_from_slice(&body);
        bounded(|| decode_as_responses(&response));
    }

    #[test]
    fn mutated_valid_inputs_never_panic(m in mutation()) {
        let samples = samples();
        let bytes = apply(&m, &samples);
        decode_everything(&bytes);
    }

    /// Random v2 headers (any attributes, counts, timestamps, producer fields) around a random
    /// records section, raw or compressed with the codec the attributes name, CRC correct: the
    /// fuzz reaches the varint reader, the decompressors and the record checks.
    #[test]
    fn random_batches_with_a_valid_crc_never_panic(
        attributes in any::<u16>(),
        last_offset_delta in prop_oneof![0i32..8, any::<i32>()],
        record_count in prop_oneof![0i32..8, any::<i32>()],
        timestamps in (any::<i64>(), any::<i64>()),
        producer in (any::<i64>(), any::<i16>(), any::<i32>()),
        section in vec(any::<u8>(), 0..200),
        compress in any::<bool>(),
    ) {
        let mut section = section;
        if compress {
            if let Ok(codec) = rustlog_protocol::Compression::from_id((attributes & 7) as u8) {
                let mut packed = Vec::new();
                codec.compress(None, &section, &mut packed).unwrap();
                section = packed;
            }
        }
        let mut batch = Vec::new();
        batch.extend_from_slice(&0u64.to_be_bytes());
        batch.extend_from_slice(&((49 + section.len()) as u32).to_be_bytes());
        batch.extend_from_slice(&0i32.to_be_bytes());
        batch.push(2);
        batch.extend_from_slice(&[0; 4]);
        batch.extend_from_slice(&attributes.to_be_bytes());
        batch.extend_from_slice(&last_offset_delta.to_be_bytes());
        batch.extend_from_slice(&timestamps.0.to_be_bytes());
        batch.extend_from_slice(&timestamps.1.to_be_bytes());
        batch.extend_from_slice(&producer.0.to_be_bytes());
        batch.extend_from_slice(&producer.1.to_be_bytes());
        batch.extend_from_slice(&producer.2.to_be_bytes());
        batch.extend_from_slice(&record_count.to_be_bytes());
        batch.extend_from_slice(&section);
        common::fix_crc(&mut batch);
        bounded(|| decode_as_batches(&batch));
    }

    #[test]
    fn mutated_batches_with_a_fixed_crc_never_panic(m in mutation()) {
        let batches: Vec<Vec<u8>> =
            common::sample_batches().into_iter().map(|(_, _, b)| b).collect();
        let mut bytes = apply(&m, &batches);
        common::fix_crc(&mut bytes);
        bounded(|| decode_as_batches(&bytes));
    }
}

/// The meter works: a decode that does allocate is seen (so the bounds above are not vacuous).
#[test]
fn the_allocation_meter_sees_a_decompression() {
    let batch = common::batch_compressed(rustlog_protocol::Compression::Zstd);
    let view = RecordBatchView::parse(&batch).unwrap();
    let (records, peak) = peak_bytes(|| view.records().unwrap().as_bytes().len());
    assert!(records > 0);
    assert!(peak >= records, "{peak} < {records}");
}
