//! Prometheus text at `GET /metrics` and through MetricsFetch: request counts and latency
//! histograms per api, bytes, connections, per-partition offsets and sizes, group lag, fsync.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::messages::metrics_fetch::MetricsFetchRequest;
use rustlog_protocol::messages::offset_commit::{OffsetCommitEntry, OffsetCommitRequest};
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::Response;
use rustlog_tests::{http_get, metric_value, BrokerProcess};

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
        offsets: vec![OffsetCommitEntry {
            topic: "m".into(),
            partition: 1,
            offset: 2,
            metadata: None,
        }],
    });
    let (status, text) = http_get(broker.metrics_addr().unwrap(), "/metrics").unwrap();
    assert_eq!(status, 200);
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
