//! `rustlog-broker`: runs a broker until SIGTERM or Ctrl-C, then shuts down gracefully.
//!
//! Settings come from flags, then an optional TOML file (`--config`), then defaults; flags win.
//! Once listening it prints one machine-readable line on stdout:
//! `rustlog-broker listening on 127.0.0.1:7400 metrics 127.0.0.1:7401 kafka 127.0.0.1:9092`
//! (`metrics off`, `kafka off` when a listener is off; the `kafka` pair comes last so readers of
//! the older two-address line keep working).

use clap::Parser;
use rustlog_broker::config::{parse_addr, parse_optional_addr, FileConfig, KafkaEndpoint};
use rustlog_broker::{Broker, BrokerConfig, BrokerError};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// The binary's allocator: jemalloc, whose background thread returns freed pages to the OS
/// after a burst of queued responses (glibc's malloc kept the peak resident). Only here, so
/// library users keep their own.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Starts jemalloc's background purge thread: without it, freed memory is only returned when
/// the broker allocates again, so an idle broker would keep its peak.
fn enable_allocator_purging() {
    #[cfg(feature = "jemalloc")]
    if let Err(err) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::warn!(error = %err, "cannot start jemalloc's background thread");
    }
}

/// Exit code for a configuration error.
const EXIT_CONFIG: u8 = 2;
/// Exit code for a start-up or shutdown failure.
const EXIT_FAILURE: u8 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "rustlog-broker",
    version,
    about = "RustLog broker: a single-node log-structured message broker",
    // A flag given twice takes its last value (wrappers may append overrides).
    args_override_self = true
)]
struct Args {
    /// Protocol address [default: 127.0.0.1:7400]
    #[arg(long, env = "RUSTLOG_LISTEN")]
    listen: Option<String>,
    /// Prometheus /metrics address, or `off` [default: 127.0.0.1:7401]
    #[arg(long, env = "RUSTLOG_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Kafka-protocol address, or `off` [default: 127.0.0.1:9092]
    #[arg(long, env = "RUSTLOG_KAFKA_LISTEN")]
    kafka_listen: Option<String>,
    /// HOST:PORT Kafka clients are told to connect to [default: the bound Kafka address]
    #[arg(long, env = "RUSTLOG_KAFKA_ADVERTISED_LISTENER")]
    kafka_advertised_listener: Option<String>,
    /// Data directory [default: ./rustlog-data]
    #[arg(long, env = "RUSTLOG_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// TOML config file (flags override its values)
    #[arg(long, env = "RUSTLOG_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Let a Kafka Metadata request naming a missing topic create it with the broker defaults,
    /// when the request allows it (Kafka's `allow_auto_topic_creation`). Off by default:
    /// Produce to a missing topic always answers UNKNOWN_TOPIC_OR_PARTITION [TOML:
    /// auto_create_topics]
    #[arg(long)]
    auto_create_topics: bool,
    /// Partitions of a topic created with 0 partitions [default: 1]
    #[arg(long)]
    default_partitions: Option<u32>,
    /// Default topic config, repeatable: `--topic-config retention.ms=3600000`
    #[arg(long = "topic-config", value_name = "KEY=VALUE")]
    topic_config: Vec<String>,
    /// Most open client connections
    #[arg(long)]
    connections_max: Option<usize>,
    /// Most requests handled at once per connection
    #[arg(long)]
    in_flight_requests_max: Option<usize>,
    /// Request plus response bytes all connections together may hold in the broker
    /// [default: 268435456]
    #[arg(long)]
    queued_response_bytes_max: Option<usize>,
    /// Request plus response bytes one connection may hold in the broker [default: 67108864]
    #[arg(long)]
    connection_queued_bytes_max: Option<usize>,
    /// Pending connections queued by the kernel per listener [default: 4096]
    #[arg(long)]
    listen_backlog: Option<u32>,
    /// How long SIGTERM waits for read requests to be answered before closing (ms)
    /// [default: 30000]
    #[arg(long)]
    shutdown_timeout_ms: Option<u64>,
    /// Largest request frame in bytes
    #[arg(long)]
    frame_bytes_max: Option<u32>,
    /// Close connections idle this long (ms)
    #[arg(long)]
    idle_timeout_ms: Option<u64>,
    /// Close connections whose started frame stalls this long (ms)
    #[arg(long)]
    read_timeout_ms: Option<u64>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Offline: cut a quarantined partition at its first damaged byte, keeping the cut bytes in
    /// `<segment>.log.corrupt-<byte>.bin` files beside it. Refuses while a broker holds the
    /// data directory.
    Repair {
        #[arg(long)]
        topic: String,
        #[arg(long)]
        partition: u32,
        /// Print what would be cut; change nothing
        #[arg(long)]
        dry_run: bool,
    },
}

fn main() -> ExitCode {
    init_tracing();
    enable_allocator_purging();
    let mut args = Args::parse();
    let command = args.command.take();
    let config = match build_config(args) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("rustlog-broker: {err}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let Some(Command::Repair {
        topic,
        partition,
        dry_run,
    }) = command
    {
        return repair(&config, &topic, partition, dry_run);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("rustlog-broker")
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("rustlog-broker: cannot start the async runtime: {err}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err @ BrokerError::InvalidConfig { .. }) => {
            eprintln!("rustlog-broker: {err}");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(err) => {
            eprintln!("rustlog-broker: {err}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// `rustlog-broker repair`: prints the plan (what was, or with `--dry-run` would be, cut).
fn repair(config: &BrokerConfig, topic: &str, partition: u32, dry_run: bool) -> ExitCode {
    let io = rustlog_broker::storage::StdIo::shared();
    match rustlog_broker::storage::repair::repair(&io, &config.data_dir, topic, partition, dry_run)
    {
        Ok(plan) => {
            let verb = if dry_run { "would repair" } else { "repaired" };
            println!("{verb} {topic}-{partition}:\n{plan}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("rustlog-broker repair: {err}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn run(config: BrokerConfig) -> Result<(), BrokerError> {
    let handle = Broker::start(config).await?;
    let metrics = handle
        .metrics_addr()
        .map_or_else(|| "off".to_string(), |addr| addr.to_string());
    let kafka = handle
        .kafka_addr()
        .map_or_else(|| "off".to_string(), |addr| addr.to_string());
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "rustlog-broker listening on {} metrics {metrics} kafka {kafka}",
        handle.local_addr()
    );
    let _ = stdout.flush();
    wait_for_signal().await;
    handle.shutdown().await
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C received"),
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Defaults, then the file, then flags.
fn build_config(args: Args) -> Result<BrokerConfig, BrokerError> {
    let mut config = BrokerConfig::default();
    if let Some(path) = &args.config {
        config.apply_file(FileConfig::load(path)?)?;
    }
    if let Some(listen) = &args.listen {
        config.listen = parse_addr("--listen", listen)?;
    }
    if let Some(metrics) = &args.metrics_listen {
        config.metrics_listen = parse_optional_addr("--metrics-listen", metrics)?;
    }
    if let Some(kafka) = &args.kafka_listen {
        config.kafka_listen = parse_optional_addr("--kafka-listen", kafka)?;
    }
    if let Some(advertised) = &args.kafka_advertised_listener {
        config.kafka_advertised_listener = Some(KafkaEndpoint::parse(
            "--kafka-advertised-listener",
            advertised,
        )?);
    }
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    if args.auto_create_topics {
        config.auto_create_topics = true;
    }
    if let Some(n) = args.default_partitions {
        config.topic_partitions_default = n;
    }
    let mut overrides = BTreeMap::new();
    for pair in &args.topic_config {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(BrokerError::InvalidConfig {
                key: "--topic-config".into(),
                reason: format!("{pair:?} is not KEY=VALUE"),
            });
        };
        overrides.insert(key.trim().to_string(), value.trim().to_string());
    }
    config.topic_defaults = config
        .topic_defaults
        .with_overrides(&overrides)
        .map_err(|err| match err {
            rustlog_broker::storage::StorageError::InvalidConfig { key, reason } => {
                BrokerError::InvalidConfig {
                    key: format!("--topic-config {key}"),
                    reason,
                }
            }
            other => BrokerError::InvalidConfig {
                key: "--topic-config".into(),
                reason: other.to_string(),
            },
        })?;
    let limits = &mut config.limits;
    if let Some(v) = args.connections_max {
        limits.connections_max = v;
    }
    if let Some(v) = args.in_flight_requests_max {
        limits.in_flight_requests_max = v;
    }
    if let Some(v) = args.queued_response_bytes_max {
        limits.queued_response_bytes_max = v;
    }
    if let Some(v) = args.frame_bytes_max {
        limits.frame_bytes_max = v;
    }
    if let Some(v) = args.idle_timeout_ms {
        limits.idle_timeout_ms = v;
    }
    if let Some(v) = args.read_timeout_ms {
        limits.read_timeout_ms = v;
    }
    if let Some(v) = args.connection_queued_bytes_max {
        limits.connection_queued_bytes_max = v;
    }
    if let Some(v) = args.listen_backlog {
        limits.listen_backlog = v;
    }
    if let Some(v) = args.shutdown_timeout_ms {
        limits.shutdown_timeout_ms = v;
    }
    config.validate()?;
    Ok(config)
}
