//! `rustlog-compare`: RustLog vs Redis Streams vs NATS JetStream, side by side, per durability
//! tier (DESIGN.md section 6).
//!
//! Module map:
//! - `cli`: flags, tiers, systems, workloads.
//! - `process`: starting/stopping servers (a guard that always stops them), finding binaries.
//! - `trial`: what one trial gets and returns, shared helpers (payload, rate, timeouts).
//! - `rustlog`, `redis_streams`, `nats`: one module per system: its server's command line per
//!   tier and its produce/consume workloads.
//! - `resp`: a lean RESP2 reader for Redis read-back (why: see there).
//! - `table`: medians, ranges, ratios; the text table and the JSON report.
//!
//! Order of work: for each run, for each tier, each system in turn gets a fresh server, produces
//! `--count` messages, reads them all back, and is stopped. Interleaving the systems inside a run
//! means drift of the shared machine hits them alike.

mod chart;
mod cli;
mod nats;
mod process;
mod redis_streams;
mod resp;
mod rustlog;
mod table;
mod trial;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use clap::Parser;

use crate::cli::{Args, SystemId, Tier, Workload};
use crate::nats::{Nats, NatsTuning, TierPlan};
use crate::redis_streams::{Redis, RedisTuning};
use crate::rustlog::RustLog;
use crate::table::{Cell, CellKey, Machine, Report, Settings, SystemReport};
use crate::trial::{TrialConfig, TrialOutcome};

/// A system that can be measured.
enum Runner {
    RustLog(RustLog),
    Redis(Redis),
    Nats(Nats),
}

impl Runner {
    fn version(&self) -> &str {
        match self {
            Runner::RustLog(r) => &r.version,
            Runner::Redis(r) => &r.version,
            Runner::Nats(r) => &r.version,
        }
    }

    fn describe(&self, tier: Tier) -> String {
        match self {
            Runner::RustLog(r) => r.describe(tier),
            Runner::Redis(r) => r.describe(tier),
            Runner::Nats(r) => r.describe(tier),
        }
    }

    /// Whether this tier is measured; `Err` is the reason it is not.
    fn plan(&self, tier: Tier) -> Result<(bool, Option<String>), String> {
        match self {
            Runner::Nats(n) => match n.plan(tier) {
                TierPlan::Run {
                    like_for_like,
                    note,
                    ..
                } => Ok((like_for_like, Some(note))),
                TierPlan::Unsupported(why) => Err(why),
            },
            Runner::RustLog(_) | Runner::Redis(_) => Ok((true, None)),
        }
    }

    async fn trial(&self, tier: Tier, cfg: &TrialConfig) -> TrialOutcome {
        match self {
            Runner::RustLog(r) => r.trial(tier, cfg).await,
            Runner::Redis(r) => r.trial(tier, cfg).await,
            Runner::Nats(r) => r.trial(tier, cfg).await,
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match args.client_threads {
        0 => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        // One thread: the client loop and its connection never hand work across threads.
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(usize::try_from(n).unwrap_or(1))
            .enable_all()
            .build(),
    };
    let result = match runtime {
        Ok(runtime) => runtime.block_on(run(args)),
        Err(e) => Err(anyhow::Error::new(e).context("starting the tokio runtime")),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rustlog-compare: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    let date = utc_now();
    let load_start = load_average();
    let mut tiers = args.tiers.clone();
    tiers.sort();
    tiers.dedup();
    let work_dir = match &args.work_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir(),
    };
    let work_dir = work_dir
        .canonicalize()
        .with_context(|| format!("work dir {}", work_dir.display()))?;
    match process::is_tmpfs(&work_dir) {
        Ok(true) => eprintln!(
            "warning: {} is tmpfs: fsync is free there, so the tiers will not differ; \
             pass --work-dir on a real disk",
            work_dir.display()
        ),
        Ok(false) => {}
        Err(e) => eprintln!("warning: could not check the work dir's filesystem: {e:#}"),
    }

    let cfg = TrialConfig {
        count: args.effective_count(),
        message_size: args.message_size,
        work_dir: work_dir.clone(),
        startup_timeout: args.startup_timeout(),
        workload_timeout: args.workload_timeout(),
    };
    let runs = args.effective_runs();

    let systems = locate_systems(&args, &tiers, &work_dir);
    let mut cells: BTreeMap<CellKey, Cell> = BTreeMap::new();
    let mut system_reports = Vec::new();
    for (id, located) in &systems {
        let mut report = SystemReport {
            system: *id,
            version: None,
            skipped: None,
            setup: BTreeMap::new(),
        };
        match located {
            Ok(runner) => {
                report.version = Some(runner.version().to_string());
                for &tier in &tiers {
                    report.setup.insert(tier, runner.describe(tier));
                    let (like_for_like, note, skipped) = match runner.plan(tier) {
                        Ok((like, note)) => (like, note, None),
                        Err(why) => (true, None, Some(why)),
                    };
                    for workload in Workload::ALL {
                        cells.insert(
                            (tier, workload, *id),
                            Cell {
                                samples: Vec::new(),
                                skipped: skipped.clone(),
                                like_for_like,
                                note: note.clone(),
                            },
                        );
                    }
                }
            }
            Err(why) => {
                eprintln!("skipping {id}: {why}");
                report.skipped = Some(why.clone());
                for &tier in &tiers {
                    for workload in Workload::ALL {
                        cells.insert(
                            (tier, workload, *id),
                            Cell {
                                skipped: Some(why.clone()),
                                like_for_like: true,
                                ..Cell::default()
                            },
                        );
                    }
                }
            }
        }
        system_reports.push(report);
    }

    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get);
    if !args.json {
        print_header(
            &command,
            &date,
            cores,
            &load_start,
            &cfg,
            runs,
            &system_reports,
        );
    }

    // Ctrl-C or SIGTERM drops the matrix future, and with it the running trial's server guard,
    // which stops the server and removes its directory before we exit.
    let matrix = run_matrix(&systems, &tiers, runs, &cfg, &mut cells);
    tokio::select! {
        () = matrix => {}
        signal = shutdown_signal() => {
            signal?;
            anyhow::bail!("interrupted; servers stopped and temp dirs removed");
        }
    }

    let cell_reports = table::cell_reports(&cells);
    let ratios = table::ratio_reports(&cells, &tiers);
    let any_error = cell_reports.iter().any(|c| c.status == "error");
    let report = Report {
        date_utc: date,
        command,
        machine: Machine {
            cores,
            load_average_start: load_start,
            load_average_end: load_average(),
        },
        settings: Settings {
            count: cfg.count,
            message_size: cfg.message_size,
            runs,
            tiers,
            work_dir: work_dir.display().to_string(),
        },
        systems: system_reports,
        cells: cell_reports,
        ratios,
        wall_clock_secs: started.elapsed().as_secs_f64(),
    };
    if let Some(png) = &args.chart {
        chart::write(&report, png, &args.chart_font)?;
        eprintln!("chart written to {}", png.display());
    }
    if args.json {
        let text = serde_json::to_string_pretty(&report).context("encoding the JSON report")?;
        println!("{text}");
    } else {
        println!("{}", table::render(&report));
        println!(
            "load average: {} at start, {} at end; wall clock {:.0} s",
            report.machine.load_average_start,
            report.machine.load_average_end,
            report.wall_clock_secs
        );
    }
    // A failed measurement must not look like a successful run to a script.
    Ok(if any_error {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Finds each requested system; `Err` is a human reason to skip it.
fn locate_systems(
    args: &Args,
    tiers: &[Tier],
    work_dir: &Path,
) -> Vec<(SystemId, Result<Runner, String>)> {
    let mut wanted = args.systems.clone();
    wanted.sort();
    wanted.dedup();
    wanted
        .into_iter()
        .map(|id| {
            let runner = match id {
                SystemId::Rustlog => {
                    let dir = args.rustlog_dir.clone().unwrap_or_else(default_rustlog_dir);
                    RustLog::locate(&dir).map(Runner::RustLog)
                }
                SystemId::Redis => server_path(args.redis_server.as_ref(), "redis-server")
                    .and_then(|path| {
                        let tuning = RedisTuning {
                            pipeline: args.redis_pipeline,
                            inflight: args.redis_inflight,
                            read_count: args.redis_read_count,
                        };
                        Redis::locate(path, tuning).map(Runner::Redis)
                    }),
                SystemId::Nats => {
                    server_path(args.nats_server.as_ref(), "nats-server").and_then(|path| {
                        let tuning = NatsTuning {
                            window: args.nats_window,
                            fetch_batch: args.nats_fetch_batch,
                        };
                        Nats::locate(path, tuning, tiers, args.nats_untiered, work_dir)
                            .map(Runner::Nats)
                    })
                }
            };
            (id, runner.map_err(|e| format!("{e:#}")))
        })
        .collect()
}

/// `--redis-server`/`--nats-server` if given (it must exist), else a search of PATH and sbin.
fn server_path(flag: Option<&PathBuf>, name: &str) -> Result<PathBuf> {
    match flag {
        Some(path) if process::is_executable(path) => Ok(path.clone()),
        Some(path) => anyhow::bail!("{} is not an executable file", path.display()),
        None => process::find_binary(name).with_context(|| {
            format!(
                "{name} not found on PATH or in /usr/local/sbin, /usr/sbin, /sbin; install it \
                 (`apt-get install -y redis-server nats-server`) or pass --{name}"
            )
        }),
    }
}

/// `<repo>/target/release`, the repository being the parent of this crate's directory.
fn default_rustlog_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("target")
        .join("release")
}

async fn run_matrix(
    systems: &[(SystemId, Result<Runner, String>)],
    tiers: &[Tier],
    runs: usize,
    cfg: &TrialConfig,
    cells: &mut BTreeMap<CellKey, Cell>,
) {
    for run in 1..=runs {
        for &tier in tiers {
            for (id, located) in systems {
                let Ok(runner) = located else { continue };
                if runner.plan(tier).is_err() {
                    continue;
                }
                let trial_started = Instant::now();
                let outcome = runner.trial(tier, cfg).await;
                eprintln!(
                    "[run {run}/{runs}] {tier:<8} {id:<7} produce {:>9}  consume {:>9}  ({:.1} s)",
                    short(&outcome.produce),
                    short(&outcome.consume),
                    trial_started.elapsed().as_secs_f64()
                );
                for (workload, result) in [
                    (Workload::Produce, &outcome.produce),
                    (Workload::Consume, &outcome.consume),
                ] {
                    if let Err(e) = result {
                        eprintln!("    {id} {tier} {workload}: {e}");
                    }
                    if let Some(cell) = cells.get_mut(&(tier, workload, *id)) {
                        cell.samples.push(result.clone());
                    }
                }
            }
        }
    }
}

fn short(result: &Result<f64, String>) -> String {
    match result {
        Ok(v) => table::fmt_rate(*v),
        Err(_) => "ERROR".to_string(),
    }
}

fn print_header(
    command: &str,
    date: &str,
    cores: usize,
    load: &str,
    cfg: &TrialConfig,
    runs: usize,
    systems: &[SystemReport],
) {
    println!("rustlog-compare: {command}");
    println!("date (UTC): {date}");
    println!("machine: {cores} cores; load average {load}");
    println!(
        "workloads: {} messages of {} bytes, {} run(s); data dirs under {}",
        cfg.count,
        cfg.message_size,
        runs,
        cfg.work_dir.display()
    );
    for system in systems {
        match (&system.version, &system.skipped) {
            (Some(version), _) => {
                println!("{}: {version}", system.system);
                for (tier, setup) in &system.setup {
                    println!("  {tier:<8} {setup}");
                }
            }
            (None, Some(why)) => println!("{}: skipped: {why}", system.system),
            (None, None) => {}
        }
    }
    println!();
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() -> Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C"),
        _ = term.recv() => Ok(()),
    }
}

/// The three load averages from /proc/loadavg, or why they are missing.
fn load_average() -> String {
    match std::fs::read_to_string("/proc/loadavg") {
        Ok(text) => text
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => format!("unknown ({e})"),
    }
}

/// Current UTC time as `YYYY-MM-DD HH:MM:SS`, without a date crate.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(0),
        u32::try_from(d).unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_515), (2026, 3, 3));
    }
}
