//! Abuse against one live broker process (issue 13): garbage on every port (native, Kafka, metrics),
//! 1,000 idle connections, 200 slowloris connections and 16 clients that pipeline fetches and
//! never read, all at once. The broker stays up, a well-behaved client keeps working, and the
//! broker's resident memory stays under its configured bound at the peak and after the abusers
//! leave.
//!
//! Each kind of bad input on the native port alone is proven in `broker_bad_input.rs`, the
//! Kafka port's framing rules in `kafka_bad_input.rs`, one non-reading client in
//! `broker_connections.rs`; here the same inputs hit every port, and the many-connection
//! abusers come together.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::messages::ping::PingRequest;
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::{Request, Response};
use rustlog_tests::{
    fetch_request, http_get, metric_value, raise_nofile_limit, rss_kib, BrokerProcess, RawClient,
};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A started frame must complete within this (low, so slowloris ends quickly).
const READ_TIMEOUT_MS: u64 = 1_000;
/// The broker-wide bound on queued request and response bytes under test.
const QUEUED_RESPONSE_BYTES_MAX: u64 = 64 * 1024 * 1024;
/// The broker's memory before the abuse may grow by the queued bytes plus this: per-connection
/// read buffers (64 KiB each, mostly untouched), task and socket state of ~1,250 connections,
/// and one fetch response per hog started on its minimum share (1 MiB each).
const RSS_HEADROOM_BYTES: u64 = 96 * 1024 * 1024;
/// After the abusers leave, the broker may stay this far above its memory before the abuse
/// (allocator caches, the grown connection tables).
const SETTLED_HEADROOM_BYTES: u64 = 32 * 1024 * 1024;
const IDLE_CONNECTIONS: usize = 1_000;
const SLOWLORIS_CONNECTIONS: usize = 200;
const HOGS: usize = 16;
/// How long a test socket waits for the broker to close or answer before failing the test.
const CLOSE_WAIT: Duration = Duration::from_secs(30);

fn start(dir: &tempfile::TempDir) -> BrokerProcess {
    // Two sockets per connection (ours and the broker's), plus slack.
    raise_nofile_limit(8_192);
    BrokerProcess::start(
        &dir.path().join("data"),
        &[
            "--read-timeout-ms",
            &READ_TIMEOUT_MS.to_string(),
            "--queued-response-bytes-max",
            &QUEUED_RESPONSE_BYTES_MAX.to_string(),
        ],
    )
}

/// A ClientHello's first bytes (TLS 1.0 record header, handshake type 1).
const TLS_CLIENT_HELLO: &[u8] = &[
    0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x5e, 0x1c, 0x42, 0x7a,
];

/// Each bad input: a name for the failure message and its bytes.
fn bad_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut random = vec![0u8; 4096];
    let mut state: u32 = 0x9e37_79b9;
    for byte in &mut random {
        // xorshift: reproducible garbage without a dependency.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        *byte = state as u8;
    }
    vec![
        ("random bytes", random),
        ("length prefix 0", vec![0, 0, 0, 0]),
        ("length prefix 0xFFFFFFFF", vec![0xff, 0xff, 0xff, 0xff]),
        (
            "HTTP request",
            b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
        ),
        ("TLS ClientHello", TLS_CLIENT_HELLO.to_vec()),
        // A 100-byte frame of which 10 bytes come, then nothing.
        (
            "truncated frame",
            vec![0, 0, 0, 100, 0, 1, 0, 0, 0, 0, 0, 7, 1, 2],
        ),
    ]
}

/// Sends `bytes` and waits for the broker to end the connection (an HTTP error answer first
/// counts as ending it); `Err` says what happened instead.
fn ends_connection(addr: SocketAddr, bytes: &[u8]) -> Result<(), String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(CLOSE_WAIT)).unwrap();
    // The broker may close before it has read everything: a failed write is a close.
    let _ = stream.write_all(bytes);
    let started = Instant::now();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(_) => {} // an error answer (metrics HTTP); the close follows
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {
                return Ok(())
            }
            Err(e) => return Err(format!("still open after {:?}: {e}", started.elapsed())),
        }
    }
}

fn assert_native_serves(broker: &BrokerProcess) {
    let mut client = broker.client();
    assert!(matches!(client.call_ok(PingRequest {}), Response::Ping(_)));
}

#[test]
fn garbage_on_every_port_ends_only_those_connections() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(&dir);
    let ports = [
        ("native", broker.addr()),
        ("kafka", broker.kafka_addr().unwrap()),
        ("metrics", broker.metrics_addr().unwrap()),
    ];
    let mut bystander = broker.client();
    let handles: Vec<_> = ports
        .into_iter()
        .flat_map(|(port, addr)| {
            bad_inputs().into_iter().map(move |(what, bytes)| {
                std::thread::spawn(move || (port, what, ends_connection(addr, &bytes)))
            })
        })
        .collect();
    for handle in handles {
        let (port, what, result) = handle.join().unwrap();
        assert!(result.is_ok(), "{what} on the {port} port: {:?}", result);
    }
    // Everyone else is still served, on every port.
    assert!(matches!(
        bystander.call_ok(PingRequest {}),
        Response::Ping(_)
    ));
    assert_native_serves(&broker);
    let (status, _) = http_get(broker.metrics_addr().unwrap(), "/metrics").unwrap();
    assert_eq!(status, 200);
    let mut kafka = TcpStream::connect(broker.kafka_addr().unwrap()).unwrap();
    kafka.set_read_timeout(Some(CLOSE_WAIT)).unwrap();
    // ApiVersions v0: length, api key 18, version 0, correlation id 9, empty client id.
    kafka
        .write_all(&[0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 9, 0xff, 0xff])
        .unwrap();
    let mut head = [0u8; 8];
    kafka.read_exact(&mut head).unwrap();
    assert_eq!(&head[4..8], &[0, 0, 0, 9], "Kafka ApiVersions answered");
}

/// Connections that sit there after connecting; the broker must keep them (idle timeout is
/// 10 minutes) without letting them cost memory.
fn idle_connections(broker: &BrokerProcess, count: usize) -> Vec<TcpStream> {
    let kafka = broker.kafka_addr().unwrap();
    (0..count)
        .map(|i| {
            let addr = if i % 2 == 0 { broker.addr() } else { kafka };
            TcpStream::connect(addr).unwrap()
        })
        .collect()
}

/// Slowloris: each connection sends one byte of a frame at a time, never finishing it. The
/// broker must close every one at the read timeout. Returns how many it closed.
fn slowloris(addr: SocketAddr, count: usize) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut sockets: Vec<Option<TcpStream>> = (0..count)
            .map(|_| {
                let stream = TcpStream::connect(addr).unwrap();
                stream.set_nonblocking(true).unwrap();
                Some(stream)
            })
            .collect();
        let frame = [0u8, 0, 0, 200, 0, 1, 0, 0, 0, 0, 0, 1];
        let mut closed = 0;
        let deadline = Instant::now() + CLOSE_WAIT;
        for round in 0.. {
            if closed == count || Instant::now() > deadline {
                break;
            }
            for slot in &mut sockets {
                let Some(stream) = slot else { continue };
                let byte = [frame[round % frame.len()]];
                let mut probe = [0u8; 1];
                let gone = match stream.read(&mut probe) {
                    Ok(0) => true,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => stream.write(&byte).is_err(),
                    _ => true,
                };
                if gone {
                    *slot = None;
                    closed += 1;
                }
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        closed
    })
}

/// A client that pipelines 1 MiB fetches until the broker stops reading it, and never reads.
fn hog(addr: SocketAddr) -> std::thread::JoinHandle<(TcpStream, usize)> {
    std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        let mut request = bytes::BytesMut::new();
        Request::from(fetch_request("hog", 0, 0, 0, 1))
            .encode_frame(1, &mut request)
            .unwrap();
        let mut sent = 0;
        // 20,000 fetches would be 20 GiB of responses.
        while sent < 20_000 && stream.write_all(&request).is_ok() {
            sent += 1;
        }
        (stream, sent)
    })
}

/// A client that reads its answers: one produce and one fetch of what it wrote.
fn well_behaved_round(client: &mut RawClient, round: usize) {
    let value = format!("ok-{round}");
    let offset = client.produce("ok", 0, Acks::Leader, &[value.as_bytes()]);
    let fetched = client.fetch_all_values("ok", 0, offset);
    assert_eq!(fetched.first().map(Vec::as_slice), Some(value.as_bytes()));
}

#[test]
fn a_well_behaved_client_keeps_working_while_abusers_hold_the_broker() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(&dir);
    let pid = broker.pid().unwrap();
    let mut client = broker.client();
    client.create_topic("ok", 1, &[]);
    client.create_topic("hog", 1, &[]);
    // 8 MiB for the hogs to fetch: every fetch answers 1 MiB.
    let value = vec![0x5au8; 64 * 1024];
    for _ in 0..16 {
        client.produce("hog", 0, Acks::Leader, &[value.as_slice(); 8]);
    }
    well_behaved_round(&mut client, 0);
    let base_kib = rss_kib(pid).unwrap();

    let idle = idle_connections(&broker, IDLE_CONNECTIONS);
    let loris = slowloris(broker.addr(), SLOWLORIS_CONNECTIONS);
    let hogs: Vec<_> = (0..HOGS).map(|_| hog(broker.addr())).collect();
    let hogs: Vec<(TcpStream, usize)> = hogs.into_iter().map(|h| h.join().unwrap()).collect();
    // Every hog is back-pressured now (its writes time out): the pool is as full as it gets.
    let mut peak_kib = rss_kib(pid).unwrap();
    for round in 1..=50 {
        well_behaved_round(&mut client, round);
        peak_kib = peak_kib.max(rss_kib(pid).unwrap());
    }
    let metrics = http_get(broker.metrics_addr().unwrap(), "/metrics")
        .unwrap()
        .1;
    let open = metric_value(&metrics, "rustlog_connections_open").unwrap();
    let queued = metric_value(&metrics, "rustlog_queued_response_bytes").unwrap_or(-1.0);
    let closed_loris = loris.join().unwrap();
    assert_eq!(closed_loris, SLOWLORIS_CONNECTIONS, "slowloris kept open");
    // The idle connections were held throughout, and still work.
    for stream in idle.iter().step_by(2).take(5) {
        let mut raw = RawClient::from_stream(stream.try_clone().unwrap());
        assert!(matches!(raw.call_ok(PingRequest {}), Response::Ping(_)));
    }
    let peak_bound_kib = base_kib + (QUEUED_RESPONSE_BYTES_MAX + RSS_HEADROOM_BYTES) / 1024;
    let sent: Vec<usize> = hogs.iter().map(|(_, sent)| *sent).collect();
    eprintln!(
        "abuse: {open} connections open ({IDLE_CONNECTIONS} idle, {SLOWLORIS_CONNECTIONS} \
         slowloris, {HOGS} hogs that sent {sent:?} fetches), {queued} bytes queued; RSS base \
         {base_kib} KiB, peak {peak_kib} KiB (bound {peak_bound_kib} KiB)"
    );
    assert!(
        open >= (IDLE_CONNECTIONS + HOGS) as f64,
        "{open} connections open"
    );
    assert!(
        peak_kib <= peak_bound_kib,
        "peak RSS {peak_kib} KiB above {peak_bound_kib} KiB (base {base_kib} KiB)"
    );

    drop(idle);
    drop(hogs);
    let settled_bound_kib = base_kib + SETTLED_HEADROOM_BYTES / 1024;
    // Closed sockets are noticed and their queued responses freed at once; the allocator
    // returns the pages within its decay time (jemalloc: 10 s).
    let deadline = Instant::now() + Duration::from_secs(40);
    let settled_kib = loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = rss_kib(pid).unwrap();
        if now <= settled_bound_kib || Instant::now() > deadline {
            break now;
        }
    };
    eprintln!("abuse: settled RSS {settled_kib} KiB (bound {settled_bound_kib} KiB)");
    assert!(
        settled_kib <= settled_bound_kib,
        "RSS stayed at {settled_kib} KiB after the abusers left (base {base_kib} KiB)"
    );
    well_behaved_round(&mut client, 51);
    assert_native_serves(&broker);
}
