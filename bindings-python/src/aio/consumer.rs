//! `rustlog.aio.Consumer`: `async for msg in consumer`, `await consumer.poll()`, `async with`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use pyo3_async_runtimes::tokio::future_into_py;
use rustlog::{ConsumerConfig, ErrorCode, TopicPartition};
use tokio::sync::broadcast::Receiver;
use tokio::sync::{oneshot, OnceCell};

use super::connected_then;
use crate::config::{consumer_settings, DEFAULT_BOOTSTRAP};
use crate::consumer::{offsets_for_times, watermark_offsets, CommitWhat, POLL_SLICE};
use crate::errors::{client_error_detached, closed};
use crate::events::AsyncEventStream;
use crate::rebalance::{
    self, called_in_hook, in_async_hook, py_partitions, topic_partitions, AsyncListener, HookState,
    PollError,
};
use crate::types::{Message, MessageList};
use crate::wait::timeout_arg;

/// What every call needs: the configs to connect with and the connection once made.
struct Shared {
    /// Lazy: connects on the first call.
    client: rustlog::Client,
    consumer_cfg: ConsumerConfig,
    connected: OnceCell<(rustlog::Client, rustlog::Consumer)>,
    /// Closed before it ever connected.
    closed_early: AtomicBool,
    /// What `subscribe` and `events` asked for before the consumer existed.
    pending: parking_lot::Mutex<Pending>,
    hooks: Arc<HookState>,
}

/// Set before the consumer is made, applied when it is (under the lock, so a `subscribe` or
/// `events` racing the connect lands on one side of it).
#[derive(Default)]
struct Pending {
    topics: Option<Vec<String>>,
    /// The `listener=` object (constructor or `subscribe`).
    listener: Option<Arc<Py<PyAny>>>,
    event_seeds: Vec<oneshot::Sender<Receiver<rustlog::ConsumerEvent>>>,
    /// The consumer once made.
    made: Option<rustlog::Consumer>,
}

impl Shared {
    /// The consumer, connecting first if needed (a failed attempt is retried by the next call).
    async fn consumer(&self) -> rustlog::Result<rustlog::Consumer> {
        Ok(self.connect().await?.1.clone())
    }

    /// The client, for lookups that are not group calls; `Closed` after `close`.
    async fn client(&self) -> rustlog::Result<rustlog::Client> {
        let (client, consumer) = self.connect().await?;
        if consumer.is_closed() {
            return Err(rustlog::Error::Closed { what: "consumer" });
        }
        Ok(client.clone())
    }

    /// Connects once (a failed attempt is retried by the next call).
    async fn connect(&self) -> rustlog::Result<&(rustlog::Client, rustlog::Consumer)> {
        if self.closed_early.load(Ordering::Acquire) {
            return Err(rustlog::Error::Closed { what: "consumer" });
        }
        self.connected
            .get_or_try_init(|| async {
                self.client.ensure_connected().await?;
                let client = self.client.clone();
                let consumer = self.make_consumer(&client)?;
                Ok::<_, rustlog::Error>((client, consumer))
            })
            .await
    }

    /// The consumer, with what was asked for before it existed.
    fn make_consumer(&self, client: &rustlog::Client) -> rustlog::Result<rustlog::Consumer> {
        let mut pending = self.pending.lock();
        let mut config = self.consumer_cfg.clone();
        if let Some(topics) = pending.topics.take() {
            config.topics = topics;
        }
        let consumer = client.consumer(config)?;
        if let Some(listener) = &pending.listener {
            self.listen(&consumer, listener.clone());
        }
        for seed in pending.event_seeds.drain(..) {
            let _ = seed.send(consumer.events());
        }
        pending.made = Some(consumer.clone());
        Ok(consumer)
    }

    fn listen(&self, consumer: &rustlog::Consumer, listener: Arc<Py<PyAny>>) {
        consumer.set_rebalance_listener(AsyncListener {
            listener,
            hooks: self.hooks.clone(),
        });
    }

    async fn poll(
        &self,
        max_messages: usize,
        timeout: Option<Duration>,
    ) -> Result<Vec<rustlog::Message>, PollError> {
        let consumer = self.consumer().await.map_err(PollError::Client)?;
        loop {
            let slice = timeout.unwrap_or(POLL_SLICE);
            let messages =
                rebalance::poll_batch(&consumer, &self.hooks, max_messages, slice).await?;
            if !messages.is_empty() || timeout.is_some() {
                return Ok(messages);
            }
        }
    }

    /// Closes the consumer (running the listener's revoke hook), then drops the listener; a
    /// hook's exception comes after the close.
    async fn close(&self) -> PyResult<()> {
        let closed = match self.connected.get() {
            Some((_, consumer)) => {
                let closed = consumer.close().await;
                // Frees a listener that refers to this consumer.
                consumer.clear_rebalance_listener();
                closed
            }
            None => {
                self.closed_early.store(true, Ordering::Release);
                // Ends the event streams waiting for a consumer that will not come.
                self.pending.lock().event_seeds.clear();
                Ok(())
            }
        };
        if let Some(err) = self.hooks.take_error() {
            return Err(err);
        }
        closed.map_err(client_error_detached)
    }
}

/// A `listener=` object: it must have the listener's methods.
fn checked_listener(listener: Bound<'_, PyAny>) -> PyResult<Arc<Py<PyAny>>> {
    for method in ["on_partitions_assigned", "on_partitions_revoked"] {
        if !listener.hasattr(method)? {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "listener must have {method} (subclass rustlog.aio.ConsumerRebalanceListener)"
            )));
        }
    }
    Ok(Arc::new(listener.unbind()))
}

fn poll_error(err: PollError) -> PyErr {
    Python::attach(|py| err.into_py(py))
}

/// Refuses a poll from inside this package's asyncio rebalance hook (it would wait for itself).
fn check_not_in_hook(py: Python<'_>, what: &str) -> PyResult<()> {
    if in_async_hook(py)? {
        return Err(called_in_hook(py, what));
    }
    Ok(())
}

/// The asyncio consumer-group member.
#[pyclass(module = "rustlog.aio", name = "Consumer", frozen)]
pub(crate) struct AsyncConsumer {
    shared: Arc<Shared>,
}

impl AsyncConsumer {
    /// The consumer for calls on assigned partitions: before it connected nothing is assigned.
    fn assigned_consumer(&self, py: Python<'_>, what: &str) -> PyResult<&rustlog::Consumer> {
        match self.shared.connected.get() {
            Some((_, consumer)) => Ok(consumer),
            None => Err(crate::errors::py_error(
                py,
                ErrorCode::InvalidArgument,
                format!("{what} needs an assignment: poll first"),
            )),
        }
    }
}

#[pymethods]
impl AsyncConsumer {
    #[new]
    #[pyo3(signature = (
        bootstrap = DEFAULT_BOOTSTRAP, *, group_id = None, topics = None, listener = None, **options,
    ))]
    fn new(
        py: Python<'_>,
        bootstrap: &str,
        group_id: Option<String>,
        topics: Option<Vec<String>>,
        listener: Option<Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        crate::logs::refresh(py);
        let listener = listener.map(checked_listener).transpose()?;
        let (client_cfg, consumer_cfg) =
            consumer_settings(py, "aio.Consumer", bootstrap, group_id, topics, options)?;
        Ok(AsyncConsumer {
            shared: Arc::new(Shared {
                client: rustlog::Client::lazy(client_cfg)
                    .map_err(|e| crate::errors::client_error(py, e))?,
                consumer_cfg,
                connected: OnceCell::new(),
                closed_early: AtomicBool::new(false),
                pending: parking_lot::Mutex::new(Pending {
                    listener,
                    ..Pending::default()
                }),
                hooks: Arc::new(HookState::default()),
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
        check_not_in_hook(py, "poll")?;
        let shared = self.shared.clone();
        future_into_py(py, async move {
            let mut messages = shared.poll(1, timeout).await.map_err(poll_error)?;
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
        check_not_in_hook(py, "poll_batch")?;
        let shared = self.shared.clone();
        future_into_py(py, async move {
            let messages = shared
                .poll(max_messages, timeout)
                .await
                .map_err(poll_error)?;
            Ok(MessageList(messages))
        })
    }

    /// Commits `msg.offset + 1`, `offsets=[(topic, partition, offset), ...]` (each the next
    /// offset to consume), or (no argument) the position after every message returned.
    #[pyo3(signature = (msg = None, *, offsets = None))]
    fn commit<'py>(
        &self,
        py: Python<'py>,
        msg: Option<PyRef<'py, Message>>,
        offsets: Option<Vec<(String, u32, u64)>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let what = CommitWhat::from_args(py, msg, offsets)?;
        let shared = self.shared.clone();
        future_into_py(py, async move {
            let consumer = shared.consumer().await.map_err(client_error_detached)?;
            what.commit(&consumer).await.map_err(client_error_detached)
        })
    }

    /// Resolves to `(low, high)`: the partition's log start offset and its high watermark.
    #[pyo3(signature = (topic, partition, timeout = None))]
    fn get_watermark_offsets<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        partition: u32,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let timeout = timeout_arg(timeout)?;
        let shared = self.shared.clone();
        future_into_py(py, async move {
            let client = shared.client().await.map_err(client_error_detached)?;
            watermark_offsets(client, topic, partition, timeout)
                .await
                .map_err(client_error_detached)
        })
    }

    /// Resolves to, for each `(topic, partition, timestamp_ms)`, the first offset whose record
    /// is at or after the timestamp (`None` when no record is that new).
    #[pyo3(signature = (partitions, timeout = None))]
    fn offsets_for_times<'py>(
        &self,
        py: Python<'py>,
        partitions: Vec<(String, u32, i64)>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let timeout = timeout_arg(timeout)?;
        let shared = self.shared.clone();
        future_into_py(py, async move {
            let client = shared.client().await.map_err(client_error_detached)?;
            offsets_for_times(client, partitions, timeout)
                .await
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
        self.assigned_consumer(py, "seek")?
            .seek(topic, partition, offset)
            .map_err(|e| crate::errors::client_error(py, e))
    }

    /// Stops fetching assigned partitions (`(topic, partition)` pairs) until `resume`; the
    /// consumer stays in the group and keeps their positions.
    fn pause(&self, py: Python<'_>, partitions: Vec<(String, u32)>) -> PyResult<()> {
        self.assigned_consumer(py, "pause")?
            .pause(&topic_partitions(partitions))
            .map_err(|e| crate::errors::client_error(py, e))
    }

    /// Fetches paused partitions again from their positions.
    fn resume(&self, py: Python<'_>, partitions: Vec<(String, u32)>) -> PyResult<()> {
        self.assigned_consumer(py, "resume")?
            .resume(&topic_partitions(partitions))
            .map_err(|e| crate::errors::client_error(py, e))
    }

    /// The paused partitions, sorted.
    fn paused(&self) -> Vec<(String, u32)> {
        match self.shared.connected.get() {
            Some((_, consumer)) => py_partitions(&consumer.paused()),
            None => Vec::new(),
        }
    }

    /// The next offset `poll` returns for a partition, if known.
    fn position(&self, topic: &str, partition: u32) -> Option<u64> {
        let (_, consumer) = self.shared.connected.get()?;
        consumer.position(topic, partition)
    }

    /// Replaces the subscription (a plain method, as aiokafka's); `listener` (a
    /// `ConsumerRebalanceListener`) replaces the constructor's. Before the consumer connected
    /// both apply when it does.
    #[pyo3(signature = (topics, listener = None))]
    fn subscribe(
        &self,
        py: Python<'_>,
        topics: Vec<String>,
        listener: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let listener = listener.map(checked_listener).transpose()?;
        if self.shared.closed_early.load(Ordering::Acquire) {
            return Err(closed(py, "consumer"));
        }
        let mut pending = self.shared.pending.lock();
        match &pending.made {
            Some(consumer) => {
                let names: Vec<&str> = topics.iter().map(String::as_str).collect();
                consumer
                    .subscribe(&names)
                    .map_err(|e| crate::errors::client_error(py, e))?;
                if let Some(listener) = listener {
                    self.shared.listen(consumer, listener);
                }
            }
            None => {
                // Checked now, as the subscription of a made consumer is.
                ConsumerConfig {
                    topics: topics.clone(),
                    ..self.shared.consumer_cfg.clone()
                }
                .validate()
                .map_err(|e| crate::errors::client_error(py, e))?;
                pending.topics = Some(topics);
                if listener.is_some() {
                    pending.listener = listener;
                }
            }
        }
        Ok(())
    }

    /// A coroutine: reads exactly `partitions` without joining a group (as
    /// `rustlog.Consumer.assign`; connects first).
    fn assign<'py>(
        &self,
        py: Python<'py>,
        partitions: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let partitions = crate::consumer::assignment_arg(partitions)?;
        let shared = self.shared.clone();
        future_into_py(py, async move {
            let consumer = shared.consumer().await.map_err(client_error_detached)?;
            consumer
                .assign(&partitions)
                .await
                .map_err(client_error_detached)
        })
    }

    /// Gives up the partitions of `assign` (nothing before the consumer connected).
    fn unassign(&self) {
        if let Some((_, consumer)) = self.shared.connected.get() {
            consumer.unassign();
        }
    }

    /// The group's events from now on, as an async iterator (`async for event in
    /// consumer.events()`) with a `get(timeout)` coroutine. Made before the consumer
    /// connected, it starts with its first join.
    fn events(&self, py: Python<'_>) -> PyResult<AsyncEventStream> {
        if self.shared.closed_early.load(Ordering::Acquire) {
            return Err(closed(py, "consumer"));
        }
        let mut pending = self.shared.pending.lock();
        match &pending.made {
            Some(consumer) if consumer.is_closed() => Err(closed(py, "consumer")),
            Some(consumer) => Ok(AsyncEventStream::ready(consumer.events())),
            None => {
                let (stream, seed) = AsyncEventStream::pending();
                pending.event_seeds.push(seed);
                Ok(stream)
            }
        }
    }

    /// The partitions assigned to this member, as `(topic, partition)` pairs.
    fn assignment(&self) -> Vec<(String, u32)> {
        match self.shared.connected.get() {
            Some((_, consumer)) => py_partitions(&consumer.assignment()),
            None => Vec::new(),
        }
    }

    /// Runs the listener's revoke hook and leaves the group; later calls raise
    /// `rustlog.Closed`. A hook's exception is raised after the consumer closed.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        check_not_in_hook(py, "close")?;
        let shared = self.shared.clone();
        future_into_py(py, async move { shared.close().await })
    }

    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next message; the iteration ends when the consumer is closed.
    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self.shared.closed_early.load(Ordering::Acquire) {
            return Err(closed(py, "consumer"));
        }
        check_not_in_hook(py, "__anext__")?;
        let shared = self.shared.clone();
        future_into_py(py, async move {
            match shared.poll(1, None).await {
                Ok(mut messages) => Ok(messages.pop().map(Message::from)),
                Err(e) if e.is_closed() => Err(PyStopAsyncIteration::new_err("consumer closed")),
                Err(e) => Err(poll_error(e)),
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
                    shared.close().await?;
                }
            }
            Ok(false)
        })
    }
}
