//! `rustlog produce` and `rustlog consume`: lines in, records out (text and JSON), keys by
//! separator, --max-messages, and group consumption that commits what it printed and resumes
//! there (`--from-beginning` only applies when nothing is committed), compressed produce, and
//! clear errors for a bad codec or level.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use assert_cmd::Command;
use client_support::cli;
use predicates::prelude::*;
use rustlog_tests::BrokerProcess;

fn stdout_lines(cmd: &mut Command) -> Vec<String> {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn produce_then_consume_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    cli(&broker)
        .args(["topic", "create", "lines"])
        .assert()
        .success();
    cli(&broker)
        .args(["produce", "lines", "--key-separator", ":"])
        .write_stdin("k1:hello\nk2:wor:ld\nk1:again\n")
        .assert()
        .success()
        .stderr(predicate::str::contains("produced 3 record(s)"));
    let text = stdout_lines(cli(&broker).args([
        "consume",
        "lines",
        "--from-beginning",
        "--max-messages",
        "3",
    ]));
    assert_eq!(text, ["hello", "wor:ld", "again"]);
    let keyed = stdout_lines(cli(&broker).args([
        "consume",
        "lines",
        "--from-beginning",
        "--max-messages",
        "1",
        "--print-key",
    ]));
    assert_eq!(keyed, ["k1\thello"]);
    let json = stdout_lines(cli(&broker).args([
        "consume",
        "lines",
        "--from-beginning",
        "--max-messages",
        "3",
        "--format",
        "json",
    ]));
    let parsed: Vec<serde_json::Value> = json
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed[1]["key"], "k2");
    assert_eq!(parsed[1]["value"], "wor:ld");
    assert_eq!(parsed[1]["offset"], 1);
    assert_eq!(parsed[2]["topic"], "lines");
    // Without --from-beginning and without a group, only new records are printed.
    cli(&broker)
        .args(["consume", "lines", "--idle-timeout-ms", "300"])
        .assert()
        .success()
        .stdout("");
}

#[test]
fn group_consume_commits_what_it_printed_and_resumes_there() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    cli(&broker)
        .args(["topic", "create", "jobs", "--partitions", "1"])
        .assert()
        .success();
    let input: String = (0..10).map(|i| format!("job-{i}\n")).collect();
    cli(&broker)
        .args(["produce", "jobs"])
        .write_stdin(input)
        .assert()
        .success();
    let first = stdout_lines(cli(&broker).args([
        "consume",
        "jobs",
        "--group",
        "workers",
        "--from-beginning",
        "--max-messages",
        "4",
    ]));
    assert_eq!(first, ["job-0", "job-1", "job-2", "job-3"]);
    cli(&broker)
        .args(["group", "describe", "workers"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^jobs\s+0\s+4\s+10\s+6$").unwrap());
    // --from-beginning does not override the committed offset.
    let rest = stdout_lines(cli(&broker).args([
        "consume",
        "jobs",
        "--group",
        "workers",
        "--from-beginning",
        "--idle-timeout-ms",
        "500",
    ]));
    assert_eq!(
        rest,
        (4..10).map(|i| format!("job-{i}")).collect::<Vec<_>>()
    );
    cli(&broker)
        .args(["group", "describe", "workers"])
        .assert()
        .success()
        .stdout(predicate::str::contains("total lag: 0"));
}

#[test]
fn produce_and_consume_errors() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    cli(&broker)
        .args(["produce", "missing"])
        .write_stdin("x\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("TopicNotFound"));
    cli(&broker)
        .args(["consume", "missing", "--max-messages", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("TopicNotFound"));
    cli(&broker)
        .args(["topic", "create", "t"])
        .assert()
        .success();
    cli(&broker)
        .args(["produce", "t", "--key-separator", "="])
        .write_stdin("a=1\nno separator\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("line 2 has no key separator"));
    cli(&broker)
        .args(["produce", "t", "--partition", "5"])
        .write_stdin("x\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("PartitionNotFound"));
    cli(&broker)
        .args(["produce", "t", "--acks", "sometimes"])
        .write_stdin("x\n")
        .assert()
        .code(2);
    cli(&broker)
        .args(["produce", "t", "--compression", "brotli"])
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("none, gzip, snappy, lz4 or zstd"));
    cli(&broker)
        .args([
            "produce",
            "t",
            "--compression",
            "gzip",
            "--compression-level",
            "10",
        ])
        .write_stdin("x\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("0..=9"));
}

#[test]
fn compressed_produce_reads_back_equal_with_every_codec() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    for (codec, level) in [
        ("gzip", Some("6")),
        ("snappy", None),
        ("lz4", None),
        ("zstd", Some("-1")),
    ] {
        let topic = format!("packed-{codec}");
        cli(&broker)
            .args(["topic", "create", &topic, "--partitions", "1"])
            .assert()
            .success();
        let mut args = vec!["produce", topic.as_str(), "--compression", codec];
        if let Some(level) = level {
            args.extend(["--compression-level", level]);
        }
        let lines: Vec<String> = (0..50).map(|i| format!("event {i} from {codec}")).collect();
        cli(&broker)
            .args(&args)
            .write_stdin(lines.join("\n") + "\n")
            .assert()
            .success();
        let got = stdout_lines(cli(&broker).args([
            "consume",
            &topic,
            "--from-beginning",
            "--max-messages",
            "50",
        ]));
        assert_eq!(got, lines, "{codec}");
    }
}
