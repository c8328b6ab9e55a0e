//! The `rustlog` command-line tool: one file per subcommand.
//!
//! - `topic.rs`: `topic create|list|describe|alter|delete`
//! - `produce.rs`: `produce TOPIC` (records from stdin lines, headers from `-H`)
//! - `consume.rs`: `consume TOPIC` (to stdout: text, JSON or a kcat-style format string;
//!   start at `-o beginning|end|N|-N|s@MS`, exit at the end with `-e`)
//! - `group.rs`: `group list|describe|delete|reset-offsets`
//! - `bench.rs`: `bench` (produce, consume, end-to-end latency)
//!
//! Errors print one line (`error: ...`) to stderr and exit with status 1; usage errors exit
//! with clap's status 2.

mod bench;
mod consume;
mod group;
mod produce;
mod topic;

use clap::{Parser, Subcommand};
use rustlog::{Client, ClientBuilder};
use std::process::ExitCode;
use std::time::Duration;

/// A failure of a CLI command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The client or broker reported an error.
    #[error("{0}")]
    Client(#[from] rustlog::Error),
    /// A bad argument or input line.
    #[error("{0}")]
    Usage(String),
    /// Reading stdin or writing stdout failed.
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

pub type CliResult<T = ()> = Result<T, CliError>;

#[derive(Debug, Parser)]
#[command(name = "rustlog", version, about = "RustLog command-line client")]
pub struct Cli {
    /// Broker address (host:port). `-b` and `--bootstrap-server` as in kcat and Kafka's tools.
    #[arg(short = 'b', long, visible_alias = "bootstrap-server", global = true, env = "RUSTLOG_BROKER", default_value = rustlog::config::DEFAULT_BROKER_ADDR)]
    broker: String,
    /// Per-request timeout in milliseconds.
    #[arg(long, global = true, default_value_t = 30_000)]
    timeout_ms: u64,
    /// How long to keep trying to connect, in milliseconds.
    #[arg(long, global = true, default_value_t = 5_000)]
    connect_timeout_ms: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create, list, describe, grow and delete topics.
    #[command(subcommand)]
    Topic(topic::TopicCommand),
    /// Produce one record per stdin line.
    Produce(produce::ProduceArgs),
    /// Print records of a topic to stdout.
    Consume(consume::ConsumeArgs),
    /// List, describe and delete consumer groups; reset their offsets.
    #[command(subcommand)]
    Group(group::GroupCommand),
    /// Measure produce throughput, consume throughput or end-to-end latency.
    Bench(bench::BenchArgs),
}

impl Cli {
    /// Connects with the global settings.
    pub async fn connect(&self) -> CliResult<Client> {
        Ok(ClientBuilder::new(self.broker.clone())
            .client_id("rustlog-cli")
            .request_timeout(Duration::from_millis(self.timeout_ms.max(1)))
            .connect_timeout(Duration::from_millis(self.connect_timeout_ms.max(1)))
            .connect()
            .await?)
    }
}

/// Parses the arguments, runs the command and turns any error into one line and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(&cli));
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: &Cli) -> CliResult {
    match &cli.command {
        Command::Topic(cmd) => topic::run(cli, cmd).await,
        Command::Produce(args) => produce::run(cli, args).await,
        Command::Consume(args) => consume::run(cli, args).await,
        Command::Group(cmd) => group::run(cli, cmd).await,
        Command::Bench(args) => bench::run(cli, args).await,
    }
}
