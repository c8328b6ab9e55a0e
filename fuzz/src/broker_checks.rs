//! Checks over the broker's entry points for outside bytes, one function per fuzz target: the
//! native and Kafka listeners' frame decoding (exactly what the connection loop calls) and
//! partition recovery from a damaged segment file.
//!
//! Shared by the fuzz crate and `broker/tests/fuzz_regressions.rs` (through `#[path]`), so it
//! uses only what the broker's tests can use: `rustlog_broker`, `rustlog_protocol`, `bytes`
//! and `tempfile`.

use bytes::{Bytes, BytesMut};
use rustlog_broker::connection::{Native, Protocol};
use rustlog_broker::kafka::connection::Kafka;
use rustlog_broker::kafka::SERVED;
use rustlog_broker::storage::{FsyncPolicy, LogConfig, PartitionLog, StdIo};
use rustlog_protocol::batch::batches;
use rustlog_protocol::limits::FRAME_BYTES_MAX;
use rustlog_protocol::Request;
use std::path::Path;
use std::sync::Arc;

/// The native listener's read path: frames cut off a byte stream as the connection loop does
/// (`Native::decode`, the byte budget's estimate), then the handler's api/version check and
/// body decoding. A decoded body that encodes again decodes to the same request.
pub fn request_frame(data: &[u8]) {
    let mut buf = BytesMut::from(data);
    while let Some(frame) = next_frame::<Native>(&mut buf) {
        let _ = Native::estimate_bytes(&frame);
        let Ok(api) = frame.header.checked_api() else {
            continue;
        };
        let Ok(request) = Request::decode_body(api, frame.body.clone()) else {
            continue;
        };
        assert_eq!(request.api_key(), api);
        if let Ok(encoded) = request.encode_body() {
            match Request::decode_body(api, Bytes::from(encoded)) {
                Ok(again) => assert_eq!(again, request, "{api:?} request changed in a round trip"),
                Err(err) => panic!("{api:?} request does not decode after re-encoding: {err}"),
            }
        }
    }
}

/// The Kafka listener's read path (`Kafka::decode`: length, api key and version, request
/// header, body, through the kafka-protocol crate) and the budget estimate.
///
/// Input byte 0 picks the form of the rest: odd means "a frame for a served api", where the
/// next two bytes choose an entry of [`SERVED`] and a version in its range, and the harness
/// writes the length prefix, api key and version in front of the remaining bytes (so every
/// api and version is reached without the fuzzer guessing them); even means raw stream bytes.
pub fn kafka_request(data: &[u8]) {
    let Some((&form, rest)) = data.split_first() else {
        return;
    };
    let stream = if form & 1 == 1 {
        served_frame(rest)
    } else {
        rest.to_vec()
    };
    let mut buf = BytesMut::from(&stream[..]);
    while let Some(frame) = next_frame::<Kafka>(&mut buf) {
        let _ = Kafka::estimate_bytes(&frame);
    }
}

/// A Kafka request frame for the served api and version chosen by `rest[0]` and `rest[1]`,
/// with `rest[2..]` (correlation id, request header, body) after them.
fn served_frame(rest: &[u8]) -> Vec<u8> {
    let (pick, tail) = rest.split_at(rest.len().min(2));
    let api_index = pick.first().copied().unwrap_or(0);
    let version_pick = pick.get(1).copied().unwrap_or(0);
    let (api, min, max) = SERVED[usize::from(api_index) % SERVED.len()];
    let span = i32::from(max) - i32::from(min) + 1;
    let version = i32::from(min) + i32::from(version_pick) % span;
    // Kafka framing: i32 length of what follows, then i16 api key and i16 version.
    let length = 4 + tail.len();
    let mut out = Vec::with_capacity(4 + length);
    out.extend_from_slice(&(length as i32).to_be_bytes());
    out.extend_from_slice(&(api as i16).to_be_bytes());
    out.extend_from_slice(&(version as i16).to_be_bytes());
    out.extend_from_slice(tail);
    out
}

/// One `P::decode` step of the connection loop: the frame, or `None` when the stream needs more
/// bytes or is refused. Checks the loop's contract: a frame consumes bytes, anything else none.
fn next_frame<P: Protocol>(buf: &mut BytesMut) -> Option<P::Frame> {
    let before = buf.len();
    match P::decode(buf, FRAME_BYTES_MAX) {
        Ok(Some(frame)) => {
            assert!(buf.len() < before, "a decoded frame consumed no bytes");
            Some(frame)
        }
        Ok(None) => {
            assert_eq!(buf.len(), before, "an incomplete frame consumed bytes");
            None
        }
        // The connection closes on an error: what the decoder left in the buffer is dropped.
        Err(_) => None,
    }
}

/// Partition recovery: `data` becomes the only (active) segment file of a partition, which is
/// then opened through the storage API. Opening returns `Ok` or a typed error, never panics;
/// a log that opens serves every offset from its start to its high watermark as whole,
/// checksummed, contiguous batches, and opening it again recovers the same log.
pub fn segment_recovery(data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let Some(segment) = empty_active_segment(dir.path()) else {
        return;
    };
    if std::fs::write(&segment, data).is_err() {
        return;
    }
    let Ok(log) = open(dir.path()) else {
        return;
    };
    let first = read_back(&log);
    let (start, end) = (log.log_start_offset(), log.high_watermark());
    log.close();
    drop(log);
    match open(dir.path()) {
        Ok(again) => {
            assert_eq!(
                (again.log_start_offset(), again.high_watermark()),
                (start, end),
                "a second recovery changed the log's range"
            );
            assert_eq!(
                read_back(&again),
                first,
                "a second recovery changed the log's bytes"
            );
        }
        Err(err) => panic!("a log that recovered once fails to open again: {err}"),
    }
}

fn open(dir: &Path) -> Result<PartitionLog, rustlog_broker::storage::StorageError> {
    let config = LogConfig {
        fsync: FsyncPolicy::Never,
        retention_ms: None,
        ..LogConfig::default()
    };
    PartitionLog::open(dir, config, Arc::new(StdIo))
}

/// Creates an empty partition in `dir` and returns the path of its one segment file (the
/// storage layer names it; the harness only looks for the `.log` file it made).
fn empty_active_segment(dir: &Path) -> Option<std::path::PathBuf> {
    let log = open(dir).ok()?;
    log.close();
    drop(log);
    let mut logs: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
        .collect();
    assert_eq!(logs.len(), 1, "an empty partition has one segment file");
    logs.pop()
}

/// Every batch from the log start to the high watermark, read one fetch at a time; asserts
/// each is whole, passes its CRC and continues exactly where the previous one ended.
fn read_back(log: &PartitionLog) -> Vec<u8> {
    let mut offset = log.log_start_offset();
    let end = log.high_watermark();
    let mut bytes = Vec::new();
    while offset < end {
        let read = match log.read(offset, 1) {
            Ok(read) => read,
            Err(err) => panic!("offset {offset} of a recovered log [.., {end}) fails: {err}"),
        };
        assert!(!read.records.is_empty(), "no batch at {offset} below {end}");
        let mut consumed = 0;
        for view in batches(&read.records) {
            let view = match view {
                Ok(view) => view,
                Err(err) => panic!("a recovered log served a bad batch at {offset}: {err}"),
            };
            assert!(
                view.verify_crc().is_ok(),
                "served batch at {offset} fails its CRC"
            );
            let header = view.header();
            assert!(
                header.base_offset <= offset && offset < header.next_offset(),
                "batch [{}, {}) served for offset {offset}",
                header.base_offset,
                header.next_offset()
            );
            offset = header.next_offset();
            consumed += view.as_bytes().len();
        }
        assert_eq!(consumed, read.records.len(), "a read ended inside a batch");
        bytes.extend_from_slice(&read.records);
    }
    assert_eq!(offset, end, "the last batch ends past the high watermark");
    bytes
}
