//! `rustlog.Consumer` (blocking), over `rustlog::blocking::Consumer`.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use rustlog::{blocking, ErrorCode, OffsetSpec, TopicPartition};
use rustlog_protocol::messages::list_offsets::ListOffsetsPartition;
use tokio::runtime::Handle;

use crate::config::{consumer_settings, DEFAULT_BOOTSTRAP};
use crate::errors::{client_error, closed, py_error};
use crate::events::EventStream;
use crate::producer::timed_out;
use crate::rebalance::{
    self, called_in_hook, py_partitions, topic_partitions, Callbacks, HookState, PollError,
    SyncListener,
};
use crate::types::{Message, MessageList, TopicPartitionOffset};
use crate::wait::{block_on, block_on_raw, block_on_raw_detached, connect_blocking, timeout_arg};

/// What one `commit` call commits: exactly one of its forms.
pub(crate) enum CommitWhat {
    /// `commit(msg)`: the message's offset + 1.
    Message(rustlog::Message),
    /// `commit(offsets=[(topic, partition, offset), ...])`: each the next offset to consume.
    Offsets(Vec<(TopicPartition, u64)>),
    /// `commit()`: the position after every message returned so far.
    Consumed,
}

impl CommitWhat {
    pub(crate) fn from_args(
        py: Python<'_>,
        msg: Option<PyRef<'_, Message>>,
        offsets: Option<Vec<(String, u32, u64)>>,
    ) -> PyResult<CommitWhat> {
        match (msg, offsets) {
            (Some(_), Some(_)) => Err(py_error(
                py,
                ErrorCode::InvalidArgument,
                "commit takes a message or offsets=[(topic, partition, offset), ...], not both"
                    .to_string(),
            )),
            (Some(msg), None) => Ok(CommitWhat::Message(msg.inner.clone())),
            (None, Some(offsets)) => Ok(CommitWhat::Offsets(
                offsets
                    .into_iter()
                    .map(|(topic, partition, offset)| (TopicPartition { topic, partition }, offset))
                    .collect(),
            )),
            (None, None) => Ok(CommitWhat::Consumed),
        }
    }

    pub(crate) async fn commit(self, consumer: &rustlog::Consumer) -> rustlog::Result<()> {
        match self {
            CommitWhat::Message(m) => consumer.commit(&m).await,
            CommitWhat::Offsets(offsets) => consumer.commit_offsets(&offsets).await,
            CommitWhat::Consumed => consumer.commit_consumed().await,
        }
    }
}

/// Runs `call`, bounded by `timeout` (`None`: the request timeout bounds it).
async fn bounded<T>(
    what: &str,
    timeout: Option<Duration>,
    call: impl std::future::Future<Output = rustlog::Result<T>>,
) -> rustlog::Result<T> {
    match timeout {
        None => call.await,
        Some(t) => tokio::time::timeout(t, call)
            .await
            .map_err(|_| timed_out(what, t))?,
    }
}

/// `get_watermark_offsets`: the log start offset and the high watermark (the offset the next
/// record gets) of a partition, in one request.
pub(crate) async fn watermark_offsets(
    client: rustlog::Client,
    topic: String,
    partition: u32,
    timeout: Option<Duration>,
) -> rustlog::Result<(u64, u64)> {
    let ask = |spec| ListOffsetsPartition {
        topic: topic.clone(),
        partition,
        spec,
    };
    let asked = vec![ask(OffsetSpec::Earliest), ask(OffsetSpec::Latest)];
    let found = bounded("get_watermark_offsets", timeout, client.list_offsets(asked)).await?;
    let mut ends = Vec::with_capacity(2);
    for end in found {
        ends.push(end?.ok_or_else(|| rustlog::Error::ProtocolViolation {
            message: format!("ListOffsets answered no offset for {topic}/{partition}"),
        })?);
    }
    match ends[..] {
        [low, high] => Ok((low, high)),
        _ => Err(rustlog::Error::ProtocolViolation {
            message: "ListOffsets answered the wrong number of entries".to_string(),
        }),
    }
}

/// `offsets_for_times`: per `(topic, partition, timestamp_ms)`, the first offset whose record
/// is at or after the timestamp (`None`: none is), in one request and in order.
pub(crate) async fn offsets_for_times(
    client: rustlog::Client,
    asked: Vec<(String, u32, i64)>,
    timeout: Option<Duration>,
) -> rustlog::Result<Vec<TopicPartitionOffset>> {
    let request = asked
        .iter()
        .map(|(topic, partition, timestamp_ms)| ListOffsetsPartition {
            topic: topic.clone(),
            partition: *partition,
            spec: OffsetSpec::Timestamp {
                timestamp_ms: *timestamp_ms,
            },
        })
        .collect();
    let found = bounded("offsets_for_times", timeout, client.list_offsets(request)).await?;
    asked
        .into_iter()
        .zip(found)
        .map(|((topic, partition, _), offset)| {
            Ok(TopicPartitionOffset::new(topic, partition, offset?))
        })
        .collect()
}

/// One client poll while `poll(timeout=None)` or the iterator waits for a message.
pub(crate) const POLL_SLICE: Duration = Duration::from_millis(500);

/// A consumer-group member: `for msg in consumer`, `poll`, `commit`, `seek`.
#[pyclass(module = "rustlog", frozen)]
pub(crate) struct Consumer {
    /// Keeps the runtime alive.
    client: blocking::Client,
    consumer: blocking::Consumer,
    rt: Handle,
    /// Shared with the rebalance hooks (their exception, the thread they run on).
    hooks: Arc<HookState>,
}

impl Drop for Consumer {
    fn drop(&mut self) {
        // Dropping the blocking consumer closes it while this thread holds the GIL; a revoke
        // hook waiting for the GIL would deadlock that close.
        self.consumer.async_consumer().clear_rebalance_listener();
    }
}

/// A keyword argument that must be callable (or `None`).
/// `assign`'s argument: `(topic, partition)`, `(topic, partition, offset)` (offset `None`:
/// the default start) or `TopicPartitionOffset` items.
pub(crate) fn assignment_arg(
    partitions: &Bound<'_, PyAny>,
) -> PyResult<Vec<(rustlog::TopicPartition, Option<u64>)>> {
    let mut out = Vec::new();
    for item in partitions.try_iter()? {
        let item = item?;
        let (topic, partition, offset) = if let Ok(tpo) = item.cast::<TopicPartitionOffset>() {
            let tpo = tpo.get();
            (tpo.topic.clone(), tpo.partition, tpo.offset)
        } else if let Ok((topic, partition)) = item.extract::<(String, u32)>() {
            (topic, partition, None)
        } else if let Ok(triple) = item.extract::<(String, u32, Option<u64>)>() {
            triple
        } else {
            return Err(PyTypeError::new_err(format!(
                "assign takes (topic, partition), (topic, partition, offset) or TopicPartitionOffset items, not {}",
                item.get_type().name()?
            )));
        };
        out.push((rustlog::TopicPartition { topic, partition }, offset));
    }
    Ok(out)
}

fn callable(name: &str, value: Option<Bound<'_, PyAny>>) -> PyResult<Option<Py<PyAny>>> {
    match value {
        Some(v) if !v.is_callable() => Err(PyTypeError::new_err(format!(
            "{name} must be callable, not {}",
            v.get_type().name()?
        ))),
        other => Ok(other.map(Bound::unbind)),
    }
}

impl Consumer {
    /// The client, for lookups that are not group calls; `Closed` after `close`.
    fn open_client(&self, py: Python<'_>) -> PyResult<rustlog::Client> {
        if self.consumer.is_closed() {
            return Err(closed(py, "consumer"));
        }
        Ok(self.client.async_client().clone())
    }

    /// One client poll of up to `max_messages` (ending early when a hook failed).
    fn poll_once(
        &self,
        py: Python<'_>,
        max_messages: usize,
        timeout: Duration,
    ) -> PyResult<Result<Vec<rustlog::Message>, PollError>> {
        if self.hooks.in_hook_thread() {
            return Err(called_in_hook(py, "poll"));
        }
        let consumer = self.consumer.async_consumer().clone();
        let hooks = self.hooks.clone();
        let polled = block_on_raw_detached(py, &self.rt, async move {
            Ok(rebalance::poll_batch(&consumer, &hooks, max_messages, timeout).await)
        })?;
        // The future above never fails itself.
        Ok(polled.unwrap_or_else(|e| Err(PollError::Client(e))))
    }

    fn poll_messages(
        &self,
        py: Python<'_>,
        max_messages: usize,
        timeout: Option<Duration>,
    ) -> PyResult<Vec<rustlog::Message>> {
        loop {
            let slice = timeout.unwrap_or(POLL_SLICE);
            let messages = self
                .poll_once(py, max_messages, slice)?
                .map_err(|e| e.into_py(py))?;
            if !messages.is_empty() || timeout.is_some() {
                return Ok(messages);
            }
        }
    }
}

impl Consumer {
    /// Runs `callbacks` around every rebalance from now on.
    fn set_hooks(&self, callbacks: Callbacks) {
        self.consumer
            .async_consumer()
            .set_rebalance_listener(SyncListener {
                callbacks: Arc::new(callbacks),
                hooks: self.hooks.clone(),
            });
    }
}

#[pymethods]
impl Consumer {
    #[new]
    #[pyo3(signature = (
        bootstrap = DEFAULT_BOOTSTRAP, *, group_id = None, topics = None, on_assign = None,
        on_revoke = None, on_lost = None, **options,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        bootstrap: &str,
        group_id: Option<String>,
        topics: Option<Vec<String>>,
        on_assign: Option<Bound<'_, PyAny>>,
        on_revoke: Option<Bound<'_, PyAny>>,
        on_lost: Option<Bound<'_, PyAny>>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        crate::logs::refresh(py);
        let callbacks = Callbacks {
            on_assign: callable("on_assign", on_assign)?,
            on_revoke: callable("on_revoke", on_revoke)?,
            on_lost: callable("on_lost", on_lost)?,
        };
        let (client_cfg, config) =
            consumer_settings(py, "Consumer", bootstrap, group_id, topics, options)?;
        let client = connect_blocking(py, client_cfg)?;
        let consumer = client.consumer(config).map_err(|e| client_error(py, e))?;
        let rt = client.runtime().map_err(|e| client_error(py, e))?;
        let hooks = Arc::new(HookState::default());
        let consumer = Consumer {
            client,
            consumer,
            rt,
            hooks,
        };
        if !callbacks.is_empty() {
            consumer.set_hooks(callbacks);
        }
        Ok(consumer)
    }

    /// The next message, waiting up to `timeout` seconds (`None`: until one arrives);
    /// `None` when nothing arrived in time.
    #[pyo3(signature = (timeout = None))]
    fn poll(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<Message>> {
        let timeout = timeout_arg(timeout)?;
        Ok(self.poll_messages(py, 1, timeout)?.pop().map(Message::from))
    }

    /// Up to `max_messages` (default 500) messages, waiting up to `timeout` seconds for the first.
    #[pyo3(signature = (max_messages = 500, timeout = None))]
    fn poll_batch(
        &self,
        py: Python<'_>,
        max_messages: usize,
        timeout: Option<f64>,
    ) -> PyResult<MessageList> {
        let timeout = timeout_arg(timeout)?;
        Ok(MessageList(self.poll_messages(
            py,
            max_messages,
            timeout,
        )?))
    }

    /// Commits `msg.offset + 1` for its partition, `offsets=[(topic, partition, offset), ...]`
    /// (each the next offset to consume), or (no argument) the position after every message
    /// returned so far.
    #[pyo3(signature = (msg = None, *, offsets = None))]
    fn commit(
        &self,
        py: Python<'_>,
        msg: Option<PyRef<'_, Message>>,
        offsets: Option<Vec<(String, u32, u64)>>,
    ) -> PyResult<()> {
        let what = CommitWhat::from_args(py, msg, offsets)?;
        let consumer = self.consumer.async_consumer().clone();
        block_on(py, &self.rt, async move { what.commit(&consumer).await })
    }

    /// `(low, high)`: the partition's log start offset and its high watermark (the offset of
    /// the last record + 1), asked from the broker.
    #[pyo3(signature = (topic, partition, timeout = None))]
    fn get_watermark_offsets(
        &self,
        py: Python<'_>,
        topic: String,
        partition: u32,
        timeout: Option<f64>,
    ) -> PyResult<(u64, u64)> {
        let timeout = timeout_arg(timeout)?;
        let client = self.open_client(py)?;
        block_on(py, &self.rt, async move {
            watermark_offsets(client, topic, partition, timeout).await
        })
    }

    /// For each `(topic, partition, timestamp_ms)`, the first offset whose record is at or
    /// after the timestamp (`None` when no record is that new).
    #[pyo3(signature = (partitions, timeout = None))]
    fn offsets_for_times(
        &self,
        py: Python<'_>,
        partitions: Vec<(String, u32, i64)>,
        timeout: Option<f64>,
    ) -> PyResult<Vec<TopicPartitionOffset>> {
        let timeout = timeout_arg(timeout)?;
        let client = self.open_client(py)?;
        block_on(py, &self.rt, async move {
            offsets_for_times(client, partitions, timeout).await
        })
    }

    /// The group's committed offset (the next offset to read) for a partition, if any.
    fn committed(&self, py: Python<'_>, topic: String, partition: u32) -> PyResult<Option<u64>> {
        let consumer = self.consumer.async_consumer().clone();
        let tp = TopicPartition { topic, partition };
        let mut found = block_on(py, &self.rt, async move {
            consumer.committed(std::slice::from_ref(&tp)).await
        })?;
        Ok(found.pop().flatten())
    }

    /// Moves an assigned partition so the next message returned has `offset`.
    fn seek(&self, py: Python<'_>, topic: &str, partition: u32, offset: u64) -> PyResult<()> {
        self.consumer
            .seek(topic, partition, offset)
            .map_err(|e| client_error(py, e))
    }

    /// The next offset `poll` returns for a partition, if known.
    fn position(&self, topic: &str, partition: u32) -> Option<u64> {
        self.consumer.position(topic, partition)
    }

    /// The partitions assigned to this member, as `(topic, partition)` pairs.
    fn assignment(&self) -> Vec<(String, u32)> {
        py_partitions(&self.consumer.assignment())
    }

    /// Stops fetching assigned partitions (`(topic, partition)` pairs) until `resume`; the
    /// consumer stays in the group and keeps their positions.
    fn pause(&self, py: Python<'_>, partitions: Vec<(String, u32)>) -> PyResult<()> {
        self.consumer
            .pause(&topic_partitions(partitions))
            .map_err(|e| client_error(py, e))
    }

    /// Fetches paused partitions again from their positions.
    fn resume(&self, py: Python<'_>, partitions: Vec<(String, u32)>) -> PyResult<()> {
        self.consumer
            .resume(&topic_partitions(partitions))
            .map_err(|e| client_error(py, e))
    }

    /// The paused partitions, sorted.
    fn paused(&self) -> Vec<(String, u32)> {
        py_partitions(&self.consumer.paused())
    }

    /// Replaces the subscription; the consumer rejoins on the next poll.
    /// Replaces the subscription; `on_assign`, `on_revoke`, `on_lost` (any given) replace the
    /// constructor's hooks, all three together, as confluent-kafka's `subscribe` does.
    #[pyo3(signature = (topics, *, on_assign = None, on_revoke = None, on_lost = None))]
    fn subscribe(
        &self,
        py: Python<'_>,
        topics: Vec<String>,
        on_assign: Option<Bound<'_, PyAny>>,
        on_revoke: Option<Bound<'_, PyAny>>,
        on_lost: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let callbacks = Callbacks {
            on_assign: callable("on_assign", on_assign)?,
            on_revoke: callable("on_revoke", on_revoke)?,
            on_lost: callable("on_lost", on_lost)?,
        };
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        self.consumer
            .subscribe(&names)
            .map_err(|e| client_error(py, e))?;
        if !callbacks.is_empty() {
            self.set_hooks(callbacks);
        }
        Ok(())
    }

    /// Reads exactly `partitions` without joining a group (Kafka's `assign`): `(topic,
    /// partition)` or `(topic, partition, offset)` tuples or `TopicPartitionOffset`s; see the
    /// Rust client's `Consumer::assign` for where each starts.
    fn assign(&self, py: Python<'_>, partitions: &Bound<'_, PyAny>) -> PyResult<()> {
        let partitions = assignment_arg(partitions)?;
        let consumer = self.consumer.async_consumer().clone();
        block_on(
            py,
            &self.rt,
            async move { consumer.assign(&partitions).await },
        )
    }

    /// Gives up the partitions of `assign`.
    fn unassign(&self) {
        self.consumer.unassign();
    }

    /// The group's events from now on (`ConsumerEvents`: iterate, or `get(timeout)`); make it
    /// before the first `poll` to see the first join.
    fn events(&self, py: Python<'_>) -> PyResult<EventStream> {
        if self.consumer.is_closed() {
            return Err(closed(py, "consumer"));
        }
        Ok(EventStream::new(
            self.consumer.async_consumer().events(),
            self.rt.clone(),
        ))
    }

    /// The member id, once joined.
    #[getter]
    fn member_id(&self) -> Option<String> {
        self.consumer.member_id()
    }

    /// Whether `close` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.consumer.is_closed()
    }

    /// Runs `on_revoke`, leaves the group (committing first when auto-commit is on); later
    /// calls raise `Closed`. An exception of `on_revoke` is raised after the consumer closed.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if self.hooks.in_hook_thread() {
            return Err(called_in_hook(py, "close"));
        }
        let consumer = self.consumer.async_consumer().clone();
        let closed = block_on_raw(py, &self.rt, async move { consumer.close().await })?;
        // The hooks are done with: dropping them frees callables that refer to this consumer.
        self.consumer.async_consumer().clear_rebalance_listener();
        if let Some(err) = self.hooks.take_error() {
            return Err(err);
        }
        closed.map_err(|e| client_error(py, e))
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next message, waiting as long as it takes; the iteration ends when the consumer
    /// is closed.
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Message>> {
        loop {
            match self.poll_once(py, 1, POLL_SLICE)? {
                Ok(mut messages) => match messages.pop() {
                    Some(message) => return Ok(Some(message.into())),
                    None => continue,
                },
                Err(e) if e.is_closed() => return Ok(None),
                Err(e) => return Err(e.into_py(py)),
            }
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "Consumer(bootstrap={:?}, group_id={:?}, topics={:?}, closed={})",
            self.client.config().broker_addr,
            self.consumer.async_consumer().group_id(),
            self.consumer.async_consumer().subscription(),
            crate::convert::py_bool(self.consumer.is_closed())
        )
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes (leaves the group), also when the block raised.
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyType>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        if !self.consumer.is_closed() {
            self.close(py)?;
        }
        Ok(false)
    }
}
