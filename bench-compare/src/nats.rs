//! NATS JetStream: `nats-server -js` with a file-storage stream, windowed async publishes, and a
//! pull consumer with `AckPolicy::None` reading everything back.
//!
//! The fsync behaviour is a server-wide JetStream setting, `sync_interval` (2.10+). Which tiers
//! the installed server can express is found out at start-up by asking it to validate a config
//! (`nats-server -t`), so the same harness does the right thing on Debian's 2.9 and on newer
//! servers.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use async_nats::jetstream::context::ContextBuilder;
use async_nats::jetstream::stream::{Config as StreamConfig, StorageType};
use async_nats::jetstream::{self, Context as JetStream};
use bytes::Bytes;
use futures::StreamExt;

use crate::cli::Tier;
use crate::process::{first_line_of, Scratch};
use crate::trial::{self, check_count, rate, TrialConfig, TrialOutcome};

const STREAM: &str = "BENCH";
const SUBJECT: &str = "bench";
/// Poll step while waiting for JetStream to answer after the port opened.
const READY_POLL: Duration = Duration::from_millis(50);

/// Client-side batching knobs, from the command line.
#[derive(Debug, Clone, Copy)]
pub struct NatsTuning {
    /// Publish acks kept pending.
    pub window: u64,
    /// Messages per pull request.
    pub fetch_batch: u64,
}

/// How one tier is expressed on this nats-server.
#[derive(Debug, Clone)]
pub enum TierPlan {
    /// Run with this `sync_interval` (None: the server's built-in behaviour).
    Run {
        sync_interval: Option<&'static str>,
        /// False when the server cannot express the tier and `--nats-untiered` asked for a
        /// measurement anyway: the cell is marked and must not be read as like-for-like.
        like_for_like: bool,
        note: String,
    },
    /// Not measured, with the reason shown in the table.
    Unsupported(String),
}

pub struct Nats {
    program: PathBuf,
    pub version: String,
    tuning: NatsTuning,
    plans: BTreeMap<Tier, TierPlan>,
}

impl Nats {
    pub fn locate(
        program: PathBuf,
        tuning: NatsTuning,
        tiers: &[Tier],
        untiered: bool,
        work_dir: &Path,
    ) -> Result<Nats> {
        let version = first_line_of(&program, &["--version"])?;
        let mut plans = BTreeMap::new();
        for &tier in tiers {
            let plan = plan_tier(&program, &version, tier, untiered, work_dir)?;
            plans.insert(tier, plan);
        }
        Ok(Nats {
            program,
            version,
            tuning,
            plans,
        })
    }

    pub fn plan(&self, tier: Tier) -> TierPlan {
        self.plans
            .get(&tier)
            .cloned()
            .unwrap_or_else(|| TierPlan::Unsupported("tier not planned".to_string()))
    }

    fn server_args(port: &str, data_dir: &str, config: &str) -> Vec<String> {
        [
            "-a",
            "127.0.0.1",
            "-p",
            port,
            "-js",
            "-sd",
            data_dir,
            "-c",
            config,
        ]
        .map(str::to_string)
        .to_vec()
    }

    pub fn describe(&self, tier: Tier) -> String {
        let (setting, note) = match self.plan(tier) {
            TierPlan::Run {
                sync_interval: Some(s),
                note,
                ..
            } => (format!("jetstream {{ sync_interval: {s} }}"), note),
            TierPlan::Run {
                sync_interval: None,
                note,
                ..
            } => ("jetstream {}".to_string(), note),
            TierPlan::Unsupported(why) => return format!("not measured: {why}"),
        };
        format!(
            "{} {} with {setting} ({note}); produce: JetStream publish, {} acks pending; \
             consume: pull consumer, AckPolicy::None, batches of {}",
            self.program.display(),
            Self::server_args("<port>", "<tmp>/data", "<tmp>/nats.conf").join(" "),
            self.tuning.window,
            self.tuning.fetch_batch
        )
    }

    pub async fn trial(&self, tier: Tier, cfg: &TrialConfig) -> TrialOutcome {
        let sync_interval = match self.plan(tier) {
            TierPlan::Run { sync_interval, .. } => sync_interval,
            TierPlan::Unsupported(why) => {
                return TrialOutcome::failed(&anyhow::anyhow!("not measured: {why}"))
            }
        };
        let args = |port: u16, scratch: &Scratch| -> Result<Vec<String>> {
            let config = scratch.root.join("nats.conf");
            write_config(&config, sync_interval)?;
            Ok(Self::server_args(
                &port.to_string(),
                &scratch.data.to_string_lossy(),
                &config.to_string_lossy(),
            ))
        };
        let spec = trial::spec("nats", &self.program, cfg, &args);
        trial::run(
            &spec,
            cfg,
            |addr| async move { self.produce(&addr, cfg).await },
            |addr| async move { self.consume(&addr, cfg).await },
        )
        .await
    }

    /// Connects with the publish-ack cap set above the window.
    async fn connect(&self, addr: &str, cfg: &TrialConfig) -> Result<JetStream> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(cfg.startup_timeout)
            .request_timeout(Some(cfg.workload_timeout))
            .connect(addr)
            .await
            .with_context(|| format!("connecting to nats at {addr}"))?;
        // The window is enforced by this module; the context's own cap only needs to be above
        // it so it never blocks a publish first.
        let capacity = usize::try_from(self.tuning.window)
            .context("window")?
            .saturating_add(1);
        Ok(ContextBuilder::new()
            .timeout(cfg.workload_timeout)
            .max_ack_inflight(capacity)
            .build(client))
    }

    /// Creates the stream, retrying while JetStream is still starting (the client port opens
    /// before JetStream answers). The account-info call is not used as a readiness probe: this
    /// client version cannot decode nats-server 2.9's answer to it.
    async fn create_stream(js: &JetStream, cfg: &TrialConfig) -> Result<jetstream::stream::Stream> {
        let deadline = Instant::now() + cfg.startup_timeout;
        loop {
            let created = js
                .create_stream(StreamConfig {
                    name: STREAM.to_string(),
                    subjects: vec![SUBJECT.to_string()],
                    storage: StorageType::File,
                    ..Default::default()
                })
                .await;
            match created {
                Ok(stream) => return Ok(stream),
                Err(e) if Instant::now() >= deadline => {
                    return Err(anyhow::Error::new(e).context("creating the JetStream stream"))
                }
                Err(_) => tokio::time::sleep(READY_POLL).await,
            }
        }
    }

    async fn produce(&self, addr: &str, cfg: &TrialConfig) -> Result<f64> {
        let js = self.connect(addr, cfg).await?;
        let stream = Self::create_stream(&js, cfg).await?;
        let payload = Bytes::from(cfg.payload());
        let window = usize::try_from(self.tuning.window).context("window")?;
        let mut pending = VecDeque::with_capacity(window);
        let mut acked = 0u64;

        let started = Instant::now();
        for _ in 0..cfg.count {
            if pending.len() >= window {
                if let Some(ack) = pending.pop_front() {
                    check_ack(ack.await)?;
                    acked += 1;
                }
            }
            let ack = js
                .publish(SUBJECT, payload.clone())
                .await
                .context("JetStream publish")?;
            pending.push_back(ack);
        }
        // Acks come back in publish order, so awaiting the oldest first wastes no time.
        while let Some(ack) = pending.pop_front() {
            check_ack(ack.await)?;
            acked += 1;
        }
        let elapsed = started.elapsed();

        check_count("nats publish acks", acked, cfg.count)?;
        let info = stream.get_info().await.context("JetStream stream info")?;
        check_count(
            "nats stream (state.messages)",
            info.state.messages,
            cfg.count,
        )?;
        Ok(rate(cfg.count, elapsed))
    }

    async fn consume(&self, addr: &str, cfg: &TrialConfig) -> Result<f64> {
        let js = self.connect(addr, cfg).await?;
        let stream = js
            .get_stream(STREAM)
            .await
            .context("looking up the JetStream stream")?;
        // AckPolicy::None is the cheapest way to read: no ack per message, no redeliveries.
        let consumer = stream
            .create_consumer(pull::Config {
                ack_policy: AckPolicy::None,
                deliver_policy: DeliverPolicy::All,
                ..Default::default()
            })
            .await
            .context("creating the pull consumer")?;
        let batch = usize::try_from(self.tuning.fetch_batch).context("fetch batch")?;
        let value_len = usize::try_from(cfg.message_size).context("message size")?;
        let mut read = 0u64;

        let started = Instant::now();
        let mut messages = consumer
            .stream()
            .max_messages_per_batch(batch)
            .messages()
            .await
            .context("starting the pull stream")?;
        while read < cfg.count {
            let message = messages
                .next()
                .await
                .context("the pull stream ended early")?
                .context("receiving from the pull consumer")?;
            if message.payload.len() != value_len {
                bail!(
                    "message {} has {} bytes, expected {value_len}",
                    read + 1,
                    message.payload.len()
                );
            }
            read += 1;
        }
        let elapsed = started.elapsed();

        check_count("nats pull consumer", read, cfg.count)?;
        Ok(rate(cfg.count, elapsed))
    }
}

fn check_ack(
    ack: Result<jetstream::publish::PublishAck, jetstream::context::PublishError>,
) -> Result<()> {
    let ack = ack.context("JetStream publish ack")?;
    if ack.duplicate {
        bail!("JetStream flagged sequence {} as a duplicate", ack.sequence);
    }
    Ok(())
}

/// The `sync_interval` to try for a tier. NATS has no "never": the longest interval that still
/// reads as a deliberate setting stands in for it.
fn wanted_sync_interval(tier: Tier) -> &'static str {
    match tier {
        Tier::Never => "1h",
        Tier::Interval => "1s",
        Tier::Always => "always",
    }
}

/// Asks the server (`nats-server -t`) whether it accepts the tier's setting.
fn plan_tier(
    program: &Path,
    version: &str,
    tier: Tier,
    untiered: bool,
    work_dir: &Path,
) -> Result<TierPlan> {
    let wanted = wanted_sync_interval(tier);
    let probe = tempfile::Builder::new()
        .prefix("rustlog-compare-nats-probe-")
        .tempdir_in(work_dir)
        .with_context(|| format!("creating a temp dir in {}", work_dir.display()))?;
    let config = probe.path().join("probe.conf");
    write_config(&config, Some(wanted))?;
    let out = std::process::Command::new(program)
        .arg("-t")
        .arg("-c")
        .arg(&config)
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("running {} -t", program.display()))?;
    if out.status.success() {
        let note = match tier {
            Tier::Never => "sync_interval 1h: NATS has no 'never'; no timed fsync lands in a run",
            Tier::Interval => "sync_interval 1s",
            Tier::Always => "sync_interval always (fsync per write batch before the ack)",
        };
        return Ok(TierPlan::Run {
            sync_interval: Some(wanted),
            like_for_like: true,
            note: note.to_string(),
        });
    }
    // Keep only the server's reason: the rest of its message is the probe file's temp path.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let reason = stderr.trim().rsplit(": ").next().unwrap_or_default();
    let why = format!(
        "{version} rejects `sync_interval: {wanted}` ({reason}); sync_interval exists from \
         nats-server 2.10"
    );
    Ok(match tier {
        // The built-in behaviour is a background sync every couple of minutes, which no run
        // reaches: that is the page-cache tier.
        Tier::Never => TierPlan::Run {
            sync_interval: None,
            like_for_like: true,
            note: format!(
                "{version} has no sync setting; it fsyncs on a built-in background timer of \
                 minutes, so a run stays in the page cache; NATS has no true 'never'"
            ),
        },
        Tier::Interval | Tier::Always if untiered => TierPlan::Run {
            sync_interval: None,
            like_for_like: false,
            note: format!("{why}; measured at the built-in sync, NOT like-for-like"),
        },
        Tier::Interval | Tier::Always => TierPlan::Unsupported(why),
    })
}

/// The config file only carries the sync setting; port and store dir come from flags (giving
/// `store_dir` in both places makes nats-server refuse to start).
fn write_config(path: &Path, sync_interval: Option<&str>) -> Result<()> {
    let mut text = String::from("# written by rustlog-compare\njetstream {\n");
    if let Some(interval) = sync_interval {
        text.push_str(&format!("  sync_interval: {interval:?}\n"));
    }
    text.push_str("}\n");
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
