//! Checks over the protocol crate's decoders, one function per fuzz target. Each calls the real
//! decoding functions the broker and the clients use and asserts what must hold for any input:
//! no panic (libFuzzer reports one), no allocation beyond the named limits (`-rss_limit_mb`),
//! and decoded values that re-encode to the same value.
//!
//! Shared by the fuzz crate and `protocol/tests/fuzz_regressions.rs` (through `#[path]`), so it
//! uses only what the protocol crate's own tests can use: `rustlog_protocol` and `bytes`.

use bytes::{Bytes, BytesMut};
use rustlog_protocol::batch::{batches, set_producer, stamp_log_append_time, BatchHeader};
use rustlog_protocol::frame::decode_response_frame;
use rustlog_protocol::limits::{BATCH_DECOMPRESSED_BYTES_MAX, FRAME_BYTES_MAX};
use rustlog_protocol::messages::ResponseBody;
use rustlog_protocol::{ApiKey, Compression, RecordBatchView, Response};

/// The client's side of the wire: response frames cut off a byte stream, each body decoded as
/// the answer to every api (the client knows which one it asked; the fuzzer need not).
pub fn response_frame(data: &[u8]) {
    let mut buf = BytesMut::from(data);
    loop {
        let before = buf.len();
        let frame = match decode_response_frame(&mut buf, FRAME_BYTES_MAX) {
            Ok(Some(frame)) => frame,
            Ok(None) | Err(_) => {
                assert_eq!(
                    buf.len(),
                    before,
                    "an incomplete or refused frame consumed bytes"
                );
                return;
            }
        };
        assert!(buf.len() < before, "a decoded frame consumed no bytes");
        for api in ApiKey::ALL {
            if let Ok(ResponseBody::Ok(response)) = Response::decode(*api, &frame) {
                response_round_trips(*api, &response);
            }
        }
    }
}

/// A decoded response that encodes again decodes to the same value (nothing is lost or
/// invented between the wire and the typed value).
fn response_round_trips(api: ApiKey, response: &Response) {
    let Ok(encoded) = response.encode_body() else {
        return;
    };
    match Response::decode_body(api, Bytes::from(encoded)) {
        Ok(again) => assert_eq!(&again, response, "{api:?} response changed in a round trip"),
        Err(err) => panic!("{api:?} response does not decode after re-encoding: {err}"),
    }
}

/// Record batches as stored and served: parse, CRC, validation, every record and header, the
/// batch iterator over concatenated batches, and the in-place rewrites a producer or the
/// broker applies. The same bytes are walked again with a correct CRC, so mutations get past
/// the checksum into the record checks (decompression runs before any CRC check, as for a
/// fetch consumer, so compressed sections are reached either way).
pub fn record_batch(data: &[u8]) {
    walk_batch(data);
    for view in batches(data).flatten() {
        walk_batch(view.as_bytes());
    }
    if let Ok(header) = BatchHeader::decode(data) {
        let mut fixed = data.to_vec();
        // Writing back the batch's own producer fields recomputes the CRC.
        if set_producer(&mut fixed, header.producer()).is_ok() {
            walk_batch(&fixed);
            if stamp_log_append_time(&mut fixed, header.max_timestamp).is_ok() {
                walk_batch(&fixed);
            }
        }
    }
}

/// One batch: a batch that validates iterates every record and header without an error and
/// holds `recordCount` records; the header decoders never disagree about the length.
fn walk_batch(bytes: &[u8]) {
    let Ok(view) = RecordBatchView::parse(bytes) else {
        return;
    };
    assert!(view.as_bytes().len() <= bytes.len());
    assert_eq!(view.as_bytes().len(), view.header().total_len());
    let validated = view.validate();
    let _ = view.validate_for_append();
    let _ = view.header().compression();
    let walked = walk_records(&view);
    if validated.is_ok() {
        assert!(view.verify_crc().is_ok(), "a validated batch fails its CRC");
        match walked {
            Ok(count) => assert_eq!(
                count,
                u64::from(view.header().record_count),
                "a validated batch holds another number of records than recordCount"
            ),
            Err(why) => panic!("a validated batch fails to iterate: {why}"),
        }
    }
}

/// Iterates every record and header; the number of records, or the first error.
fn walk_records(view: &RecordBatchView<'_>) -> Result<u64, String> {
    let records = view.records().map_err(|e| e.to_string())?;
    let mut count = 0u64;
    for record in records.iter() {
        let record = record.map_err(|e| e.to_string())?;
        let _ = (record.key, record.value, record.offset, record.timestamp_ms);
        let mut headers = 0u32;
        for header in record.headers() {
            header.map_err(|e| e.to_string())?;
            headers += 1;
        }
        if headers != record.header_count() {
            return Err(format!(
                "{headers} headers iterated, {} counted",
                record.header_count()
            ));
        }
        count += 1;
    }
    Ok(count)
}

/// Each codec's bounded decompression on its own: the first byte picks the codec (its
/// attribute id), the rest is the compressed section. Output never exceeds the named bound;
/// a bomb fails with an error at that bound instead of exhausting memory.
pub fn decompress(data: &[u8]) {
    let Some((&id, input)) = data.split_first() else {
        return;
    };
    let Ok(codec) = Compression::from_id(id & 0x07) else {
        return;
    };
    let max_bytes = BATCH_DECOMPRESSED_BYTES_MAX as usize;
    if let Ok(out) = codec.decompress(input, max_bytes) {
        assert!(
            out.len() <= max_bytes,
            "{codec:?} decompressed {} bytes, over the bound of {max_bytes}",
            out.len()
        );
    }
}
