//! [`Broker::start`]: open storage and groups, bind the listeners, spawn the accept loop, the
//! metrics endpoint, the maintenance task and the group ticker; [`BrokerHandle`] reports the
//! bound addresses and shuts everything down gracefully (stop accepting, finish in-flight
//! requests, flush and fsync every partition).

use crate::config::{BrokerConfig, KafkaEndpoint};
use crate::connection::{self, Native, Protocol, QueuedBytesPool};
use crate::error::BrokerError;
use crate::groups::{Coordinator, CoordinatorLimits, GroupStore};
use crate::kafka::Kafka;
use crate::metrics::Metrics;
use crate::metrics_http;
use crate::notify::AppendNotifier;
use crate::state::{BrokerState, ScrapeGauges};
use crate::storage::{FlushReport, LogManager, StdIo, StorageError};
use bytes::Bytes;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, oneshot, watch, Semaphore};
use tokio::task::JoinHandle;

/// Pause after a failed `accept` (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);
/// How long the broker tries to tell a refused connection why before closing it.
const REJECT_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// Starts brokers.
#[derive(Debug)]
pub struct Broker;

impl Broker {
    /// Opens `config.data_dir` (running storage recovery), binds the listeners and starts serving.
    pub async fn start(config: BrokerConfig) -> Result<BrokerHandle, BrokerError> {
        config.validate()?;
        let data_dir = config.data_dir.clone();
        std::fs::create_dir_all(&data_dir).map_err(|source| BrokerError::Io {
            op: "create data dir",
            path: data_dir.clone(),
            source,
        })?;
        let mut defaults = config.topic_defaults.clone();
        defaults.compaction_map_bytes_max = config.limits.compaction_map_bytes_max;
        let open_dir = data_dir.clone();
        let open_segments_max = config.limits.open_segments_max;
        let logs = tokio::task::spawn_blocking(move || {
            LogManager::open_capped(&open_dir, defaults, StdIo::shared(), open_segments_max)
        })
        .await
        .map_err(|err| BrokerError::Runtime(format!("storage open task failed: {err}")))??;
        let logs = Arc::new(logs);
        let partitions_of = {
            let logs = logs.clone();
            Arc::new(move |topic: &str| logs.topic(topic).map_or(0, |meta| meta.partitions))
        };
        let groups = Coordinator::open(
            GroupStore::open(&data_dir)?,
            partitions_of,
            CoordinatorLimits {
                session_timeout_ms_min: config.limits.session_timeout_ms_min,
                session_timeout_ms_max: config.limits.session_timeout_ms_max,
            },
        )?;
        let backlog = config.limits.listen_backlog;
        let listener = bind(config.listen, backlog).map_err(|source| BrokerError::Bind {
            what: "protocol, --listen",
            addr: config.listen,
            source,
        })?;
        let local_addr = listener.local_addr().map_err(|source| BrokerError::Bind {
            what: "protocol, --listen",
            addr: config.listen,
            source,
        })?;
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(bind(addr, backlog).map_err(|source| BrokerError::Bind {
                what: "metrics, --metrics-listen",
                addr,
                source,
            })?),
            None => None,
        };
        let metrics_addr = match &metrics_listener {
            Some(l) => Some(l.local_addr().map_err(|source| BrokerError::Bind {
                what: "metrics, --metrics-listen",
                addr: config.metrics_listen.unwrap_or(local_addr),
                source,
            })?),
            None => None,
        };
        let kafka = bind_kafka(&config).await?;

        if !local_addr.ip().is_loopback() {
            tracing::warn!(%local_addr, "listening on a non-loopback address: reachable from the network, without TLS or authentication");
        }
        if let Some((_, kafka_addr, _)) = kafka
            .as_ref()
            .filter(|(_, addr, _)| !addr.ip().is_loopback())
        {
            tracing::warn!(%kafka_addr, "Kafka listener on a non-loopback address: reachable from the network, without TLS or authentication");
        }
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let config_queued_bytes_max = config.limits.queued_response_bytes_max;
        // The metrics registry holds its scrape-time collector, which reads this state.
        let state = Arc::new_cyclic(|state| BrokerState {
            config,
            logs,
            groups,
            metrics: Metrics::new(Box::new(ScrapeGauges::new(state.clone()))),
            notifier: AppendNotifier::default(),
            shutdown: shutdown_rx,
            kafka_advertised: kafka.as_ref().map(|(_, _, advertised)| advertised.clone()),
            queued_bytes: Arc::new(QueuedBytesPool::new(config_queued_bytes_max)),
        });
        let (conn_tx, conn_rx) = mpsc::channel::<()>(1);
        // One connection cap across both listeners: it bounds the broker's sockets and memory.
        let permits = Arc::new(Semaphore::new(state.config.limits.connections_max));
        let kafka_addr = kafka.as_ref().map(|(_, addr, _)| *addr);
        let mut tasks = vec![
            tokio::spawn(accept_loop::<Native>(
                state.clone(),
                listener,
                permits.clone(),
                conn_tx.clone(),
            )),
            tokio::spawn(maintenance_loop(state.clone())),
            tokio::spawn(group_ticker(state.clone())),
        ];
        if let Some((listener, _, _)) = kafka {
            tasks.push(tokio::spawn(accept_loop::<Kafka>(
                state.clone(),
                listener,
                permits,
                conn_tx,
            )));
        }
        // Stopped after the final flush, not with the other tasks: /readyz answers 503 meanwhile.
        let metrics_endpoint = metrics_listener.map(|listener| {
            let (stop_tx, stop_rx) = oneshot::channel::<()>();
            let stop = async {
                let _ = stop_rx.await;
            };
            let limits = metrics_http::HttpLimits::default();
            let task = tokio::spawn(metrics_http::serve(state.clone(), listener, limits, stop));
            (stop_tx, task)
        });
        tracing::info!(
            %local_addr,
            metrics = ?metrics_addr,
            kafka = ?kafka_addr,
            data_dir = %data_dir.display(),
            "broker started"
        );
        Ok(BrokerHandle {
            state,
            local_addr,
            metrics_addr,
            kafka_addr,
            data_dir,
            shutdown_tx,
            conn_rx: Some(conn_rx),
            tasks,
            metrics_endpoint,
        })
    }
}

/// A running broker. Dropping it signals shutdown without waiting; call
/// [`BrokerHandle::shutdown`] to wait for the flush.
#[derive(Debug)]
pub struct BrokerHandle {
    state: Arc<BrokerState>,
    local_addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    kafka_addr: Option<SocketAddr>,
    data_dir: PathBuf,
    shutdown_tx: watch::Sender<bool>,
    conn_rx: Option<mpsc::Receiver<()>>,
    tasks: Vec<JoinHandle<()>>,
    /// The metrics endpoint's stop signal and task.
    metrics_endpoint: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl BrokerHandle {
    /// The bound protocol address (the real port when started on port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The bound metrics address, when the metrics listener is on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The bound Kafka-protocol address, when the Kafka listener is on.
    pub fn kafka_addr(&self) -> Option<SocketAddr> {
        self.kafka_addr
    }

    /// What the Kafka listener advertises in Metadata, when it is on.
    pub fn kafka_advertised(&self) -> Option<&KafkaEndpoint> {
        self.state.kafka_advertised.as_ref()
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Current OpenMetrics text (same as `GET /metrics`).
    pub fn metrics_text(&self) -> String {
        self.state.render_metrics()
    }

    /// Stops accepting, lets in-flight requests finish (long polls end early), then flushes and
    /// fsyncs every partition.
    pub async fn shutdown(mut self) -> Result<(), BrokerError> {
        tracing::info!("shutting down");
        self.shutdown_tx.send_replace(true);
        self.state.groups.shutdown();
        let timeout = Duration::from_millis(self.state.config.limits.shutdown_timeout_ms);
        if let Some(mut conn_rx) = self.conn_rx.take() {
            // Every connection task holds a sender; recv() yields None once all ended.
            if tokio::time::timeout(timeout, conn_rx.recv()).await.is_err() {
                tracing::warn!(
                    timeout_ms = timeout.as_millis() as u64,
                    "connections still open at the shutdown timeout"
                );
            }
        }
        for task in self.tasks.drain(..) {
            task.abort();
            let _ = task.await;
        }
        let logs = self.state.logs.clone();
        let started = Instant::now();
        let report = tokio::task::spawn_blocking(move || logs.flush_all())
            .await
            .map_err(|err| BrokerError::Runtime(format!("flush task failed: {err}")))??;
        self.state.metrics.fsync_latency.observe(started.elapsed());
        log_flush_report(&report);
        if let Some((stop, task)) = self.metrics_endpoint.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
        Ok(())
    }
}

impl Drop for BrokerHandle {
    fn drop(&mut self) {
        self.shutdown_tx.send_replace(true);
        for task in &self.tasks {
            task.abort();
        }
        if let Some((_, task)) = &self.metrics_endpoint {
            task.abort();
        }
    }
}

/// The last line of a clean shutdown: every partition is flushed (else shutdown failed), and
/// what could not be written besides, which costs only a longer replay at the next start.
fn log_flush_report(report: &FlushReport) {
    if report.snapshots_not_written.is_empty() && report.recovery_points_not_written.is_empty() {
        tracing::info!(
            partitions = report.partitions_flushed,
            "shutdown complete: every partition flushed"
        );
        return;
    }
    let list = |items: &[(String, u32, StorageError)]| -> String {
        let parts: Vec<String> = items
            .iter()
            .map(|(topic, partition, err)| format!("{topic}/{partition}: {err}"))
            .collect();
        parts.join("; ")
    };
    tracing::warn!(
        partitions = report.partitions_flushed,
        snapshots_not_written = %list(&report.snapshots_not_written),
        recovery_points_not_written = %list(&report.recovery_points_not_written),
        "shutdown complete: every partition flushed (every acknowledged record is durable); \
         what was not written only makes the next start replay or check more"
    );
}

/// Binds the Kafka listener when it is on; returns it, its address and what Metadata advertises.
async fn bind_kafka(
    config: &BrokerConfig,
) -> Result<Option<(TcpListener, SocketAddr, KafkaEndpoint)>, BrokerError> {
    let Some(addr) = config.kafka_listen else {
        return Ok(None);
    };
    let bind_error = |source| BrokerError::Bind {
        what: "kafka, --kafka-listen",
        addr,
        source,
    };
    let listener = bind(addr, config.limits.listen_backlog).map_err(bind_error)?;
    let bound = listener.local_addr().map_err(bind_error)?;
    let advertised = KafkaEndpoint::for_bound(config.kafka_advertised_listener.as_ref(), bound)
        .ok_or_else(|| BrokerError::InvalidConfig {
            key: "--kafka-advertised-listener".into(),
            reason: format!(
                "required when --kafka-listen binds the wildcard address {bound}: clients cannot connect to it"
            ),
        })?;
    Ok(Some((listener, bound, advertised)))
}

/// Binds `addr` with `backlog` pending connections (`TcpListener::bind` fixes it at 128).
fn bind(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As std and tokio do: a restarted broker can bind while old connections sit in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

async fn accept_loop<P: Protocol>(
    state: Arc<BrokerState>,
    listener: TcpListener,
    permits: Arc<Semaphore>,
    conn_tx: mpsc::Sender<()>,
) {
    let mut shutdown = state.shutdown.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(err) => {
                tracing::warn!(error = %err, "accept failed");
                tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            Metrics::add(&state.metrics.connections_rejected, 1);
            tracing::warn!(%peer, max = state.config.limits.connections_max, "connection limit reached; refusing");
            if let Some(reply) = P::rejection(state.config.limits.connections_max) {
                tokio::spawn(reject(stream, reply));
            }
            continue;
        };
        Metrics::add(&state.metrics.connections_accepted, 1);
        let state = state.clone();
        let done = conn_tx.clone();
        tokio::spawn(async move {
            // Dropped on every exit path (even a panic in a handler): gauge, slot and the
            // shutdown tracker stay right.
            let _open = OpenConnection::new(state.clone(), permit, done);
            connection::serve::<P>(state, stream, peer).await;
        });
    }
    tracing::info!("stopped accepting connections");
}

/// Holds a connection's slot: counts it in the open-connections gauge while alive.
struct OpenConnection {
    state: Arc<BrokerState>,
    _permit: tokio::sync::OwnedSemaphorePermit,
    _done: mpsc::Sender<()>,
}

impl OpenConnection {
    fn new(
        state: Arc<BrokerState>,
        permit: tokio::sync::OwnedSemaphorePermit,
        done: mpsc::Sender<()>,
    ) -> Self {
        state.metrics.connections_open.inc();
        OpenConnection {
            state,
            _permit: permit,
            _done: done,
        }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.state.metrics.connections_open.dec();
    }
}

/// Tells a client over the connection limit why it is refused, then closes.
async fn reject(mut stream: TcpStream, reply: Bytes) {
    let _ = tokio::time::timeout(REJECT_WRITE_TIMEOUT, async {
        let _ = stream.write_all(&reply).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// Runs storage maintenance (rolls, retention, compaction, interval fsync) periodically.
async fn maintenance_loop(state: Arc<BrokerState>) {
    let period = Duration::from_millis(state.config.limits.maintenance_interval_ms);
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = state.shutdown.clone();
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.changed() => return,
        }
        let logs = state.logs.clone();
        let now_ms = now_ms();
        if let Err(err) = tokio::task::spawn_blocking(move || logs.run_maintenance(now_ms)).await {
            tracing::error!(error = %err, "maintenance task failed");
        }
        state.notifier.prune();
    }
}

/// Expires group sessions and overdue rebalances.
async fn group_ticker(state: Arc<BrokerState>) {
    let mut ticker = tokio::time::interval(crate::groups::coordinator::TICK_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = state.shutdown.clone();
    loop {
        tokio::select! {
            _ = ticker.tick() => state.groups.tick(Instant::now()),
            _ = shutdown.changed() => return,
        }
    }
}

/// Wall clock in ms since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
