//! The README's quick starts run as printed: the Rust one is compiled into this test and run
//! against a fresh broker, and the CLI one runs in bash with the `rustlog` binary on `PATH`
//! (`build.rs` extracts both; only the broker address is the test broker's). The Python and
//! Node quick starts are run by their own suites (`test_readme.py`, `readme.test.js`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use client_support::cli_binary;
use rustlog_tests::BrokerProcess;
use std::process::Command;

/// The committed offset of group `billing` on each partition of `orders`.
async fn billing_offsets(addr: &str) -> Vec<(u32, u64)> {
    let client = rustlog::Client::connect(addr).await.unwrap();
    let offsets = client.admin().group_offsets("billing").await.unwrap();
    offsets.iter().map(|c| (c.partition, c.offset)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_quick_start_runs_as_printed_and_again() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let readme_broker_addr = broker.addr().to_string();
    for run in 1..=2u64 {
        let result = include!(concat!(env!("OUT_DIR"), "/readme_quickstart.rs")).await;
        result.unwrap_or_else(|e| panic!("run {run} of the README's Rust quick start: {e}"));
        // Each run sent one record and the group committed past every record so far.
        let offsets = billing_offsets(&readme_broker_addr).await;
        let committed: u64 = offsets.iter().map(|(_, o)| o).sum();
        assert_eq!(committed, run, "{offsets:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_quick_start_runs_as_printed() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let script = include_str!(concat!(env!("OUT_DIR"), "/readme_quickstart.sh"));
    let bin_dir = cli_binary().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .env("PATH", path)
        .env("RUSTLOG_BROKER", broker.addr().to_string())
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("created topic orders with 3 partition(s)"),
        "{stdout}"
    );
    assert!(stdout.contains(r#""value":"hello""#), "{stdout}");
    assert!(stdout.contains("total lag: 0"), "{stdout}");
    // The reset moved the group back to the start of every partition.
    let offsets = billing_offsets(&broker.addr().to_string()).await;
    assert!(offsets.iter().all(|(_, o)| *o == 0), "{offsets:?}");
}
