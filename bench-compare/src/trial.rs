//! What one trial (one system, one tier, one run) is given and what it returns.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::process::{Scratch, ServerGuard, ServerSpec};

/// Settings shared by every system's trial.
#[derive(Debug, Clone)]
pub struct TrialConfig {
    pub count: u64,
    pub message_size: u64,
    pub work_dir: PathBuf,
    pub startup_timeout: Duration,
    pub workload_timeout: Duration,
}

impl TrialConfig {
    /// The value every system writes: the same bytes everywhere, so no system gets an easier
    /// (more compressible, shorter) payload. Printable ASCII keeps Redis and NATS logs readable.
    pub fn payload(&self) -> Vec<u8> {
        let size = usize::try_from(self.message_size).unwrap_or(usize::MAX);
        (0..size)
            .map(|i| b'a' + u8::try_from(i % 26).unwrap_or(0))
            .collect()
    }
}

/// Messages per second of the two workloads, or why a number could not be produced.
#[derive(Debug, Clone)]
pub struct TrialOutcome {
    pub produce: Result<f64, String>,
    pub consume: Result<f64, String>,
}

impl TrialOutcome {
    /// Both workloads failed for one reason (e.g. the server did not start).
    pub fn failed(reason: &anyhow::Error) -> TrialOutcome {
        let text = format!("{reason:#}");
        TrialOutcome {
            produce: Err(text.clone()),
            consume: Err(format!("not run: {text}")),
        }
    }
}

/// Messages per second, guarding against a zero duration on absurdly small counts.
pub fn rate(count: u64, elapsed: Duration) -> f64 {
    // u64 -> f64 is exact up to 2^53 messages, far beyond any run.
    #[allow(clippy::cast_precision_loss)]
    let count = count as f64;
    count / elapsed.as_secs_f64().max(1e-9)
}

/// Runs `fut` with the workload time limit, naming the workload in the error.
pub async fn with_timeout<T>(
    limit: Duration,
    what: &str,
    fut: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(limit, fut)
        .await
        .with_context(|| format!("{what} did not finish within {limit:?}"))?
}

/// Fails unless exactly `expected` messages moved: a partial run must never become a number.
pub fn check_count(what: &str, moved: u64, expected: u64) -> Result<()> {
    if moved != expected {
        anyhow::bail!("{what} moved {moved} messages, expected {expected}");
    }
    Ok(())
}

/// The server to start for a trial of `name`: `program` with the arguments `args` builds.
pub fn spec<'a>(
    name: &'static str,
    program: &'a std::path::Path,
    cfg: &'a TrialConfig,
    args: &'a dyn Fn(u16, &Scratch) -> Result<Vec<String>>,
) -> ServerSpec<'a> {
    ServerSpec {
        name,
        program,
        work_dir: &cfg.work_dir,
        ready_timeout: cfg.startup_timeout,
        args,
    }
}

/// The shape of every system's trial: start the server, produce, then (if that worked)
/// consume, each under the workload time limit and followed by a check that the server is
/// still alive, then stop the server. `produce` and `consume` get the server's address.
pub async fn run<P, PF, C, CF>(
    spec: &ServerSpec<'_>,
    cfg: &TrialConfig,
    produce: P,
    consume: C,
) -> TrialOutcome
where
    P: FnOnce(String) -> PF,
    PF: Future<Output = Result<f64>>,
    C: FnOnce(String) -> CF,
    CF: Future<Output = Result<f64>>,
{
    let mut server = match ServerGuard::start(spec).await {
        Ok(server) => server,
        Err(e) => return TrialOutcome::failed(&e),
    };
    let addr = server.addr().to_string();
    let name = spec.name;
    let produced = with_timeout(
        cfg.workload_timeout,
        &format!("{name} produce"),
        produce(addr.clone()),
    )
    .await
    .and_then(|rate| server.check_alive().map(|()| rate));
    let consumed = match &produced {
        Ok(_) => with_timeout(
            cfg.workload_timeout,
            &format!("{name} consume"),
            consume(addr),
        )
        .await
        .and_then(|rate| server.check_alive().map(|()| rate)),
        Err(_) => Err(anyhow::anyhow!("not run: produce failed")),
    };
    let stopped = server.shutdown().await;
    finish(produced, consumed, stopped)
}

/// Turns the workload results and the server's exit into the trial outcome; a failed stop is
/// reported on the consume cell so it is visible without hiding a valid produce figure.
fn finish(
    produce: Result<f64>,
    consume: Result<f64>,
    stopped: Result<std::process::ExitStatus>,
) -> TrialOutcome {
    let consume = match (consume, stopped) {
        (Ok(rate), Ok(_)) => Ok(rate),
        (Ok(_), Err(e)) => Err(format!("server stop: {e:#}")),
        (Err(e), _) => Err(format!("{e:#}")),
    };
    TrialOutcome {
        produce: produce.map_err(|e| format!("{e:#}")),
        consume,
    }
}
