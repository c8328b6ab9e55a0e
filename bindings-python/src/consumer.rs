//! `rustlog.Consumer` (blocking), over `rustlog::blocking::Consumer`.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyType;
use rustlog::{blocking, ErrorCode, TopicPartition};
use tokio::runtime::Handle;

use crate::config::{client_config, consumer_config};
use crate::errors::client_error;
use crate::types::{Message, MessageList};
use crate::wait::{
    block_on, block_on_detached, block_on_raw_detached, connect_blocking, timeout_arg,
};

/// One client poll while `poll(timeout=None)` or the iterator waits for a message.
pub(crate) const POLL_SLICE: Duration = Duration::from_millis(500);

/// A consumer-group member: `for msg in consumer`, `poll`, `commit`, `seek`.
#[pyclass(module = "rustlog", frozen)]
pub(crate) struct Consumer {
    /// Keeps the runtime alive.
    client: blocking::Client,
    consumer: blocking::Consumer,
    rt: Handle,
}

impl Consumer {
    fn poll_messages(
        &self,
        py: Python<'_>,
        max_messages: usize,
        timeout: Option<Duration>,
    ) -> PyResult<Vec<rustlog::Message>> {
        loop {
            let slice = timeout.unwrap_or(POLL_SLICE);
            let consumer = self.consumer.async_consumer().clone();
            let messages = block_on_detached(py, &self.rt, async move {
                consumer.poll_batch(max_messages, slice).await
            })?;
            if !messages.is_empty() || timeout.is_some() {
                return Ok(messages);
            }
        }
    }
}

#[pymethods]
impl Consumer {
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
        let config = consumer_config(
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
        let client_cfg =
            client_config(bootstrap, client_id, request_timeout_ms, connect_timeout_ms);
        let client = connect_blocking(py, client_cfg)?;
        let consumer = client.consumer(config).map_err(|e| client_error(py, e))?;
        let rt = client.runtime().map_err(|e| client_error(py, e))?;
        Ok(Consumer {
            client,
            consumer,
            rt,
        })
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

    /// Commits `msg.offset + 1` for its partition, or (no argument) the position after every
    /// message returned so far.
    #[pyo3(signature = (msg = None))]
    fn commit(&self, py: Python<'_>, msg: Option<PyRef<'_, Message>>) -> PyResult<()> {
        let consumer = self.consumer.async_consumer().clone();
        match msg {
            Some(msg) => {
                let message = msg.inner.clone();
                block_on(py, &self.rt, async move { consumer.commit(&message).await })
            }
            None => block_on(
                py,
                &self.rt,
                async move { consumer.commit_consumed().await },
            ),
        }
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
        self.consumer
            .assignment()
            .into_iter()
            .map(|tp| (tp.topic, tp.partition))
            .collect()
    }

    /// Replaces the subscription; the consumer rejoins on the next poll.
    fn subscribe(&self, py: Python<'_>, topics: Vec<String>) -> PyResult<()> {
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        self.consumer
            .subscribe(&names)
            .map_err(|e| client_error(py, e))
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

    /// Leaves the group (committing first when auto-commit is on); later calls raise `Closed`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let consumer = self.consumer.async_consumer().clone();
        block_on(py, &self.rt, async move { consumer.close().await })
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next message, waiting as long as it takes; the iteration ends when the consumer
    /// is closed.
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Message>> {
        loop {
            let consumer = self.consumer.async_consumer().clone();
            let polled =
                block_on_raw_detached(
                    py,
                    &self.rt,
                    async move { consumer.poll(POLL_SLICE).await },
                )?;
            match polled {
                Ok(Some(message)) => return Ok(Some(message.into())),
                Ok(None) => continue,
                Err(e) if e.kind() == ErrorCode::Closed => return Ok(None),
                Err(e) => return Err(client_error(py, e)),
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
