//! `rustlog topic create|list|describe|delete` against a real broker, with the error paths:
//! bad --config, unknown topic, duplicate topic, bad name, unreachable broker, a broker at its
//! connection cap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use assert_cmd::Command;
use client_support::{cli, cli_binary};
use predicates::prelude::*;
use rustlog_tests::BrokerProcess;

#[test]
fn topic_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    cli(&broker)
        .args(["topic", "create", "orders", "--partitions", "3"])
        .args([
            "--config",
            "retention.ms=60000",
            "--config",
            "cleanup.policy=compact",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created topic orders with 3 partition(s)",
        ));
    cli(&broker)
        .args(["topic", "create", "audit"])
        .assert()
        .success();
    cli(&broker)
        .args(["topic", "list"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^audit\s+1$").unwrap())
        .stdout(predicate::str::is_match(r"(?m)^orders\s+3$").unwrap());
    cli(&broker)
        .args(["topic", "describe", "orders"])
        .assert()
        .success()
        .stdout(predicate::str::contains("retention.ms=60000"))
        .stdout(predicate::str::contains("cleanup.policy=compact"))
        .stdout(predicate::str::contains("partitions: 3"));
    cli(&broker)
        .args(["topic", "delete", "orders"])
        .assert()
        .success()
        .stdout(predicate::str::contains("deleted topic orders"));
    cli(&broker)
        .args(["topic", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("orders").not());
}

/// stderr of a failed command: exactly one line, starting with `error: `.
fn one_error_line(stderr: &str) -> bool {
    stderr.lines().count() == 1 && stderr.starts_with("error: ")
}

#[test]
fn topic_errors_are_one_line_and_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    cli(&broker)
        .args(["topic", "describe", "missing"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("TopicNotFound"))
        .stderr(predicate::function(one_error_line));
    cli(&broker)
        .args(["topic", "delete", "missing"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("TopicNotFound"));
    cli(&broker)
        .args(["topic", "create", "dup"])
        .assert()
        .success();
    cli(&broker)
        .args(["topic", "create", "dup"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("TopicAlreadyExists"))
        .stderr(predicate::function(one_error_line));
    cli(&broker)
        .args(["topic", "create", "bad/name"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("InvalidTopicName"));
    cli(&broker)
        .args(["topic", "create", "x", "--config", "retention.ms"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("expected KEY=VALUE"))
        .stderr(predicate::function(one_error_line));
    cli(&broker)
        .args(["topic", "create", "x", "--config", "colour=blue"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "unknown topic config key \"colour\"",
        ));
    cli(&broker)
        .args(["topic", "create", "x", "--config", "retention.ms=soon"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("InvalidConfig"));
    cli(&broker)
        .args(["topic", "create", "x", "--partitions", "many"])
        .assert()
        .code(2);
}

#[test]
fn an_unreachable_or_malformed_broker_address_fails_clearly() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    Command::new(cli_binary())
        .args(["--broker", &format!("127.0.0.1:{port}")])
        .args(["--connect-timeout-ms", "300", "topic", "list"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not connected to the broker"))
        .stderr(predicate::str::contains(format!("127.0.0.1:{port}")));
    Command::new(cli_binary())
        .args(["--broker", "no-port-here", "topic", "list"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("invalid argument: broker address"));
}

#[test]
fn a_broker_at_its_connection_cap_fails_the_cli_clearly_until_a_slot_frees() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &["--connections-max", "1"]);
    let mut held = broker.client();
    held.call_ok(rustlog_protocol::messages::ping::PingRequest {});
    // The refusal is retried with backoff until the timeouts run out, then named.
    cli(&broker)
        .args(["--connect-timeout-ms", "500", "--timeout-ms", "500"])
        .args(["topic", "list"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("TooManyConnections"))
        .stderr(predicate::str::contains("limit of 1 connections"))
        .stderr(predicate::str::contains("protocol violation").not());
    drop(held);
    cli(&broker).args(["topic", "list"]).assert().success();
}
