//! A group consumer's events (`rustlog::ConsumerEvent`, the client's broadcast) for Python:
//! `ConsumerEvent` values, read from `Consumer.events()` (a blocking iterator with `get`) and
//! `rustlog.aio.Consumer.events()` (an async iterator with a `get` coroutine).
//!
//! A stream sees the events from when it was made; one that falls more than the client's buffer
//! behind loses the oldest, and the next event it returns counts them in `lagged`. It ends
//! after the consumer's `stop` event.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use pyo3_async_runtimes::tokio::future_into_py;
use rustlog::ConsumerEvent as Event;
use tokio::runtime::Handle;
use tokio::sync::broadcast::{error::RecvError, Receiver};
use tokio::sync::{oneshot, Mutex};

use crate::rebalance::py_partitions;
use crate::types::TopicPartitionOffset;
use crate::wait::{block_on, timeout_arg};

/// Something that happened to a group consumer. `kind` is `"group_join"` (with `member_id`,
/// `generation_id`, `assignment`), `"rebalancing"` (`member_id`, `None` when the broker forgot
/// the member), `"heartbeat"` (`member_id`, `generation_id`), `"commit_offsets"` (`offsets`,
/// each the next offset to consume), `"poll_interval_exceeded"` (`max_poll_interval_ms`) or
/// `"stop"`; the other attributes are `None`. `lagged` counts the events this stream lost just
/// before this one because it fell behind.
#[pyclass(module = "rustlog", frozen, get_all)]
#[derive(Debug, Clone, Default)]
pub(crate) struct ConsumerEvent {
    kind: String,
    member_id: Option<String>,
    generation_id: Option<i32>,
    assignment: Option<Vec<(String, u32)>>,
    offsets: Option<Vec<TopicPartitionOffset>>,
    max_poll_interval_ms: Option<u64>,
    lagged: u64,
}

#[pymethods]
impl ConsumerEvent {
    fn __repr__(&self) -> String {
        format!(
            "ConsumerEvent(kind={:?}, member_id={:?}, generation_id={:?}, lagged={})",
            self.kind, self.member_id, self.generation_id, self.lagged
        )
    }
}

fn convert(event: Event, lagged: u64) -> ConsumerEvent {
    let base = ConsumerEvent {
        lagged,
        ..ConsumerEvent::default()
    };
    match event {
        Event::GroupJoin {
            member_id,
            generation_id,
            assignment,
        } => ConsumerEvent {
            kind: "group_join".into(),
            member_id: Some(member_id),
            generation_id: Some(generation_id),
            assignment: Some(py_partitions(&assignment)),
            ..base
        },
        Event::Rebalancing { member_id } => ConsumerEvent {
            kind: "rebalancing".into(),
            member_id,
            ..base
        },
        Event::Heartbeat {
            member_id,
            generation_id,
        } => ConsumerEvent {
            kind: "heartbeat".into(),
            member_id: Some(member_id),
            generation_id: Some(generation_id),
            ..base
        },
        Event::CommitOffsets { offsets } => ConsumerEvent {
            kind: "commit_offsets".into(),
            offsets: Some(
                offsets
                    .into_iter()
                    .map(|(tp, offset)| {
                        TopicPartitionOffset::new(tp.topic, tp.partition, Some(offset))
                    })
                    .collect(),
            ),
            ..base
        },
        Event::PollIntervalExceeded {
            max_poll_interval_ms,
        } => ConsumerEvent {
            kind: "poll_interval_exceeded".into(),
            max_poll_interval_ms: Some(max_poll_interval_ms),
            ..base
        },
        Event::Stop => ConsumerEvent {
            kind: "stop".into(),
            ..base
        },
        // A kind this binding does not know yet still arrives, by name.
        _ => ConsumerEvent {
            kind: "unknown".into(),
            ..base
        },
    }
}

/// Where a stream's receiver comes from: now, or when the asyncio consumer connects.
enum Source {
    Ready(Receiver<Event>),
    Pending(oneshot::Receiver<Receiver<Event>>),
    /// The consumer closed before it connected: no events will come.
    Gone,
}

/// The receiving end both streams share.
struct Events {
    source: Mutex<Source>,
    /// Events lost while a `get` timed out are counted on the next one.
    lagged: AtomicU64,
    ended: AtomicBool,
}

impl Events {
    fn new(source: Source) -> Arc<Events> {
        Arc::new(Events {
            source: Mutex::new(source),
            lagged: AtomicU64::new(0),
            ended: AtomicBool::new(false),
        })
    }

    /// The next event within `timeout` (`None`: no limit); `None` when none came or the
    /// stream ended.
    async fn next(self: Arc<Self>, timeout: Option<Duration>) -> Option<ConsumerEvent> {
        if self.ended.load(Ordering::Acquire) {
            return None;
        }
        let wait = async {
            let mut source = self.source.lock().await;
            loop {
                let rx = match &mut *source {
                    Source::Ready(rx) => rx,
                    Source::Pending(seed) => match seed.await {
                        Ok(rx) => {
                            *source = Source::Ready(rx);
                            continue;
                        }
                        Err(_) => {
                            *source = Source::Gone;
                            continue;
                        }
                    },
                    Source::Gone => {
                        self.ended.store(true, Ordering::Release);
                        return None;
                    }
                };
                match rx.recv().await {
                    Ok(event) => {
                        if matches!(event, Event::Stop) {
                            self.ended.store(true, Ordering::Release);
                        }
                        let lagged = self.lagged.swap(0, Ordering::AcqRel);
                        return Some(convert(event, lagged));
                    }
                    Err(RecvError::Lagged(n)) => {
                        self.lagged.fetch_add(n, Ordering::AcqRel);
                    }
                    Err(RecvError::Closed) => *source = Source::Gone,
                }
            }
        };
        match timeout {
            Some(limit) => tokio::time::timeout(limit, wait).await.ok().flatten(),
            None => wait.await,
        }
    }
}

/// `Consumer.events()`: iterate (blocking, ends after the `stop` event) or `get(timeout)`.
#[pyclass(module = "rustlog", name = "ConsumerEvents", frozen)]
pub(crate) struct EventStream {
    events: Arc<Events>,
    rt: Handle,
}

impl EventStream {
    pub(crate) fn new(rx: Receiver<Event>, rt: Handle) -> Self {
        EventStream {
            events: Events::new(Source::Ready(rx)),
            rt,
        }
    }
}

#[pymethods]
impl EventStream {
    /// The next event, waiting up to `timeout` seconds (`None`: until one comes); `None` when
    /// none came in time or the stream ended.
    #[pyo3(signature = (timeout = None))]
    fn get(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<ConsumerEvent>> {
        let timeout = timeout_arg(timeout)?;
        let events = self.events.clone();
        block_on(py, &self.rt, async move { Ok(events.next(timeout).await) })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<ConsumerEvent> {
        self.get(py, None)?
            .ok_or_else(|| PyStopIteration::new_err(()))
    }
}

/// `rustlog.aio.Consumer.events()`: `async for event in ...` or `await get(timeout)`.
#[pyclass(module = "rustlog.aio", name = "ConsumerEvents", frozen)]
pub(crate) struct AsyncEventStream {
    events: Arc<Events>,
}

impl AsyncEventStream {
    /// A stream of a consumer that exists now.
    pub(crate) fn ready(rx: Receiver<Event>) -> Self {
        AsyncEventStream {
            events: Events::new(Source::Ready(rx)),
        }
    }

    /// A stream whose receiver the consumer hands over when it connects (dropping the sender
    /// ends the stream).
    pub(crate) fn pending() -> (Self, oneshot::Sender<Receiver<Event>>) {
        let (seed, pending) = oneshot::channel();
        let stream = AsyncEventStream {
            events: Events::new(Source::Pending(pending)),
        };
        (stream, seed)
    }
}

#[pymethods]
impl AsyncEventStream {
    /// A coroutine: the next event within `timeout` seconds, else `None` (also once ended).
    #[pyo3(signature = (timeout = None))]
    fn get<'py>(&self, py: Python<'py>, timeout: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        let timeout = timeout_arg(timeout)?;
        let events = self.events.clone();
        future_into_py(py, async move { Ok(events.next(timeout).await) })
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let events = self.events.clone();
        future_into_py(py, async move {
            events
                .next(None)
                .await
                .ok_or_else(|| PyStopAsyncIteration::new_err(()))
        })
    }
}
