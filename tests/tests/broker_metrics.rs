//! OpenMetrics text at `GET /metrics` and through MetricsFetch: request counts and latency
//! histograms per api, bytes, connections, per-partition offsets and sizes, group lag, fsync;
//! and the endpoint itself (/healthz, /readyz through a graceful shutdown, 404, 405, 431).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::BytesMut;
use rustlog_protocol::messages::metrics_fetch::MetricsFetchRequest;
use rustlog_protocol::messages::offset_commit::{OffsetCommitEntry, OffsetCommitRequest};
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::{Request, Response};
use rustlog_tests::{fetch_request, http_get, metric_value, BrokerProcess};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One raw HTTP exchange: status, head, body (the endpoint closes after each answer).
fn http_raw(addr: SocketAddr, request: &[u8]) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut raw = Vec::new();
    // The server may reset after answering a request it did not read in full.
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// Checks the OpenMetrics text shape: every sample belongs to the family of the `# TYPE` line
/// before it (with the suffixes its type allows), every value is a number, `# EOF` ends it.
fn assert_openmetrics(text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "the text ends in # EOF");
    assert_eq!(lines.iter().filter(|l| **l == "# EOF").count(), 1);
    let mut family: Option<(&str, &str)> = None;
    for line in &lines[..lines.len() - 1] {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            family = Some((name, kind));
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (name, kind) = family.unwrap_or_else(|| panic!("sample before any TYPE: {line}"));
        let sample = line.split(['{', ' ']).next().unwrap();
        let suffixes: &[&str] = match kind {
            "counter" => &["_total"],
            "histogram" => &["_bucket", "_sum", "_count"],
            "gauge" => &[""],
            other => panic!("unexpected type {other}"),
        };
        assert!(
            suffixes.iter().any(|s| sample == format!("{name}{s}")),
            "{sample} is not a sample of {kind} {name}"
        );
        let (_, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "value of {line}");
    }
}

#[test]
fn metrics_endpoint_reports_requests_partitions_groups_and_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut client = broker.client();
    client.create_topic("m", 2, &[]);
    for _ in 0..3 {
        client.produce("m", 1, Acks::Durable, &[b"abc", b"def"]);
    }
    client.fetch("m", 1, 0);
    client.call_ok(OffsetCommitRequest {
        group_id: "readers".into(),
        generation_id: None,
        member_id: None,
        only_if_empty: false,
        offsets: vec![OffsetCommitEntry {
            topic: "m".into(),
            partition: 1,
            offset: 2,
            metadata: None,
        }],
    });
    let (status, text) = http_get(broker.metrics_addr().unwrap(), "/metrics").unwrap();
    assert_eq!(status, 200);
    let cpu_seconds: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("process_cpu_seconds_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no process_cpu_seconds_total in {text}"));
    assert!(cpu_seconds > 0.0, "the broker used CPU: {cpu_seconds}");
    assert_eq!(
        metric_value(&text, "rustlog_requests_total{api=\"Produce\"}"),
        Some(3.0)
    );
    assert_eq!(
        metric_value(
            &text,
            "rustlog_request_duration_seconds_count{api=\"Produce\"}"
        ),
        Some(3.0)
    );
    assert!(text.contains("rustlog_request_duration_seconds_bucket{le=\"+Inf\",api=\"Fetch\"} 1"));
    assert!(metric_value(&text, "rustlog_bytes_in_total").unwrap() > 0.0);
    assert!(metric_value(&text, "rustlog_bytes_out_total").unwrap() > 0.0);
    assert_eq!(metric_value(&text, "rustlog_connections_open"), Some(1.0));
    assert_eq!(
        metric_value(
            &text,
            "rustlog_partition_high_watermark{topic=\"m\",partition=\"1\"}"
        ),
        Some(6.0)
    );
    assert_eq!(
        metric_value(
            &text,
            "rustlog_partition_log_start_offset{topic=\"m\",partition=\"0\"}"
        ),
        Some(0.0)
    );
    assert!(
        metric_value(
            &text,
            "rustlog_partition_size_bytes{topic=\"m\",partition=\"1\"}"
        )
        .unwrap()
            > 0.0
    );
    assert_eq!(
        metric_value(
            &text,
            "rustlog_group_lag{group=\"readers\",topic=\"m\",partition=\"1\"}"
        ),
        Some(4.0)
    );
    assert_eq!(
        metric_value(&text, "rustlog_fsync_duration_seconds_count"),
        Some(3.0)
    );
    // The protocol request returns the same families.
    let Response::MetricsFetch(m) = client.call_ok(MetricsFetchRequest {}) else {
        panic!()
    };
    assert!(m
        .prometheus_text
        .contains("# TYPE rustlog_request_duration_seconds histogram"));
}

#[test]
fn other_paths_get_404_and_the_endpoint_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let addr = broker.metrics_addr().unwrap();
    assert_eq!(http_get(addr, "/nope").unwrap().0, 404);
    assert_eq!(http_get(addr, "/metrics").unwrap().0, 200);
}

#[test]
fn metrics_listener_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    // A later --metrics-listen wins over the harness's.
    let broker = BrokerProcess::start(&dir.path().join("data"), &["--metrics-listen", "off"]);
    assert_eq!(broker.metrics_addr(), None);
}

#[test]
fn fsync_policy_always_fsyncs_before_a_leader_ack() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut client = broker.client();
    client.create_topic("always", 1, &[("fsync.policy", "always")]);
    client.create_topic("lazy", 1, &[("fsync.policy", "never")]);
    client.produce("lazy", 0, Acks::Leader, &[b"x"]);
    client.produce("always", 0, Acks::Leader, &[b"x"]);
    let (_, text) = http_get(broker.metrics_addr().unwrap(), "/metrics").unwrap();
    assert_eq!(
        metric_value(&text, "rustlog_fsync_duration_seconds_count"),
        Some(1.0)
    );
}

#[test]
fn a_scrape_after_a_produce_is_openmetrics_with_counters_and_histograms() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut client = broker.client();
    client.create_topic("om", 1, &[]);
    client.produce("om", 0, Acks::Leader, &[b"x"]);
    let addr = broker.metrics_addr().unwrap();
    let (status, head, body) = http_raw(addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, 200);
    assert_eq!(header(&head, "content-type"), Some(OPENMETRICS));
    assert_openmetrics(&body);
    assert!(body.contains("# TYPE rustlog_requests counter\n"));
    assert_eq!(
        metric_value(&body, "rustlog_requests_total{api=\"Produce\"}"),
        Some(1.0)
    );
    assert!(body.contains("# TYPE rustlog_request_duration_seconds histogram\n"));
    assert_eq!(
        metric_value(
            &body,
            "rustlog_request_duration_seconds_bucket{le=\"+Inf\",api=\"Produce\"}"
        ),
        Some(1.0)
    );
    assert_eq!(metric_value(&body, "rustlog_records_in_total"), Some(1.0));
}

#[test]
fn a_group_id_with_quotes_and_backslashes_is_escaped_in_a_scrape() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut client = broker.client();
    client.create_topic("t", 1, &[]);
    client.produce("t", 0, Acks::Leader, &[b"a", b"b", b"c"]);
    client.call_ok(OffsetCommitRequest {
        group_id: "we\"ird\\name".into(),
        generation_id: None,
        member_id: None,
        only_if_empty: false,
        offsets: vec![OffsetCommitEntry {
            topic: "t".into(),
            partition: 0,
            offset: 1,
            metadata: None,
        }],
    });
    let (status, text) = http_get(broker.metrics_addr().unwrap(), "/metrics").unwrap();
    assert_eq!(status, 200);
    assert_openmetrics(&text);
    assert_eq!(
        metric_value(
            &text,
            "rustlog_group_lag{group=\"we\\\"ird\\\\name\",topic=\"t\",partition=\"0\"}"
        ),
        Some(2.0),
        "{text}"
    );
}

#[test]
fn healthz_readyz_and_the_answers_to_wrong_requests() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let addr = broker.metrics_addr().unwrap();
    assert_eq!(http_get(addr, "/healthz").unwrap(), (200, "ok\n".into()));
    assert_eq!(http_get(addr, "/readyz").unwrap(), (200, "ready\n".into()));
    assert_eq!(http_get(addr, "/nope").unwrap().0, 404);
    let (status, head, _) = http_raw(
        addr,
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(status, 405);
    assert_eq!(header(&head, "allow"), Some("GET"));
    // A request head over HTTP_REQUEST_BYTES_MAX (8 KiB): hyper answers 431 and closes.
    let big = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(16 * 1024)
    );
    assert_eq!(http_raw(addr, big.as_bytes()).0, 431);
    assert_eq!(http_get(addr, "/metrics").unwrap().0, 200, "still serving");
}

/// Waits until the broker has read `bytes` from its clients.
fn wait_until_read(broker: &BrokerProcess, bytes: f64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, text) = http_get(broker.metrics_addr().unwrap(), "/metrics").unwrap();
        if metric_value(&text, "rustlog_bytes_in_total").unwrap_or(0.0) >= bytes {
            return;
        }
        assert!(Instant::now() < deadline, "requests not read");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn readyz_answers_503_while_a_graceful_shutdown_drains() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let addr = broker.metrics_addr().unwrap();
    let mut client = broker.client();
    client.create_topic("big", 1, &[]);
    let value = vec![7u8; 256 * 1024];
    for _ in 0..4 {
        client.produce("big", 0, Acks::Leader, &[&value]);
    }
    // A client that asks for ~1 MiB a hundred times and reads none of it: the drain of its
    // answers holds the shutdown (up to shutdown_timeout_ms, 30 s) while the endpoint answers.
    let before = metric_value(
        &http_get(addr, "/metrics").unwrap().1,
        "rustlog_bytes_in_total",
    )
    .unwrap();
    let mut frames = BytesMut::new();
    for i in 0..100u32 {
        Request::from(fetch_request("big", 0, 0, 0, 1))
            .encode_frame(i + 1, &mut frames)
            .unwrap();
    }
    let mut stalled = TcpStream::connect(broker.addr()).unwrap();
    stalled.write_all(&frames).unwrap();
    wait_until_read(&broker, before + frames.len() as f64);
    assert_eq!(http_get(addr, "/readyz").unwrap().0, 200);

    broker.send_sigterm();
    let deadline = Instant::now() + Duration::from_secs(20);
    let answer = loop {
        let answer = http_get(addr, "/readyz").unwrap();
        if answer.0 != 200 {
            break answer;
        }
        assert!(Instant::now() < deadline, "/readyz still 200 after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(answer, (503, "shutting down\n".into()));
    assert_eq!(http_get(addr, "/healthz").unwrap(), (200, "ok\n".into()));
    drop(stalled);
    drop(client);
    assert!(broker.wait_exit().success());
}
