//! Every bad input a client can send: each gets its error response (and the connection keeps
//! working) or a closed connection, and the broker keeps serving everyone else.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::{BufMut, BytesMut};
use rustlog_protocol::frame::encode_request_frame;
use rustlog_protocol::messages::ping::PingRequest;
use rustlog_protocol::messages::produce::{Acks, ProducePartition, ProduceRequest};
use rustlog_protocol::{ApiKey, ErrorCode, Response, ResponseBody};
use rustlog_tests::{batch_of, BrokerProcess, RawClient};
use std::io::Write;
use std::time::{Duration, Instant};

/// The broker closes a half-sent frame after this (set low so the test is quick).
const READ_TIMEOUT_MS: u64 = 300;

fn start() -> (tempfile::TempDir, BrokerProcess) {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(
        &dir.path().join("data"),
        &["--read-timeout-ms", &READ_TIMEOUT_MS.to_string()],
    );
    (dir, broker)
}

/// The broker still answers a fresh connection.
fn assert_serving(broker: &BrokerProcess) {
    let mut client = broker.client();
    assert!(matches!(client.call_ok(PingRequest {}), Response::Ping(_)));
}

fn raw_frame(api_key: u16, version: u16, correlation_id: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.put_u32((8 + body.len()) as u32);
    out.put_u16(api_key);
    out.put_u16(version);
    out.put_u32(correlation_id);
    out.put_slice(body);
    out
}

fn assert_closed_after(broker: &BrokerProcess, bytes: &[u8]) {
    let mut client = broker.client();
    client.send_raw(bytes).unwrap();
    assert!(client.is_closed_by_broker(), "connection should be closed");
    assert_serving(broker);
}

#[test]
fn oversized_length_prefix_closes_only_that_connection() {
    let (_dir, broker) = start();
    let mut bystander = broker.client();
    assert_closed_after(&broker, &u32::MAX.to_be_bytes());
    assert_closed_after(&broker, &(64 * 1024 * 1024u32).to_be_bytes());
    // The other connection is untouched.
    assert!(matches!(
        bystander.call_ok(PingRequest {}),
        Response::Ping(_)
    ));
}

#[test]
fn too_short_length_prefix_closes_the_connection() {
    let (_dir, broker) = start();
    assert_closed_after(&broker, &[0, 0, 0, 3, 1, 2, 3]);
}

#[test]
fn http_request_closes_the_connection() {
    let (_dir, broker) = start();
    assert_closed_after(&broker, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
}

#[test]
fn tls_client_hello_closes_the_connection() {
    let (_dir, broker) = start();
    // Record header (handshake, TLS 1.0 record version, length) + ClientHello start.
    let hello = [
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    assert_closed_after(&broker, &hello);
}

#[test]
fn garbage_bytes_close_the_connection() {
    let (_dir, broker) = start();
    assert_closed_after(&broker, &[0xff; 64]);
}

#[test]
fn unknown_api_key_gets_an_error_and_the_connection_stays_usable() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    client.send_raw(&raw_frame(999, 0, 77, b"{}")).unwrap();
    let frame = client.read_frame().unwrap();
    assert_eq!(frame.header.correlation_id, 77);
    assert_eq!(frame.header.error_code, ErrorCode::UnknownApiKey.code());
    assert!(matches!(client.call_ok(PingRequest {}), Response::Ping(_)));
}

#[test]
fn unsupported_version_gets_an_error_and_the_connection_stays_usable() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    client
        .send_raw(&raw_frame(ApiKey::Ping.code(), 42, 5, b"{}"))
        .unwrap();
    let frame = client.read_frame().unwrap();
    assert_eq!(frame.header.correlation_id, 5);
    assert_eq!(
        frame.header.error_code,
        ErrorCode::UnsupportedVersion.code()
    );
    assert!(matches!(client.call_ok(PingRequest {}), Response::Ping(_)));
}

#[test]
fn bad_json_gets_invalid_request() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    for body in [&b"{not json"[..], b"\xff\xfe", b"{\"name\": 5}", b""] {
        client
            .send_raw(&raw_frame(ApiKey::CreateTopic.code(), 0, 9, body))
            .unwrap();
        let frame = client.read_frame().unwrap();
        assert_eq!(
            frame.header.error_code,
            ErrorCode::InvalidRequest.code(),
            "{body:?}"
        );
    }
    assert!(matches!(client.call_ok(PingRequest {}), Response::Ping(_)));
}

#[test]
fn truncated_binary_body_gets_invalid_request() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    client
        .send_raw(&raw_frame(ApiKey::Produce.code(), 0, 3, &[1, 0, 0]))
        .unwrap();
    let frame = client.read_frame().unwrap();
    assert_eq!(frame.header.error_code, ErrorCode::InvalidRequest.code());
    assert!(matches!(client.call_ok(PingRequest {}), Response::Ping(_)));
}

#[test]
fn batch_with_bad_crc_is_rejected_and_nothing_is_stored() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    client.create_topic("crc", 1, &[]);
    let mut batch = batch_of(&[b"hello"]);
    let last = batch.len() - 1;
    batch[last] ^= 0xff;
    let response = client.call_ok(ProduceRequest {
        acks: Acks::Leader,
        timeout_ms: 1000,
        partitions: vec![ProducePartition {
            topic: "crc".into(),
            partition: 0,
            batch: batch.into(),
        }],
    });
    let Response::Produce(r) = response else {
        panic!()
    };
    assert_eq!(r.partitions[0].error_code, ErrorCode::CorruptRecord);
    assert!(!r.partitions[0].error_message.is_empty());
    assert_eq!(client.fetch("crc", 0, 0).high_watermark, 0);
}

#[test]
fn stalled_half_frame_is_closed_after_the_read_timeout() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    // A length prefix announcing 100 bytes, then only 10 of them.
    let mut partial = BytesMut::new();
    partial.put_u32(100);
    partial.put_slice(&[0u8; 10]);
    client.send_raw(&partial).unwrap();
    client.stream().flush().unwrap();
    let started = Instant::now();
    assert!(client.is_closed_by_broker());
    assert!(started.elapsed() >= Duration::from_millis(READ_TIMEOUT_MS / 2));
    assert_serving(&broker);
}

#[test]
fn frame_above_the_configured_limit_closes_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &["--frame-bytes-max", "1024"]);
    let mut client = broker.client();
    let mut out = BytesMut::new();
    encode_request_frame(&mut out, ApiKey::Ping, 0, 1, |out| {
        out.extend_from_slice(&[b' '; 2000]);
    });
    client.send_raw(&out).unwrap();
    assert!(client.is_closed_by_broker());
    assert_serving(&broker);
}

#[test]
fn errors_keep_their_order_among_good_answers() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    let ping = client.send(&PingRequest {}.into());
    client.send_raw(&raw_frame(999, 0, 1000, b"")).unwrap();
    let ping2 = client.send(&PingRequest {}.into());
    assert!(matches!(
        client.receive(ApiKey::Ping, ping),
        ResponseBody::Ok(_)
    ));
    assert_eq!(client.read_frame().unwrap().header.correlation_id, 1000);
    assert!(matches!(
        client.receive(ApiKey::Ping, ping2),
        ResponseBody::Ok(_)
    ));
    let _ = RawClient::connect(broker.addr());
}
