//! The CLI as a kcat user drives it: `-b`, headers on produce (`-H`), `consume -p -o -e -c -f`,
//! null apart from the string "null", binary-safe JSON; and Kafka's admin tools' jobs: `group
//! reset-offsets` (dry run, then execute), `group delete`, `topic alter --partitions`. Every bad
//! flag is refused before anything changes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use assert_cmd::Command;
use client_support::cli;
use predicates::prelude::*;
use rustlog::{ProducerConfig, Record};
use rustlog_tests::BrokerProcess;
use std::time::Duration;

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    // Lossy: partition 1 holds bytes that are not UTF-8, printed raw.
    String::from_utf8_lossy(&out).into_owned()
}

fn lines(cmd: &mut Command) -> Vec<String> {
    stdout(cmd).lines().map(str::to_string).collect()
}

/// A broker with topic `t` (2 partitions): partition 0 holds `v0..v4` at timestamps
/// 1000..1004, partition 1 a null value, the string "null", and bytes that are not UTF-8.
fn broker_with_records(dir: &std::path::Path) -> BrokerProcess {
    let broker = BrokerProcess::start(&dir.join("data"), &[]);
    let client = rustlog::blocking::Client::connect(broker.addr().to_string()).unwrap();
    client
        .admin()
        .create_topic("t", 2, Default::default())
        .unwrap();
    let producer = client.producer(ProducerConfig::default()).unwrap();
    let mut records: Vec<Record> = (0..5)
        .map(|i| {
            Record::new("t")
                .partition(0)
                .timestamp_ms(1_000 + i)
                .key(format!("k{i}"))
                .value(format!("v{i}"))
        })
        .collect();
    records.push(Record::new("t").partition(1).key("tomb"));
    records.push(Record::new("t").partition(1).value("null"));
    records.push(
        Record::new("t")
            .partition(1)
            .value(vec![0xffu8, 0x00, b'k']),
    );
    for handle in producer.send_batch(records).unwrap() {
        handle.wait(Duration::from_secs(5)).unwrap();
    }
    producer.close(Duration::from_secs(5)).unwrap();
    broker
}

#[test]
fn consume_starts_where_o_says_and_e_exits_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker_with_records(dir.path());
    let p0 =
        |offset: &str| lines(cli(&broker).args(["consume", "t", "-p", "0", "-e", "-o", offset]));
    assert_eq!(p0("beginning"), ["v0", "v1", "v2", "v3", "v4"]);
    assert_eq!(p0("3"), ["v3", "v4"]);
    assert_eq!(p0("-2"), ["v3", "v4"]);
    assert_eq!(p0("-99"), ["v0", "v1", "v2", "v3", "v4"]);
    assert_eq!(p0("s@1002"), ["v2", "v3", "v4"]);
    assert!(p0("end").is_empty());
    // Every partition, to the end of each.
    let all = lines(cli(&broker).args(["consume", "t", "-o", "beginning", "-e"]));
    assert_eq!(all.len(), 8);
    // -c stops early; -b is the broker flag kcat users type.
    let two = lines(
        cli(&broker)
            .env_remove("RUSTLOG_BROKER")
            .args(["-b", &broker.addr().to_string()])
            .args(["consume", "t", "-p", "0", "-o", "beginning", "-c", "2"]),
    );
    assert_eq!(two, ["v0", "v1"]);
}

#[test]
fn null_is_not_the_string_null_and_json_is_binary_safe() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker_with_records(dir.path());
    let consume_p1 = || {
        let mut cmd = cli(&broker);
        cmd.args(["consume", "t", "-p", "1", "-o", "beginning", "-e"]);
        cmd
    };
    let text = consume_p1().assert().success().get_output().stdout.clone();
    assert_eq!(text, b"NULL\nnull\n\xff\x00k\n", "raw bytes, null marked");
    let custom = stdout(consume_p1().args(["--null-text", "<nil>", "--print-key"]));
    assert!(
        custom.starts_with("tomb\t<nil>\n<nil>\tnull\n"),
        "{custom:?}"
    );
    let json: Vec<serde_json::Value> = lines(consume_p1().args(["--format", "json"]))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(json[0]["value"].is_null());
    assert_eq!(json[1]["value"], "null");
    assert_eq!(json[2]["value"], serde_json::json!({"base64": "/wBr"}));
}

#[test]
fn headers_go_in_with_h_and_come_out_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    cli(&broker)
        .args(["topic", "create", "h"])
        .assert()
        .success();
    cli(&broker)
        .args([
            "produce",
            "h",
            "-K",
            ":",
            "-H",
            "trace=abc",
            "-H",
            "trace=d=e",
        ])
        .args(["-H", "empty="])
        .write_stdin("k1:one\n")
        .assert()
        .success();
    let consume = || {
        let mut cmd = cli(&broker);
        cmd.args(["consume", "h", "-o", "beginning", "-e"]);
        cmd
    };
    assert_eq!(
        lines(consume().arg("--print-headers")),
        ["trace=abc,trace=d=e,empty=\tone"]
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(consume().args(["--format", "json"]))).unwrap();
    assert_eq!(
        json["headers"],
        serde_json::json!([["trace", "abc"], ["trace", "d=e"], ["empty", ""]])
    );
    let formatted = stdout(consume().args(["-f", r"%t/%p@%o %k=%v (%K,%S) [%h]\n"]));
    assert_eq!(
        formatted,
        "h/0@0 k1=one (2,3) [trace=abc,trace=d=e,empty=]\n"
    );

    // Bad flags: refused, nothing produced.
    for (args, said) in [
        (vec!["-H", "novalue"], "NAME=VALUE"),
        (vec!["-H", "=x"], "empty name"),
    ] {
        cli(&broker)
            .args(["produce", "h"])
            .args(args)
            .write_stdin("x\n")
            .assert()
            .code(2)
            .stderr(predicate::str::contains(said));
    }
    for (args, said) in [
        (vec!["-f", "%z"], "%z"),
        (vec!["-o", "soon"], "s@TIMESTAMP_MS"),
        (vec!["-p", "7", "-o", "beginning"], "not partition 7"),
        (
            vec!["--group", "g", "-o", "beginning"],
            "cannot be used with",
        ),
    ] {
        let expected = if said.starts_with("not partition") {
            1
        } else {
            2
        };
        cli(&broker)
            .args(["consume", "h"])
            .args(args)
            .assert()
            .code(expected)
            .stderr(predicate::str::contains(said));
    }
    assert_eq!(lines(&mut consume()).len(), 1, "still exactly one record");
}

#[test]
fn group_offsets_reset_dry_run_then_execute_and_groups_delete() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker_with_records(dir.path());
    cli(&broker)
        .args([
            "consume",
            "t",
            "--group",
            "g",
            "--from-beginning",
            "-c",
            "8",
        ])
        .assert()
        .success();
    let committed = |partition: u32| -> String {
        let out = stdout(cli(&broker).args(["group", "describe", "g"]));
        let row = out
            .lines()
            .find(|l| {
                l.split_whitespace()
                    .take(2)
                    .eq(["t", &partition.to_string()])
            })
            .unwrap_or_else(|| panic!("no row for t/{partition} in {out}"))
            .to_string();
        row.split_whitespace().nth(2).unwrap().to_string()
    };
    assert_eq!((committed(0), committed(1)), ("5".into(), "3".into()));

    // The default is a dry run: the plan is printed and nothing moves.
    cli(&broker)
        .args([
            "group",
            "reset-offsets",
            "g",
            "--topic",
            "t",
            "--to-earliest",
        ])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^g\s+t\s+0\s+5\s+0$").unwrap())
        .stderr(predicate::str::contains("--execute"));
    assert_eq!(committed(0), "5");

    let reset = |args: &[&str]| {
        cli(&broker)
            .args(["group", "reset-offsets", "g"])
            .args(args)
            .arg("--execute")
            .assert()
            .success();
    };
    reset(&["--topic", "t:0", "--shift-by", "-2"]);
    assert_eq!((committed(0), committed(1)), ("3".into(), "3".into()));
    // No record is that new: the end, as Kafka's tool.
    reset(&["--topic", "t", "--to-datetime", "2999-01-01T00:00:00Z"]);
    assert_eq!((committed(0), committed(1)), ("5".into(), "3".into()));
    // Partition 1's records carry the time they were sent, all after 1970.
    reset(&["--topic", "t", "--to-datetime", "1970-01-01T00:00:01.004Z"]);
    assert_eq!((committed(0), committed(1)), ("4".into(), "0".into()));
    reset(&["--topic", "t:1", "--to-offset", "1"]);
    assert_eq!(committed(1), "1");
    reset(&["--topic", "t", "--to-latest"]);
    assert_eq!((committed(0), committed(1)), ("5".into(), "3".into()));

    // Bad resets: refused, nothing moved.
    for (args, code, said) in [
        (vec!["--topic", "t"], 2, "required"),
        (
            vec!["--topic", "t", "--to-earliest", "--to-latest"],
            2,
            "cannot be used with",
        ),
        (
            vec!["--topic", "t", "--to-datetime", "noon"],
            1,
            "2026-12-01T09:30:00Z",
        ),
        (
            vec!["--topic", "t:x", "--to-earliest"],
            1,
            "not a partition number",
        ),
        (
            vec!["--topic", "t:9", "--to-earliest", "--execute"],
            1,
            "PartitionNotFound",
        ),
        (
            vec!["--topic", "t", "--to-earliest", "--dry-run", "--execute"],
            2,
            "cannot be used with",
        ),
    ] {
        cli(&broker)
            .args(["group", "reset-offsets", "g"])
            .args(args)
            .assert()
            .code(code)
            .stderr(predicate::str::contains(said));
    }
    assert_eq!((committed(0), committed(1)), ("5".into(), "3".into()));

    cli(&broker)
        .args(["group", "delete", "g"])
        .assert()
        .success();
    cli(&broker)
        .args(["group", "describe", "g"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("GroupNotFound"));
    cli(&broker)
        .args(["group", "delete", "g"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("GroupNotFound"));
}

#[test]
fn a_group_with_a_running_member_is_neither_reset_nor_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker_with_records(dir.path());
    let client = rustlog::blocking::Client::connect(broker.addr().to_string()).unwrap();
    let member = client
        .consumer(rustlog::ConsumerConfig::new("live").topic("t"))
        .unwrap();
    member.poll(Duration::from_millis(500)).unwrap();
    cli(&broker)
        .args([
            "group",
            "reset-offsets",
            "live",
            "--topic",
            "t",
            "--to-earliest",
        ])
        .arg("--execute")
        .assert()
        .failure()
        .stderr(predicate::str::contains("NonEmptyGroup"));
    cli(&broker)
        .args(["group", "delete", "live"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("NonEmptyGroup"));
    member.close().unwrap();
    cli(&broker)
        .args(["group", "delete", "live"])
        .assert()
        .success();
}

#[test]
fn topics_grow_with_alter_and_never_shrink() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    cli(&broker)
        .args(["topic", "create", "g", "--partitions", "2"])
        .assert()
        .success();
    cli(&broker)
        .args(["topic", "alter", "g", "--partitions", "5"])
        .assert()
        .success()
        .stdout(predicate::str::contains("topic g has 5 partition(s)"));
    cli(&broker)
        .args(["produce", "g", "-p", "4"])
        .write_stdin("x\n")
        .assert()
        .success();
    cli(&broker)
        .args(["topic", "alter", "g", "--partitions", "3"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("InvalidPartitions"));
    cli(&broker)
        .args(["topic", "alter", "nope", "--partitions", "3"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("TopicNotFound"));
    cli(&broker)
        .args(["topic", "list"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^g\s+5$").unwrap());
}
