//! `rustlog.aio.Consumer`: `async for msg in consumer`, `await consumer.poll()`, `async with`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3_async_runtimes::tokio::future_into_py;
use rustlog::{ClientConfig, ConsumerConfig, ErrorCode, TopicPartition};
use tokio::sync::OnceCell;

use super::connected_then;
use crate::config::{client_config, consumer_config};
use crate::consumer::POLL_SLICE;
use crate::errors::{client_error_detached, closed};
use crate::types::{Message, MessageList};
use crate::wait::timeout_arg;

/// What every call needs: the configs to connect with and the connection once made.
struct Shared {
    client_cfg: ClientConfig,
    consumer_cfg: ConsumerConfig,
    connected: OnceCell<(rustlog::Client, rustlog::Consumer)>,
    /// Closed before it ever connected.
    closed_early: AtomicBool,
}

impl Shared {
    /// The consumer, connecting first if needed (a failed attempt is retried by the next call).
    async fn consumer(&self) -> rustlog::Result<rustlog::Consumer> {
        if self.closed_early.load(Ordering::Acquire) {
            return Err(rustlog::Error::Closed { what: "consumer" });
        }
        let (_, consumer) = self
            .connected
            .get_or_try_init(|| async {
                let client = rustlog::Client::connect_with(self.client_cfg.clone()).await?;
                let consumer = client.consumer(self.consumer_cfg.clone())?;
                Ok::<_, rustlog::Error>((client, consumer))
            })
            .await?;
        Ok(consumer.clone())
    }

    async fn poll(
        &self,
        max_messages: usize,
        timeout: Option<Duration>,
    ) -> rustlog::Result<Vec<rustlog::Message>> {
        let consumer = self.consumer().await?;
        loop {
            let messages = consumer
                .poll_batch(max_messages, timeout.unwrap_or(POLL_SLICE))
                .await?;
            if !messages.is_empty() || timeout.is_some() {
                return Ok(messages);
            }
        }
    }
}

/// The asyncio consumer-group member.
#[pyclass(module = "rustlog.aio", name = "Consumer", frozen)]
pub(crate) struct AsyncConsumer {
    shared: Arc<Shared>,
}

#[pymethods]
impl AsyncConsumer {
    #[new]
    #[pyo3(signature = (
        bootstrap = "127.0.0.1:7400", *, group_id, topics, auto_offset_reset = "earliest",
        enable_auto_commit = false, auto_commit_interval_ms = None, session_timeout_ms = None,
        rebalance_timeout_ms = None, fetch_max_wait_ms = None, fetch_max_bytes = None,
        client_id = None, request_timeout_ms = None, connect_timeout_ms = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        bootstrap: &str,
        group_id: String,
        topics: Vec<String>,
        auto_offset_reset: &str,
        enable_auto_commit: bool,
        auto_commit_interval_ms: Option<u64>,
        session_timeout_ms: Option<u32>,
        rebalance_timeout_ms: Option<u32>,
        fetch_max_wait_ms: Option<u32>,
        fetch_max_bytes: Option<u32>,
        client_id: Option<String>,
        request_timeout_ms: Option<u64>,
        connect_timeout_ms: Option<u64>,
    ) -> PyResult<Self> {
        let consumer_cfg = consumer_config(
            py,
            group_id,
            topics,
            auto_offset_reset,
            enable_auto_commit,
            auto_commit_interval_ms,
            session_timeout_ms,
            rebalance_timeout_ms,
            fetch_max_wait_ms,
            fetch_max_bytes,
        )?;
        Ok(AsyncConsumer {
            shared: Arc::new(Shared {
                client_cfg: client_config(
                    bootstrap,
                    client_id,
                    request_timeout_ms,
                    connect_timeout_ms,
                ),
                consumer_cfg,
                connected: OnceCell::new(),
                closed_early: AtomicBool::new(false),
            }),
        })
    }

    /// Connects now (otherwise the first call connects).
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let shared = self.shared.clone();
        connected_then(py, async move { shared.consumer().await }, ())
    }

    /// Resolves to the next message, or `None` when nothing arrived within `timeout` seconds
    /// (`None`: waits until one arrives).
    #[pyo3(signature = (timeout = None))]
    fn poll<'py>(&self, py: Python<'py>, timeout: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        let timeout = timeout_arg(timeout)?;
        let shared = self.shared.clone();
        future_into_py(py, async move {
            let mut messages = shared
                .poll(1, timeout)
                .await
                .map_err(client_error_detached)?;
            Ok(messages.pop().map(Message::from))
        })
    }

    /// Resolves to up to `max_messages` messages, waiting up to `timeout` seconds for the first.
    #[pyo3(signature = (max_messages = 500, timeout = None))]
    fn poll_batch<'py>(
        &self,
        py: Python<'py>,
        max_messages: usize,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let timeout = timeout_arg(timeout)?;
        let shared = self.shared.clone();
        future_into_py(py, async move {
            let messages = shared
                .poll(max_messages, timeout)
                .await
                .map_err(client_error_detached)?;
            Ok(MessageList(messages))
        })
    }

    /// Commits `msg.offset + 1`, or (no argument) the position after every message returned.
    #[pyo3(signature = (msg = None))]
    fn commit<'py>(
        &self,
        py: Python<'py>,
        msg: Option<PyRef<'py, Message>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let message = msg.map(|m| m.inner.clone());
        let shared = self.shared.clone();
        future_into_py(py, async move {
            let consumer = shared.consumer().await.map_err(client_error_detached)?;
            match message {
                Some(m) => consumer.commit(&m).await,
                None => consumer.commit_consumed().await,
            }
            .map_err(client_error_detached)
        })
    }

    /// Resolves to the group's committed offset for a partition, if any.
    fn committed<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        partition: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let shared = self.shared.clone();
        future_into_py(py, async move {
            let consumer = shared.consumer().await.map_err(client_error_detached)?;
            let tp = TopicPartition { topic, partition };
            let mut found = consumer
                .committed(std::slice::from_ref(&tp))
                .await
                .map_err(client_error_detached)?;
            Ok(found.pop().flatten())
        })
    }

    /// Moves an assigned partition so the next message returned has `offset`.
    fn seek(&self, py: Python<'_>, topic: &str, partition: u32, offset: u64) -> PyResult<()> {
        let (_, consumer) = self.shared.connected.get().ok_or_else(|| {
            crate::errors::py_error(
                py,
                ErrorCode::InvalidArgument,
                "seek needs an assignment: poll first".to_string(),
            )
        })?;
        consumer
            .seek(topic, partition, offset)
            .map_err(|e| crate::errors::client_error(py, e))
    }

    /// The next offset `poll` returns for a partition, if known.
    fn position(&self, topic: &str, partition: u32) -> Option<u64> {
        let (_, consumer) = self.shared.connected.get()?;
        consumer.position(topic, partition)
    }

    /// The partitions assigned to this member, as `(topic, partition)` pairs.
    fn assignment(&self) -> Vec<(String, u32)> {
        match self.shared.connected.get() {
            Some((_, consumer)) => consumer
                .assignment()
                .into_iter()
                .map(|tp| (tp.topic, tp.partition))
                .collect(),
            None => Vec::new(),
        }
    }

    /// Leaves the group; later calls raise `rustlog.Closed`.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let shared = self.shared.clone();
        future_into_py(py, async move {
            match shared.connected.get() {
                Some((_, consumer)) => consumer.close().await.map_err(client_error_detached),
                None => {
                    shared.closed_early.store(true, Ordering::Release);
                    Ok(())
                }
            }
        })
    }

    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next message; the iteration ends when the consumer is closed.
    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self.shared.closed_early.load(Ordering::Acquire) {
            return Err(closed(py, "consumer"));
        }
        let shared = self.shared.clone();
        future_into_py(py, async move {
            match shared.poll(1, None).await {
                Ok(mut messages) => Ok(messages.pop().map(Message::from)),
                Err(e) if e.kind() == ErrorCode::Closed => {
                    Err(PyStopAsyncIteration::new_err("consumer closed"))
                }
                Err(e) => Err(client_error_detached(e)),
            }
        })
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this: Py<Self> = slf.clone().unbind();
        let shared = slf.get().shared.clone();
        connected_then(py, async move { shared.consumer().await }, this)
    }

    /// Leaves the group.
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc_type: Option<&Bound<'py, PyType>>,
        _exc: Option<&Bound<'py, PyAny>>,
        _tb: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let shared = self.shared.clone();
        future_into_py(py, async move {
            if let Some((_, consumer)) = shared.connected.get() {
                if !consumer.is_closed() {
                    consumer.close().await.map_err(client_error_detached)?;
                }
            }
            Ok(false)
        })
    }
}
