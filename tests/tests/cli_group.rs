//! `rustlog group list|describe` with lag per partition, and the unknown-group error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use client_support::cli;
use predicates::prelude::*;
use rustlog_tests::BrokerProcess;

#[test]
fn groups_are_listed_and_described_with_lag() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    cli(&broker)
        .args(["topic", "create", "ev", "--partitions", "2"])
        .assert()
        .success();
    cli(&broker)
        .args(["produce", "ev", "--partition", "1"])
        .write_stdin("a\nb\nc\n")
        .assert()
        .success();
    cli(&broker)
        .args(["consume", "ev", "--group", "readers", "--from-beginning"])
        .args(["--max-messages", "2"])
        .assert()
        .success();
    cli(&broker)
        .args(["group", "list"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^readers\s+\w+\s+\d+\s+0$").unwrap());
    cli(&broker)
        .args(["group", "describe", "readers"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^ev\s+1\s+2\s+3\s+1$").unwrap())
        .stdout(predicate::str::contains("total lag: 1"));
    cli(&broker)
        .args(["group", "describe", "nobody"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("GroupNotFound"));
}
