//! [`EmbeddedBroker`]: a broker on its own tokio runtime thread, for blocking callers (the Python
//! and Node bindings' embedded broker, small apps, tests). `stop()` or drop shuts it down
//! gracefully (flush and fsync) and joins the thread.
//!
//! The Kafka listener follows the config: [`BrokerConfig::ephemeral`], what the bindings and
//! tests use, has it off (embedded brokers run side by side, and Kafka's fixed port 9092 would
//! collide); set `kafka_listen` (e.g. to `127.0.0.1:0`) to turn it on.

use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::server::Broker;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Worker threads of an embedded broker's runtime.
pub const EMBEDDED_WORKER_THREADS: usize = 2;

/// A broker running on a background thread.
#[derive(Debug)]
pub struct EmbeddedBroker {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    data_dir: PathBuf,
    stop_tx: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), BrokerError>>>,
}

impl EmbeddedBroker {
    /// Starts a broker and returns once it listens (or failed to start).
    pub fn start(config: BrokerConfig) -> Result<EmbeddedBroker, BrokerError> {
        let data_dir = config.data_dir.clone();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("rustlog-embedded-broker".into())
            .spawn(move || -> Result<(), BrokerError> {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(EMBEDDED_WORKER_THREADS)
                    .thread_name("rustlog-broker")
                    .enable_all()
                    .build()
                    .map_err(|err| BrokerError::Runtime(err.to_string()));
                let runtime = match runtime {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return Ok(());
                    }
                };
                runtime.block_on(async move {
                    let handle = match Broker::start(config).await {
                        Ok(handle) => handle,
                        Err(err) => {
                            let _ = ready_tx.send(Err(err));
                            return Ok(());
                        }
                    };
                    let _ = ready_tx.send(Ok((handle.local_addr(), handle.metrics_addr())));
                    // Stop on request, or when the EmbeddedBroker is dropped (sender gone).
                    let _ = stop_rx.await;
                    handle.shutdown().await
                })
            })
            .map_err(|err| BrokerError::Runtime(format!("spawn broker thread: {err}")))?;
        match ready_rx.recv() {
            Ok(Ok((addr, metrics_addr))) => Ok(EmbeddedBroker {
                addr,
                metrics_addr,
                data_dir,
                stop_tx: Some(stop_tx),
                thread: Some(thread),
            }),
            Ok(Err(err)) => {
                let _ = thread.join();
                Err(err)
            }
            Err(_) => {
                let _ = thread.join();
                Err(BrokerError::Runtime(
                    "broker thread ended before it started listening".into(),
                ))
            }
        }
    }

    /// The protocol address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The metrics address, when on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Shuts down gracefully and waits. Calling it again does nothing.
    pub fn stop(&mut self) -> Result<(), BrokerError> {
        if let Some(stop) = self.stop_tx.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| BrokerError::Runtime("broker thread panicked".into()))?,
            None => Ok(()),
        }
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        if let Err(err) = self.stop() {
            tracing::error!(error = %err, "embedded broker stop failed");
        }
    }
}
