//! RustLog: `rustlog-broker` plus the `rustlog bench` CLI, whose JSON summary gives msgs/s.
//!
//! Using the project's own bench tool (rather than re-implementing a client loop here) measures
//! what a user gets from `rustlog bench`, with its default batching (linger 5 ms, 256 KiB
//! batches, 8 requests in flight).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::cli::Tier;
use crate::process::{first_line_of, is_executable, Scratch};
use crate::trial::{self, check_count, TrialConfig, TrialOutcome};

const TOPIC: &str = "bench";

pub struct RustLog {
    broker: PathBuf,
    cli: PathBuf,
    pub version: String,
}

impl RustLog {
    /// Finds both binaries in `dir`; the error tells the user how to build them.
    pub fn locate(dir: &Path) -> Result<RustLog> {
        let broker = dir.join("rustlog-broker");
        let cli = dir.join("rustlog");
        for bin in [&broker, &cli] {
            if !is_executable(bin) {
                bail!(
                    "{} is missing; build it with `cargo build --release -p rustlog-broker -p rustlog` \
                     in the repository root, or pass --rustlog-dir",
                    bin.display()
                );
            }
        }
        let version = first_line_of(&broker, &["--version"])?;
        Ok(RustLog {
            broker,
            cli,
            version,
        })
    }

    /// Broker arguments for a tier; also used to print the command line with placeholders.
    pub fn server_args(tier: Tier, port: &str, data_dir: &str) -> Vec<String> {
        let mut args = vec![
            "--listen".to_string(),
            format!("127.0.0.1:{port}"),
            "--metrics-listen".to_string(),
            "off".to_string(),
            "--data-dir".to_string(),
            data_dir.to_string(),
            "--topic-config".to_string(),
            format!("fsync.policy={}", Self::policy(tier)),
        ];
        if tier == Tier::Interval {
            args.extend([
                "--topic-config".to_string(),
                "fsync.interval.ms=1000".to_string(),
            ]);
        }
        args
    }

    fn policy(tier: Tier) -> &'static str {
        match tier {
            Tier::Never => "never",
            Tier::Interval => "interval",
            Tier::Always => "always",
        }
    }

    /// `always` must also wait for the fsync before the ack; the other tiers ack on append.
    fn acks(tier: Tier) -> &'static str {
        match tier {
            Tier::Always => "durable",
            Tier::Never | Tier::Interval => "leader",
        }
    }

    pub fn describe(&self, tier: Tier) -> String {
        format!(
            "{} {}; produce: rustlog bench --mode produce --partitions 1 --acks {} ...",
            self.broker.display(),
            Self::server_args(tier, "<port>", "<tmp>/data").join(" "),
            Self::acks(tier)
        )
    }

    pub async fn trial(&self, tier: Tier, cfg: &TrialConfig) -> TrialOutcome {
        let args = |port: u16, scratch: &Scratch| -> Result<Vec<String>> {
            Ok(Self::server_args(
                tier,
                &port.to_string(),
                &scratch.data.to_string_lossy(),
            ))
        };
        let spec = trial::spec("rustlog", &self.broker, cfg, &args);
        trial::run(
            &spec,
            cfg,
            |addr| async move {
                self.bench(&addr, "produce", Some(Self::acks(tier)), cfg)
                    .await
            },
            |addr| async move { self.bench(&addr, "consume", None, cfg).await },
        )
        .await
    }

    /// Runs one `rustlog bench` and returns its msgs/s after checking every message moved.
    async fn bench(
        &self,
        addr: &str,
        mode: &str,
        acks: Option<&str>,
        cfg: &TrialConfig,
    ) -> Result<f64> {
        let mut cmd = tokio::process::Command::new(&self.cli);
        cmd.args(["--broker", addr, "bench", "--mode", mode, "--topic", TOPIC])
            .args(["--partitions", "1"])
            .args(["--message-size", &cfg.message_size.to_string()])
            .args(["--count", &cfg.count.to_string()]);
        if let Some(acks) = acks {
            cmd.args(["--acks", acks]);
        }
        cmd.args(["--json", "--quiet"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // If the workload times out, dropping the future must not leave the CLI running.
            .kill_on_drop(true);
        let out = cmd
            .output()
            .await
            .with_context(|| format!("running {} bench", self.cli.display()))?;
        if !out.status.success() {
            bail!(
                "rustlog bench --mode {mode} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let summary: BenchSummary = serde_json::from_slice(&out.stdout).with_context(|| {
            format!(
                "parsing the JSON of rustlog bench --mode {mode}: {}",
                String::from_utf8_lossy(&out.stdout).trim()
            )
        })?;
        if summary.errors != 0 {
            bail!(
                "rustlog bench --mode {mode} reported {} errors",
                summary.errors
            );
        }
        check_count(&format!("rustlog {mode}"), summary.messages, cfg.count)?;
        let expected_bytes = cfg.count.saturating_mul(cfg.message_size);
        if summary.bytes != expected_bytes {
            bail!(
                "rustlog {mode} moved {} value bytes, expected {expected_bytes}",
                summary.bytes
            );
        }
        Ok(summary.msgs_per_sec)
    }
}

/// The fields of `rustlog bench --json` this harness relies on.
#[derive(Debug, Deserialize)]
struct BenchSummary {
    messages: u64,
    bytes: u64,
    msgs_per_sec: f64,
    errors: u64,
}
