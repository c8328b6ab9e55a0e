//! Start-up configuration: flags win over the TOML file, file values apply, and every invalid
//! setting stops start-up with a message naming the bad key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::messages::describe_topic::DescribeTopicRequest;
use rustlog_protocol::Response;
use rustlog_tests::{broker_binary, BrokerProcess};
use std::process::Command;

/// Runs the broker with `args` and expects it to refuse to start; returns stderr.
fn refuses_to_start(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(broker_binary())
        .args(["--data-dir", dir.path().join("data").to_str().unwrap()])
        .args(["--listen", "127.0.0.1:0", "--metrics-listen", "off"])
        .args(["--kafka-listen", "off"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    String::from_utf8_lossy(&output.stderr).to_string()
}

fn config_file(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("broker.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn unknown_file_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = config_file(&dir, "listen = \"127.0.0.1:0\"\nlisten_backlogg = 5\n");
    let stderr = refuses_to_start(&["--config", &path]);
    assert!(stderr.contains("listen_backlogg"), "{stderr}");
}

#[test]
fn bad_limit_in_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = config_file(&dir, "[limits]\nin_flight_requests_max = 0\n");
    let stderr = refuses_to_start(&["--config", &path]);
    assert!(stderr.contains("limits.in_flight_requests_max"), "{stderr}");
}

#[test]
fn bad_topic_default_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = config_file(&dir, "[topic_defaults]\n\"fsync.policy\" = \"sometimes\"\n");
    let stderr = refuses_to_start(&["--config", &path]);
    assert!(stderr.contains("fsync.policy"), "{stderr}");
    let stderr = refuses_to_start(&["--topic-config", "retention.bogus=1"]);
    assert!(stderr.contains("retention.bogus"), "{stderr}");
}

#[test]
fn bad_kafka_listener_flags_are_named() {
    let stderr = refuses_to_start(&["--kafka-listen", "not-an-address"]);
    assert!(stderr.contains("--kafka-listen"), "{stderr}");
    let stderr = refuses_to_start(&["--kafka-advertised-listener", "0.0.0.0:9092"]);
    assert!(stderr.contains("--kafka-advertised-listener"), "{stderr}");
    let stderr = refuses_to_start(&["--kafka-listen", "0.0.0.0:0"]);
    assert!(stderr.contains("--kafka-advertised-listener"), "{stderr}");
}

#[test]
fn a_kafka_port_in_use_stops_start_up_naming_the_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(broker_binary())
        .args(["--data-dir", dir.path().join("data").to_str().unwrap()])
        .args(["--listen", "127.0.0.1:0", "--metrics-listen", "off"])
        .args(["--kafka-listen", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--kafka-listen"), "{stderr}");
}

#[test]
fn bad_flag_values_are_named() {
    let stderr = refuses_to_start(&["--listen", "not-an-address"]);
    assert!(stderr.contains("--listen"), "{stderr}");
    let stderr = refuses_to_start(&["--connections-max", "0"]);
    assert!(stderr.contains("limits.connections_max"), "{stderr}");
}

#[test]
fn missing_config_file_is_reported() {
    let stderr = refuses_to_start(&["--config", "/nonexistent/rustlog.toml"]);
    assert!(stderr.contains("/nonexistent/rustlog.toml"), "{stderr}");
}

#[test]
fn file_values_apply_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let path = config_file(
        &dir,
        "metrics_listen = \"off\"\nlisten = \"127.0.0.1:1\"\n\n[topic_defaults]\npartitions = 3\n\"retention.ms\" = 1234567\n",
    );
    // The harness passes --listen/--metrics-listen 127.0.0.1:0: flags beat the file.
    let broker = BrokerProcess::start(&dir.path().join("data"), &["--config", &path]);
    assert!(broker.metrics_addr().is_some());
    let mut client = broker.client();
    client.create_topic("defaults", 0, &[]);
    let Response::DescribeTopic(d) = client.call_ok(DescribeTopicRequest {
        name: "defaults".into(),
    }) else {
        panic!()
    };
    assert_eq!(d.partitions.len(), 3);
    assert_eq!(
        d.config.get("retention.ms").map(String::as_str),
        Some("1234567")
    );
}

#[test]
fn connection_limits_of_issue_13_are_validated_by_flag_and_file() {
    let cases: [(&str, &str); 5] = [
        ("--listen-backlog", "0"),
        ("--listen-backlog", "65536"),
        ("--queued-response-bytes-max", "4095"),
        ("--connection-queued-bytes-max", "4095"),
        ("--shutdown-timeout-ms", "0"),
    ];
    for (flag, value) in cases {
        let stderr = refuses_to_start(&[flag, value]);
        let key = format!("limits.{}", flag.trim_start_matches("--").replace('-', "_"));
        assert!(stderr.contains(&key), "{flag} {value}: {stderr}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = config_file(&dir, "[limits]\nlisten_backlog = 0\n");
    let stderr = refuses_to_start(&["--config", &path]);
    assert!(stderr.contains("limits.listen_backlog"), "{stderr}");
}
