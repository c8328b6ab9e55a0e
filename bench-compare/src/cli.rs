//! Command-line flags and the small enums they are made of.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use serde::Serialize;

/// Count and runs of `--smoke`: enough to exercise every code path in well under a minute.
pub const SMOKE_COUNT: u64 = 20_000;
pub const SMOKE_RUNS: usize = 1;

/// Run the same workloads against RustLog, Redis Streams and NATS JetStream on this machine, at
/// the same durability tier, and print msg/s per system plus RustLog/peer ratios.
///
/// Every server is started fresh for every (run, tier, system) on a free 127.0.0.1 port in its
/// own temporary data directory, and stopped (SIGTERM, then SIGKILL) when the trial ends.
#[derive(Debug, Parser)]
#[command(name = "rustlog-compare", version)]
pub struct Args {
    /// Messages per workload.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: u64,

    /// Bytes per message value.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub message_size: u64,

    /// Repetitions of the whole matrix; the table shows the median and the min-max range.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub runs: u64,

    /// Short end-to-end check: `--count 20000 --runs 1`.
    #[arg(long, conflicts_with_all = ["count", "runs"])]
    pub smoke: bool,

    /// Durability tiers to measure, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "never,interval,always")]
    pub tiers: Vec<Tier>,

    /// Systems to measure, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "rustlog,redis,nats")]
    pub systems: Vec<SystemId>,

    /// Directory holding `rustlog-broker` and `rustlog` [default: <repo>/target/release].
    #[arg(long)]
    pub rustlog_dir: Option<PathBuf>,

    /// Path of `redis-server` [default: found on PATH, then in /usr/sbin, /usr/local/sbin, /sbin].
    #[arg(long)]
    pub redis_server: Option<PathBuf>,

    /// Path of `nats-server` [default: found on PATH, then in /usr/sbin, /usr/local/sbin, /sbin].
    #[arg(long)]
    pub nats_server: Option<PathBuf>,

    /// XADD commands per Redis pipeline.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub redis_pipeline: u64,

    /// Redis pipelines in flight at once on the one connection.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub redis_inflight: u64,

    /// Entries per XRANGE call when reading back.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub redis_read_count: u64,

    /// JetStream publish acks the NATS producer keeps pending.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub nats_window: u64,

    /// Messages per pull request of the NATS consumer.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub nats_fetch_batch: u64,

    /// Also measure NATS at tiers its server cannot be configured for (nats-server < 2.10 has no
    /// `sync_interval`), at its built-in sync setting. Such cells are marked `*` and are NOT
    /// like-for-like.
    #[arg(long)]
    pub nats_untiered: bool,

    /// Where the fresh data directories are created (must be a real disk for the fsync tiers to
    /// mean anything) [default: the system temp directory].
    #[arg(long)]
    pub work_dir: Option<PathBuf>,

    /// How long a server may take to accept connections.
    #[arg(long, default_value_t = 20)]
    pub startup_timeout_secs: u64,

    /// Upper bound of one workload of one system; it is reported as an error when exceeded.
    #[arg(long, default_value_t = 900)]
    pub workload_timeout_secs: u64,

    /// Worker threads of the Redis/NATS client runtime: 0 = one per core (tokio's default,
    /// like the `rustlog` CLI), 1 = a single-threaded runtime.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=64))]
    pub client_threads: u64,

    /// Print the results as JSON on stdout (progress still goes to stderr).
    #[arg(long)]
    pub json: bool,

    /// Also draw the ratios (RustLog / each peer, per tier and workload) as a PNG here.
    #[arg(long)]
    pub chart: Option<std::path::PathBuf>,

    /// TrueType font of the chart's text (Debian: fonts-dejavu-core).
    #[arg(
        long,
        default_value = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    )]
    pub chart_font: std::path::PathBuf,
}

impl Args {
    pub fn effective_count(&self) -> u64 {
        if self.smoke {
            SMOKE_COUNT
        } else {
            self.count
        }
    }

    pub fn effective_runs(&self) -> usize {
        if self.smoke {
            SMOKE_RUNS
        } else {
            // The parser caps runs at 100, so this never truncates.
            usize::try_from(self.runs).unwrap_or(usize::MAX)
        }
    }

    pub fn startup_timeout(&self) -> Duration {
        Duration::from_secs(self.startup_timeout_secs)
    }

    pub fn workload_timeout(&self) -> Duration {
        Duration::from_secs(self.workload_timeout_secs)
    }
}

/// Durability tier: when a write is on disk relative to its acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Page cache only: the OS writes back when it likes.
    Never,
    /// A background fsync about once a second.
    Interval,
    /// fsync before the acknowledgement.
    Always,
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Tier::Never => "never",
            Tier::Interval => "interval",
            Tier::Always => "always",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SystemId {
    Rustlog,
    Redis,
    Nats,
}

impl SystemId {
    pub const ALL: [SystemId; 3] = [SystemId::Rustlog, SystemId::Redis, SystemId::Nats];

    pub fn label(self) -> &'static str {
        match self {
            SystemId::Rustlog => "rustlog",
            SystemId::Redis => "redis",
            SystemId::Nats => "nats",
        }
    }
}

impl fmt::Display for SystemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.label())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    /// One client, pipelined/batched, as fast as the system acknowledges.
    Produce,
    /// Read everything the produce step wrote, from the start.
    Consume,
}

impl Workload {
    pub const ALL: [Workload; 2] = [Workload::Produce, Workload::Consume];
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Workload::Produce => "produce",
            Workload::Consume => "consume",
        })
    }
}
