//! `protocol-spec/SPEC.md` holds tables generated from the code (error codes, api keys, limits,
//! config keys, codecs, partitioner examples). These tests render each table and require SPEC.md to
//! contain it verbatim, so the document cannot drift from the crate. On failure the expected
//! table is printed; paste it into SPEC.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::limits::*;
use rustlog_protocol::partitioner::{murmur2, partition_for_key};
use rustlog_protocol::{config_keys, ApiKey, Compression, ErrorCode};

fn spec() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../protocol-spec/SPEC.md");
    std::fs::read_to_string(path).unwrap()
}

fn assert_in_spec(table: &str) {
    assert!(
        spec().contains(table),
        "protocol-spec/SPEC.md must contain this generated table:\n\n{table}"
    );
}

#[test]
fn error_code_table() {
    let mut t = String::from(
        "| code | name | retriable | sent by | message |\n| ---: | --- | --- | --- | --- |\n",
    );
    for c in ErrorCode::ALL {
        t.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            c.code(),
            c.name(),
            if c.is_retriable() { "yes" } else { "no" },
            if c.is_wire() { "broker" } else { "client only" },
            c.message()
        ));
    }
    assert_in_spec(&t);
}

#[test]
fn api_key_table() {
    let mut t = String::from("| api key | name | versions | body |\n| ---: | --- | --- | --- |\n");
    for api in ApiKey::ALL {
        t.push_str(&format!(
            "| {} | {} | {}..={} | {} |\n",
            api.code(),
            api.name(),
            api.min_version(),
            api.max_version(),
            if api.is_binary() { "binary" } else { "JSON" }
        ));
    }
    assert_in_spec(&t);
}

#[test]
fn limits_table() {
    let rows: &[(&str, u64, &str)] = &[
        (
            "FRAME_BYTES_MAX",
            FRAME_BYTES_MAX.into(),
            "largest frame, counted without the 4-byte length prefix",
        ),
        (
            "FRAME_LENGTH_BYTES",
            FRAME_LENGTH_BYTES as u64,
            "bytes of the length prefix",
        ),
        (
            "BATCH_BYTES_MAX",
            BATCH_BYTES_MAX.into(),
            "largest record batch, header included",
        ),
        (
            "BATCH_DECOMPRESSED_BYTES_MAX",
            BATCH_DECOMPRESSED_BYTES_MAX.into(),
            "largest records section of one batch after decompression",
        ),
        (
            "RECORDS_PER_BATCH_MAX",
            RECORDS_PER_BATCH_MAX.into(),
            "most records in one batch",
        ),
        ("KEY_BYTES_MAX", KEY_BYTES_MAX.into(), "largest record key"),
        (
            "VALUE_BYTES_MAX",
            VALUE_BYTES_MAX.into(),
            "largest record value",
        ),
        (
            "HEADERS_PER_RECORD_MAX",
            HEADERS_PER_RECORD_MAX.into(),
            "most headers on one record",
        ),
        (
            "HEADER_KEY_BYTES_MAX",
            HEADER_KEY_BYTES_MAX.into(),
            "largest header key (UTF-8 bytes)",
        ),
        (
            "HEADER_VALUE_BYTES_MAX",
            HEADER_VALUE_BYTES_MAX.into(),
            "largest header value",
        ),
        (
            "FETCH_BYTES_MAX",
            FETCH_BYTES_MAX.into(),
            "ceiling of a fetch's `max_bytes` (larger asks are clamped)",
        ),
        (
            "FETCH_WAIT_MS_MAX",
            FETCH_WAIT_MS_MAX.into(),
            "ceiling of a fetch's `max_wait_ms`",
        ),
        (
            "PARTITIONS_PER_REQUEST_MAX",
            PARTITIONS_PER_REQUEST_MAX.into(),
            "most partition entries in one Produce or Fetch request or response",
        ),
        (
            "TOPIC_NAME_BYTES_MAX",
            TOPIC_NAME_BYTES_MAX as u64,
            "longest topic name",
        ),
        (
            "PARTITIONS_PER_TOPIC_MAX",
            PARTITIONS_PER_TOPIC_MAX.into(),
            "most partitions of one topic",
        ),
        (
            "GROUP_ID_BYTES_MAX",
            GROUP_ID_BYTES_MAX as u64,
            "longest group id or member id (UTF-8 bytes)",
        ),
        (
            "CLIENT_ID_BYTES_MAX",
            CLIENT_ID_BYTES_MAX as u64,
            "longest client id (UTF-8 bytes)",
        ),
        (
            "SHORT_STRING_BYTES_MAX",
            SHORT_STRING_BYTES_MAX as u64,
            "longest `str16` in a binary body",
        ),
    ];
    let mut t = String::from("| constant | value | meaning |\n| --- | ---: | --- |\n");
    for (name, value, meaning) in rows {
        t.push_str(&format!("| `{name}` | {value} | {meaning} |\n"));
    }
    assert_in_spec(&t);
}

#[test]
fn config_key_list() {
    let mut t = String::from("Topic config keys:");
    for key in config_keys::ALL {
        t.push_str(&format!(" `{key}`"));
    }
    t.push('.');
    assert_in_spec(&t);
}

#[test]
fn partitioner_examples() {
    let mut t = String::from(
        "| key (UTF-8) | murmur2 (hex) | murmur2 as Java int | partition of 3 | partition of 10 |\n| --- | --- | ---: | ---: | ---: |\n",
    );
    for key in ["", "21", "foobar", "abc", "user-1", "order-17"] {
        let h = murmur2(key.as_bytes());
        t.push_str(&format!(
            "| `{key:?}` | `{h:#010x}` | {} | {} | {} |\n",
            h as i32,
            partition_for_key(key.as_bytes(), 3),
            partition_for_key(key.as_bytes(), 10)
        ));
    }
    assert_in_spec(&t);
}

/// Every JSON example in SPEC.md is the exact body of a golden vector; this checks each JSON
/// vector body appears in the document as a ```json block.
#[test]
fn json_examples_are_the_vector_bodies() {
    let spec = spec();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../protocol-spec/vectors");
    for api in ApiKey::ALL.iter().filter(|api| !api.is_binary()) {
        let snake: String = api
            .name()
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let sep = (i > 0 && c.is_ascii_uppercase()).then_some('_');
                sep.into_iter()
                    .chain(std::iter::once(c.to_ascii_lowercase()))
            })
            .collect();
        for (prefix, header_bytes) in [("request", 12), ("response", 10)] {
            let path = format!("{dir}/{prefix}_{snake}.bin");
            let bytes = std::fs::read(&path).unwrap();
            let body = std::str::from_utf8(&bytes[header_bytes..]).unwrap();
            assert!(
                spec.contains(&format!("```json\n{body}\n```")),
                "SPEC.md lacks the body of {path}:\n{body}"
            );
        }
    }
    let bytes = std::fs::read(format!("{dir}/response_error.bin")).unwrap();
    let body = std::str::from_utf8(&bytes[10..]).unwrap();
    assert!(spec.contains(&format!("```json\n{body}\n```")));
}

/// SPEC.md §6.1 canonical form: minimal string escaping, raw UTF-8, sorted config keys.
#[test]
fn canonical_json_form() {
    use rustlog_protocol::messages::create_topic::CreateTopicRequest;
    use rustlog_protocol::messages::metrics_fetch::MetricsFetchResponse;
    use rustlog_protocol::{Request, Response};
    let body = Response::from(MetricsFetchResponse {
        prometheus_text: "a\"\\/\u{1}\u{8}\u{c}\n\r\t\u{1f}\u{7f}é".into(),
    })
    .encode_body()
    .unwrap();
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "{\"prometheus_text\":\"a\\\"\\\\/\\u0001\\b\\f\\n\\r\\t\\u001f\u{7f}é\"}"
    );
    let body = Request::from(CreateTopicRequest {
        name: "t".into(),
        partitions: 1,
        config: [("b", "1"), ("B", "2"), ("a", "3")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    })
    .encode_body()
    .unwrap();
    assert_eq!(
        String::from_utf8(body).unwrap(),
        r#"{"name":"t","partitions":1,"config":{"B":"2","a":"3","b":"1"}}"#
    );
}

#[test]
fn codec_table() {
    let mut t = String::from(
        "| bits 0-2 | codec | `compression.type` | levels |\n| ---: | --- | --- | --- |\n",
    );
    for codec in Compression::ALL {
        let levels = match codec.level_range() {
            Some((low, high)) => format!("{low}..={high}"),
            None => "none".to_string(),
        };
        t.push_str(&format!(
            "| {} | {} | `{}` | {levels} |\n",
            codec.id(),
            codec,
            codec.name()
        ));
    }
    assert_in_spec(&t);
}

/// The byte offsets SPEC.md states for headers and batches are the crate's constants (and,
/// for the CRC, what the builder writes).
#[test]
fn documented_offsets_match_the_constants() {
    use rustlog_protocol::batch::{
        ATTR_CODEC_MASK, ATTR_CONTROL, ATTR_LOG_APPEND_TIME, ATTR_TRANSACTIONAL,
        BATCH_HEADER_BYTES, BATCH_LENGTH_PREFIX_BYTES, HEADER_OVERHEAD_BYTES, MAGIC,
        RECORD_OVERHEAD_BYTES,
    };
    use rustlog_protocol::frame::{REQUEST_HEADER_BYTES, RESPONSE_HEADER_BYTES};
    let spec = spec();
    assert_eq!(REQUEST_HEADER_BYTES, 8);
    assert!(
        spec.contains("| 0 | `u32` | `length` | bytes that follow this field: 8 + body length |")
    );
    assert_eq!(RESPONSE_HEADER_BYTES, 6);
    assert!(
        spec.contains("| 0 | `u32` | `length` | bytes that follow this field: 6 + body length |")
    );
    assert_eq!(BATCH_HEADER_BYTES, 61);
    assert!(spec.contains("### 8.1 Batch header (61 bytes)"));
    assert_eq!(BATCH_LENGTH_PREFIX_BYTES, 12);
    assert!(spec.contains(
        "| 8 | 4 | `i32` | `batchLength` | bytes after this field: total batch size - 12 |"
    ));
    assert_eq!(MAGIC, 2);
    assert!(spec.contains("| 16 | 1 | `i8` | `magic` | format version, **2** |"));
    assert!(spec.contains(
        "| 17 | 4 | `u32` | `crc` | CRC-32C (Castagnoli) of bytes 21..end of batch (below) |"
    ));
    let mut b = rustlog_protocol::RecordBatchBuilder::new();
    b.push(1, Some(b"k"), Some(b"v"), &[]).unwrap();
    let batch = b.finish(0).unwrap();
    assert_eq!(
        batch[17..21],
        crc32c::crc32c(&batch[21..]).to_be_bytes(),
        "the CRC field is at 17 and covers 21..end"
    );
    assert_eq!(
        (
            ATTR_CODEC_MASK,
            ATTR_LOG_APPEND_TIME,
            ATTR_TRANSACTIONAL,
            ATTR_CONTROL
        ),
        (0b111, 1 << 3, 1 << 4, 1 << 5)
    );
    assert_eq!(RECORD_OVERHEAD_BYTES, 36);
    assert_eq!(HEADER_OVERHEAD_BYTES, 10);
    assert!(spec.contains(
        "a record takes at most 36 bytes besides its key, value and headers, and a header at\nmost 10 besides its key and value"
    ));
}
