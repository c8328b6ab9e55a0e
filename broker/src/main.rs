//! `rustlog-broker`: runs a broker until SIGTERM or Ctrl-C, then shuts down gracefully.
//!
//! Settings come from flags, then an optional TOML file (`--config`), then defaults; flags win.
//! Once listening it prints one machine-readable line on stdout:
//! `rustlog-broker listening on 127.0.0.1:7400 metrics 127.0.0.1:7401 kafka 127.0.0.1:9092`
//! (`metrics off`, `kafka off` when a listener is off; the `kafka` pair comes last so readers of
//! the older two-address line keep working).

use clap::Parser;
use rustlog_broker::cli::{Args, Command};
use rustlog_broker::{Broker, BrokerConfig, BrokerError};
use std::io::Write;
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

fn main() -> ExitCode {
    init_tracing();
    enable_allocator_purging();
    raise_open_files_limit();
    let mut args = Args::parse();
    let command = args.command.take();
    let config = match args.into_config() {
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

/// Raises the soft limit on open files to the hard one: each partition keeps its active
/// segment's file open, and many distributions start processes at a soft limit of 1,024.
fn raise_open_files_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(error = %e, "could not raise the open-files limit");
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
