//! Golden vectors: `protocol-spec/vectors/*.bin` must decode, re-encode byte for byte, and match
//! the pinned insta snapshot of their decoded form and hex dump. Any change in the bytes the
//! crate writes fails here.
//!
//! `RUSTLOG_WRITE_VECTORS=1 cargo test -p rustlog-protocol --test vectors` regenerates the files
//! and `manifest.json` from the samples in `tests/common` (review the diff, then commit).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::BytesMut;
use rustlog_protocol::frame::{decode_request_frame, decode_response_frame};
use rustlog_protocol::limits::FRAME_BYTES_MAX;
use rustlog_protocol::{
    encode_error_response, ApiKey, ErrorCode, RecordBatchView, Request, Response, ResponseBody,
};
use std::path::PathBuf;

const ERROR_CORRELATION_ID: u32 = 0x0DEF;

#[derive(Debug)]
enum Kind {
    Request(ApiKey),
    Response(ApiKey),
    Batch,
}

#[derive(Debug)]
struct Vector {
    stem: String,
    kind: Kind,
    description: String,
    bytes: Vec<u8>,
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../protocol-spec/vectors")
}

/// Every golden vector, generated from the samples.
fn generate() -> Vec<Vector> {
    let mut out = Vec::new();
    for (description, request) in common::sample_requests() {
        let api = request.api_key();
        let mut buf = BytesMut::new();
        request
            .encode_frame(common::vector_correlation_id(api), &mut buf)
            .unwrap();
        out.push(Vector {
            stem: format!("request_{}", common::snake_name(api)),
            kind: Kind::Request(api),
            description: description.to_string(),
            bytes: buf.to_vec(),
        });
    }
    for (description, response) in common::sample_responses() {
        let api = response.api_key();
        let mut buf = BytesMut::new();
        response
            .encode_frame(common::vector_correlation_id(api), &mut buf)
            .unwrap();
        out.push(Vector {
            stem: format!("response_{}", common::snake_name(api)),
            kind: Kind::Response(api),
            description: description.to_string(),
            bytes: buf.to_vec(),
        });
    }
    let mut buf = BytesMut::new();
    encode_error_response(
        &mut buf,
        ERROR_CORRELATION_ID,
        ErrorCode::TopicNotFound,
        "topic \"missing\" does not exist",
    );
    out.push(Vector {
        stem: "response_error".to_string(),
        kind: Kind::Response(ApiKey::DescribeTopic),
        description: "error response (TopicNotFound) to a DescribeTopic request".to_string(),
        bytes: buf.to_vec(),
    });
    for (stem, description, bytes) in common::sample_batches() {
        out.push(Vector {
            stem: stem.to_string(),
            kind: Kind::Batch,
            description: description.to_string(),
            bytes,
        });
    }
    out
}

fn manifest(vectors: &[Vector]) -> String {
    let entries: Vec<serde_json::Value> = vectors
        .iter()
        .map(|v| {
            let (direction, api) = match v.kind {
                Kind::Request(api) => ("request", Some(api)),
                Kind::Response(api) => ("response", Some(api)),
                Kind::Batch => ("batch", None),
            };
            // Request header: api_key u16, api_version u16, correlation_id u32; response header:
            // correlation_id u32, error_code u16 (both after the 4-byte length prefix).
            let b = &v.bytes;
            let (correlation_id, error_code) = match v.kind {
                Kind::Request(_) => (Some(u32::from_be_bytes([b[8], b[9], b[10], b[11]])), None),
                Kind::Response(_) => (
                    Some(u32::from_be_bytes([b[4], b[5], b[6], b[7]])),
                    Some(u16::from_be_bytes([b[8], b[9]])),
                ),
                Kind::Batch => (None, None),
            };
            serde_json::json!({
                "file": format!("{}.bin", v.stem),
                "direction": direction,
                "api_key": api.map(ApiKey::code),
                "api_name": api.map(ApiKey::name),
                "api_version": api.map(|_| 0),
                "correlation_id": correlation_id,
                "error_code": error_code,
                "size_bytes": v.bytes.len(),
                "description": v.description,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "format": "RustLog protocol golden vectors; see README.md",
        "vectors": entries,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap();
    text.push('\n');
    text
}

/// Decodes `bytes` as `kind`, re-encodes the decoded value, and renders it for the snapshot.
fn decode_and_reencode(kind: &Kind, bytes: &[u8]) -> (Vec<u8>, String) {
    match *kind {
        Kind::Request(api) => {
            let mut buf = BytesMut::from(bytes);
            let frame = decode_request_frame(&mut buf, FRAME_BYTES_MAX)
                .unwrap()
                .expect("a whole frame");
            assert!(buf.is_empty(), "one frame per file");
            assert_eq!(frame.header.api_key, api.code());
            let request = Request::decode(&frame).unwrap();
            let mut again = BytesMut::new();
            request
                .encode_frame(frame.header.correlation_id, &mut again)
                .unwrap();
            let mut text = format!("{:#?}\n{request:#?}\n", frame.header);
            text.push_str(&render_body(kind, &frame.body));
            (again.to_vec(), text)
        }
        Kind::Response(api) => {
            let mut buf = BytesMut::from(bytes);
            let frame = decode_response_frame(&mut buf, FRAME_BYTES_MAX)
                .unwrap()
                .expect("a whole frame");
            assert!(buf.is_empty(), "one frame per file");
            let body = Response::decode(api, &frame).unwrap();
            let mut again = BytesMut::new();
            match &body {
                ResponseBody::Ok(response) => response
                    .encode_frame(frame.header.correlation_id, &mut again)
                    .unwrap(),
                ResponseBody::Err { code, message } => {
                    encode_error_response(&mut again, frame.header.correlation_id, *code, message)
                }
            }
            let mut text = format!("{:#?}\n{body:#?}\n", frame.header);
            if matches!(body, ResponseBody::Err { .. }) {
                text.push_str(&format!(
                    "JSON body: {}\n",
                    String::from_utf8_lossy(&frame.body)
                ));
            } else {
                text.push_str(&render_body(kind, &frame.body));
            }
            (again.to_vec(), text)
        }
        Kind::Batch => {
            let view = RecordBatchView::parse(bytes).unwrap();
            assert_eq!(view.as_bytes().len(), bytes.len(), "one batch per file");
            view.validate_for_append().unwrap();
            (common::reencode(bytes), common::describe_batch(bytes))
        }
    }
}

/// JSON bodies as text; Produce and Fetch with their embedded batches decoded.
fn render_body(kind: &Kind, body: &[u8]) -> String {
    use rustlog_protocol::batch::batches;
    use rustlog_protocol::messages::fetch::FetchResponse;
    use rustlog_protocol::messages::produce::ProduceRequest;
    let (Kind::Request(api) | Kind::Response(api)) = *kind else {
        return String::new();
    };
    if !api.is_binary() {
        return format!("JSON body: {}\n", String::from_utf8_lossy(body));
    }
    let mut out = String::new();
    let body = bytes::Bytes::copy_from_slice(body);
    if let (Kind::Request(ApiKey::Produce), Ok(request)) =
        (kind, ProduceRequest::decode(body.clone()))
    {
        for p in &request.partitions {
            out.push_str(&format!("batch for {}/{}:\n", p.topic, p.partition));
            out.push_str(&common::describe_batch(&p.batch));
        }
    } else if let (Kind::Response(ApiKey::Fetch), Ok(response)) =
        (kind, FetchResponse::decode(body))
    {
        for p in &response.partitions {
            for batch in batches(&p.records) {
                out.push_str(&format!("batch from {}/{}:\n", p.topic, p.partition));
                out.push_str(&common::describe_batch(batch.unwrap().as_bytes()));
            }
        }
    }
    out
}

/// With `RUSTLOG_WRITE_VECTORS=1`, rewrites the files once per test run (before any test
/// reads them).
fn write_if_asked() {
    static WRITE: std::sync::Once = std::sync::Once::new();
    WRITE.call_once(|| {
        if std::env::var("RUSTLOG_WRITE_VECTORS").as_deref() != Ok("1") {
            return;
        }
        let vectors = generate();
        let dir = vectors_dir();
        std::fs::create_dir_all(&dir).unwrap();
        for v in &vectors {
            std::fs::write(dir.join(format!("{}.bin", v.stem)), &v.bytes).unwrap();
        }
        std::fs::write(dir.join("manifest.json"), manifest(&vectors)).unwrap();
    });
}

#[test]
fn golden_vectors_decode_reencode_and_match_snapshots() {
    write_if_asked();
    let vectors = generate();
    let dir = vectors_dir();
    for v in &vectors {
        let path = dir.join(format!("{}.bin", v.stem));
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{}: {e} (run with RUSTLOG_WRITE_VECTORS=1)", path.display())
        });
        assert!(
            on_disk == v.bytes,
            "{} differs from what the codec writes now; if the change is intended, regenerate \
             with RUSTLOG_WRITE_VECTORS=1 and bump the api version (see SPEC.md §Versioning)",
            path.display()
        );
        let (again, decoded) = decode_and_reencode(&v.kind, &on_disk);
        assert!(
            again == on_disk,
            "{} does not re-encode byte for byte",
            path.display()
        );
        let snapshot = format!(
            "{}\n\n{decoded}\n{}",
            v.description,
            common::hex_dump(&on_disk)
        );
        insta::assert_snapshot!(v.stem.clone(), snapshot);
    }
}

#[test]
fn every_api_key_has_a_request_and_a_response_vector() {
    let vectors = generate();
    for api in ApiKey::ALL {
        for prefix in ["request", "response"] {
            let stem = format!("{prefix}_{}", common::snake_name(*api));
            assert!(vectors.iter().any(|v| v.stem == stem), "missing {stem}");
        }
    }
}

#[test]
fn manifest_lists_exactly_the_files_on_disk() {
    write_if_asked();
    let vectors = generate();
    let dir = vectors_dir();
    let on_disk = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert_eq!(on_disk, manifest(&vectors), "manifest.json is stale");
    let mut bins: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".bin"))
        .collect();
    bins.sort();
    let mut expected: Vec<String> = vectors.iter().map(|v| format!("{}.bin", v.stem)).collect();
    expected.sort();
    assert_eq!(
        bins,
        expected,
        "stray or missing .bin files in {}",
        dir.display()
    );
}
