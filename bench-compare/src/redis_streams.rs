//! Redis Streams: `redis-server` with an append-only file, XADD in pipelines (the `redis`
//! crate), XRANGE to read back (the lean reader in `resp`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use futures::StreamExt;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Value};

use crate::cli::Tier;
use crate::process::{first_line_of, Scratch};
use crate::resp::RespConnection;
use crate::trial::{self, check_count, rate, TrialConfig, TrialOutcome};

const KEY: &str = "bench";
const FIELD: &str = "v";

/// Client-side batching knobs, from the command line.
#[derive(Debug, Clone, Copy)]
pub struct RedisTuning {
    /// XADDs per pipeline.
    pub pipeline: u64,
    /// Pipelines in flight on the connection.
    pub inflight: u64,
    /// Entries per XRANGE.
    pub read_count: u64,
}

pub struct Redis {
    program: PathBuf,
    pub version: String,
    tuning: RedisTuning,
}

impl Redis {
    pub fn locate(program: PathBuf, tuning: RedisTuning) -> Result<Redis> {
        let version = first_line_of(&program, &["--version"])?;
        Ok(Redis {
            program,
            version,
            tuning,
        })
    }

    /// The AOF is the only persistence (`--save ""` turns RDB snapshots off), and its fsync
    /// policy is the tier. Automatic AOF rewrites are off: a rewrite is a background compaction
    /// (a fork plus a full copy) that RustLog and NATS do not do during the run either.
    pub fn server_args(tier: Tier, port: &str, dir: &str) -> Vec<String> {
        let appendfsync = match tier {
            Tier::Never => "no",
            Tier::Interval => "everysec",
            Tier::Always => "always",
        };
        [
            "--bind",
            "127.0.0.1",
            "--port",
            port,
            "--dir",
            dir,
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            appendfsync,
            "--auto-aof-rewrite-percentage",
            "0",
        ]
        .map(str::to_string)
        .to_vec()
    }

    pub fn describe(&self, tier: Tier) -> String {
        let args = Self::server_args(tier, "<port>", "<tmp>/data")
            .into_iter()
            .map(|a| if a.is_empty() { "\"\"".to_string() } else { a })
            .collect::<Vec<_>>();
        format!(
            "{} {}; produce: XADD {KEY} * {FIELD} <value> in pipelines of {} x {} in flight; \
             consume: XRANGE COUNT {}",
            self.program.display(),
            args.join(" "),
            self.tuning.pipeline,
            self.tuning.inflight,
            self.tuning.read_count
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
        let spec = trial::spec("redis", &self.program, cfg, &args);
        trial::run(
            &spec,
            cfg,
            |addr| async move { self.produce(&addr, cfg).await },
            |addr| async move { self.consume(&addr, cfg).await },
        )
        .await
    }

    /// A `redis` crate connection, used for the produce side (where it keeps up with
    /// `redis-benchmark -P 1000`) and for XLEN.
    async fn connect(addr: &str, cfg: &TrialConfig) -> Result<MultiplexedConnection> {
        let client = redis::Client::open(format!("redis://{addr}/"))
            .with_context(|| format!("redis client for {addr}"))?;
        // The crate's default 500 ms response timeout is far too short for a pipeline of
        // thousands of XADDs with fsync; the workload timeout bounds everything instead.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(cfg.startup_timeout))
            .set_response_timeout(Some(cfg.workload_timeout));
        let mut con = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .with_context(|| format!("connecting to redis at {addr}"))?;
        // TCP accept is not readiness: wait for an answered command.
        let _: String = redis::cmd("PING")
            .query_async(&mut con)
            .await
            .context("redis PING")?;
        Ok(con)
    }

    async fn produce(&self, addr: &str, cfg: &TrialConfig) -> Result<f64> {
        let con = Self::connect(addr, cfg).await?;
        let payload: Arc<[u8]> = cfg.payload().into();
        let pipeline = self.tuning.pipeline;
        let batches = (0..cfg.count.div_ceil(pipeline))
            .map(|i| pipeline.min(cfg.count - i * pipeline))
            .collect::<Vec<_>>();
        let inflight = usize::try_from(self.tuning.inflight).unwrap_or(1);

        let started = Instant::now();
        let mut acked = 0u64;
        let mut replies = futures::stream::iter(batches)
            .map(|n| {
                let mut con = con.clone();
                let payload = Arc::clone(&payload);
                async move { xadd_batch(&mut con, n, &payload).await }
            })
            .buffer_unordered(inflight);
        while let Some(batch) = replies.next().await {
            acked += batch?;
        }
        let elapsed = started.elapsed();
        drop(replies);

        check_count("redis XADD", acked, cfg.count)?;
        let mut con = con;
        let len: u64 = redis::cmd("XLEN")
            .arg(KEY)
            .query_async(&mut con)
            .await
            .context("redis XLEN")?;
        check_count("redis stream (XLEN)", len, cfg.count)?;
        Ok(rate(cfg.count, elapsed))
    }

    /// Reads the stream from the start, one XRANGE at a time: each range starts after the last
    /// id returned, so only one can be in flight. Uses the lean reader in `resp` (see there).
    async fn consume(&self, addr: &str, cfg: &TrialConfig) -> Result<f64> {
        let mut con = RespConnection::connect(addr).await?;
        let value_len = usize::try_from(cfg.message_size).context("message size")?;
        let mut start = "-".to_string();
        let mut read = 0u64;

        let started = Instant::now();
        while read < cfg.count {
            let batch = con
                .xrange(
                    KEY,
                    &start,
                    self.tuning.read_count,
                    FIELD.as_bytes(),
                    value_len,
                )
                .await
                .context("redis XRANGE")?;
            let Some(last_id) = batch.last_id else {
                break; // the stream ended early; the count check below reports it
            };
            // `(id` is an exclusive start, so the next call begins after the last entry read.
            start = format!("({last_id}");
            read += batch.entries;
        }
        let elapsed = started.elapsed();

        check_count("redis XRANGE", read, cfg.count)?;
        Ok(rate(cfg.count, elapsed))
    }
}

/// Sends `n` XADDs as one pipeline; returns how many were acknowledged with an entry id.
async fn xadd_batch(con: &mut MultiplexedConnection, n: u64, payload: &[u8]) -> Result<u64> {
    let mut pipe = redis::pipe();
    for _ in 0..n {
        pipe.cmd("XADD").arg(KEY).arg("*").arg(FIELD).arg(payload);
    }
    let replies: Vec<Value> = pipe.query_async(con).await.context("redis XADD pipeline")?;
    let mut ids = 0u64;
    for reply in &replies {
        match reply {
            Value::BulkString(_) | Value::SimpleString(_) => ids += 1,
            other => bail!("XADD answered {other:?}"),
        }
    }
    Ok(ids)
}
