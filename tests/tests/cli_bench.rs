//! `rustlog bench` in its three modes, small enough for a test: the JSON summary carries
//! counts, rates and latency percentiles. (Speed is measured by running the bench, never by a
//! test.) Bad bench arguments fail with a clear message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use assert_cmd::Command;
use client_support::cli_binary;
use predicates::prelude::*;
use rustlog_tests::BrokerProcess;

fn bench(broker: &BrokerProcess, args: &[&str]) -> serde_json::Value {
    let out = Command::new(cli_binary())
        .env("RUSTLOG_BROKER", broker.addr().to_string())
        .timeout(std::time::Duration::from_secs(60))
        .args(["bench", "--json", "--quiet"])
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn bench_modes_report_counts_rates_and_latencies() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let produced = bench(
        &broker,
        &[
            "--mode",
            "produce",
            "--count",
            "5000",
            "--producers",
            "2",
            "--acks",
            "durable",
        ],
    );
    assert_eq!(produced["mode"], "produce");
    assert_eq!(produced["messages"], 5000);
    assert_eq!(produced["errors"], 0);
    assert!(produced["msgs_per_sec"].as_f64().unwrap() > 0.0);
    let latency = &produced["latency_us"];
    assert!(latency["p50"].as_u64().unwrap() <= latency["p99"].as_u64().unwrap());
    assert!(latency["p99"].as_u64().unwrap() <= latency["max"].as_u64().unwrap());

    let consumed = bench(&broker, &["--mode", "consume", "--count", "5000"]);
    assert_eq!(consumed["messages"], 5000);
    assert_eq!(consumed["bytes"], 500_000);
    // CPU per message of both sides (the broker's from its process_cpu_seconds_total).
    for summary in [&produced, &consumed] {
        for side in ["client_cpu_ns_per_msg", "broker_cpu_ns_per_msg"] {
            let ns = summary[side].as_f64();
            assert!(ns.is_some_and(|ns| ns > 0.0), "{side}: {summary}");
        }
    }

    let e2e = bench(
        &broker,
        &[
            "--mode",
            "e2e-latency",
            "--count",
            "300",
            "--rate",
            "1000",
            "--linger-ms",
            "0",
        ],
    );
    assert_eq!(e2e["mode"], "e2e-latency");
    assert_eq!(e2e["messages"], 300);
    assert!(e2e["latency_us"]["p999"].as_u64().is_some());
}

#[test]
fn bench_reports_the_compression_ratio_of_json_events() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let plain = bench(
        &broker,
        &["--mode", "produce", "--count", "3000", "--payload", "json"],
    );
    assert_eq!(plain["compression"], "none");
    assert_eq!(plain["idempotence"], true);
    let ratio = plain["compression_ratio"].as_f64().unwrap();
    assert!((0.99..=1.01).contains(&ratio), "uncompressed ratio {ratio}");
    let packed = bench(
        &broker,
        &[
            "--mode",
            "produce",
            "--count",
            "3000",
            "--payload",
            "json",
            "--compression",
            "zstd",
            "--no-idempotence",
        ],
    );
    assert_eq!(packed["compression"], "zstd");
    assert_eq!(packed["idempotence"], false);
    assert_eq!(packed["errors"], 0);
    let ratio = packed["compression_ratio"].as_f64().unwrap();
    assert!(ratio > 1.5, "zstd on JSON events: ratio {ratio}");
    let mean_bytes = packed["bytes"].as_f64().unwrap() / 3000.0;
    assert!(
        (250.0..=380.0).contains(&mean_bytes),
        "{mean_bytes} bytes per event"
    );
}

#[test]
fn bad_bench_arguments_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    Command::new(cli_binary())
        .env("RUSTLOG_BROKER", broker.addr().to_string())
        .args(["bench", "--producers", "0"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--producers must be at least 1"));
    Command::new(cli_binary())
        .env("RUSTLOG_BROKER", broker.addr().to_string())
        .args(["bench", "--mode", "e2e-latency", "--message-size", "4"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--message-size"));
    Command::new(cli_binary())
        .env("RUSTLOG_BROKER", broker.addr().to_string())
        .args(["bench", "--mode", "sideways"])
        .assert()
        .code(2);
}
