//! Rebalance hooks written in Python, as the Rust client's `RebalanceListener` (each adapter
//! implements the client's one-function [`RebalanceHook`]).
//!
//! - Blocking `Consumer(on_assign=, on_revoke=, on_lost=)`: [`SyncListener`] runs each callable
//!   with the GIL on a tokio blocking thread (`spawn_blocking` + attach). The poll that runs the
//!   hook waits for it without the GIL, so the hook may call the consumer's `commit`, `seek`,
//!   `pause`, ... (each waits without the GIL too).
//! - `rustlog.aio.Consumer(listener=)`: [`AsyncListener`] runs the listener's methods on the
//!   event loop (`rustlog.aio._run_rebalance_hook`, which awaits them when they are coroutines)
//!   and awaits them from the poll's task.
//!
//! The Rust hooks return nothing, so an exception raised in a hook is kept in [`HookState`]; the
//! poll that ran the hook ends once the join is done (before it fetches anything) and raises it,
//! as confluent-kafka does. `close()` raises an exception of its revoke hook after it has left
//! the group.

use std::collections::HashMap;
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Duration;

use futures::future::BoxFuture;
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use rustlog::{Consumer, ErrorCode, HookKind, RebalanceHook, TopicPartition};
use tokio::sync::Notify;

use crate::errors::{client_error, py_error, RustLogError};

/// What the polls of one consumer share with its hooks.
#[derive(Debug, Default)]
pub(crate) struct HookState {
    /// The first exception a hook raised, until a poll (or `close`) raises it.
    error: Mutex<Option<PyErr>>,
    /// Ends the poll that ran a failed hook once its join is done.
    failed: Notify,
    /// The thread a blocking hook runs on, while it runs (a `poll` from there would deadlock).
    hook_thread: Mutex<Option<ThreadId>>,
}

impl HookState {
    fn record(&self, err: PyErr) {
        let mut slot = self.error.lock();
        if slot.is_none() {
            *slot = Some(err);
        }
    }

    /// After the assigned hook (the last step of a join): a hook of this poll failed, so the
    /// poll ends now instead of fetching.
    fn end_poll_if_failed(&self) {
        if self.error.lock().is_some() {
            self.failed.notify_waiters();
        }
    }

    /// The exception a hook raised, if any (taken: it is raised once).
    pub(crate) fn take_error(&self) -> Option<PyErr> {
        self.error.lock().take()
    }

    /// Whether the calling thread is running one of this consumer's blocking hooks.
    pub(crate) fn in_hook_thread(&self) -> bool {
        *self.hook_thread.lock() == Some(std::thread::current().id())
    }
}

/// Why a poll returned no messages.
#[derive(Debug)]
pub(crate) enum PollError {
    Client(rustlog::Error),
    /// A rebalance hook raised this.
    Hook(PyErr),
}

impl PollError {
    pub(crate) fn is_closed(&self) -> bool {
        matches!(self, PollError::Client(e) if e.kind() == ErrorCode::Closed)
    }

    pub(crate) fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            PollError::Client(e) => client_error(py, e),
            PollError::Hook(e) => e,
        }
    }
}

/// One client poll that ends early when a hook fails, then raises the hook's exception.
pub(crate) async fn poll_batch(
    consumer: &Consumer,
    hooks: &HookState,
    max_messages: usize,
    timeout: Duration,
) -> Result<Vec<rustlog::Message>, PollError> {
    let failed = hooks.failed.notified();
    tokio::pin!(failed);
    failed.as_mut().enable();
    let polled = tokio::select! {
        biased;
        () = &mut failed => Ok(Vec::new()),
        polled = consumer.poll_batch(max_messages, timeout) => polled,
    };
    match hooks.take_error() {
        Some(err) => {
            if let Ok(messages) = &polled {
                rewind(consumer, messages);
            }
            Err(PollError::Hook(err))
        }
        None => polled.map_err(PollError::Client),
    }
}

/// Messages a poll returned but that the caller never sees (the poll raises a hook's exception
/// instead) are handed out again: each partition goes back to its first such message.
/// (The poll normally ends before it fetches, so there are none.)
fn rewind(consumer: &Consumer, messages: &[rustlog::Message]) {
    let mut first: HashMap<(&str, u32), u64> = HashMap::new();
    for m in messages {
        first.entry((m.topic(), m.partition)).or_insert(m.offset);
    }
    for ((topic, partition), offset) in first {
        // Only fails for a partition no longer assigned, whose messages go to its new owner.
        let _ = consumer.seek(topic, partition, offset);
    }
}

/// `InvalidArgument` for a consumer call made from inside one of its own rebalance hooks that
/// would wait for the hook itself.
pub(crate) fn called_in_hook(py: Python<'_>, what: &str) -> PyErr {
    py_error(
        py,
        ErrorCode::InvalidArgument,
        format!(
            "{what} cannot be called from a rebalance hook: the poll running the hook waits for it"
        ),
    )
}

/// Partitions as the `(topic, partition)` tuples Python sees.
pub(crate) fn py_partitions(partitions: &[TopicPartition]) -> Vec<(String, u32)> {
    partitions
        .iter()
        .map(|tp| (tp.topic.clone(), tp.partition))
        .collect()
}

/// `(topic, partition)` tuples from Python as the client's partitions.
pub(crate) fn topic_partitions(pairs: Vec<(String, u32)>) -> Vec<TopicPartition> {
    pairs
        .into_iter()
        .map(|(topic, partition)| TopicPartition { topic, partition })
        .collect()
}

/// The callables of the blocking consumer's `on_assign`, `on_revoke` and `on_lost`.
#[derive(Debug)]
pub(crate) struct Callbacks {
    pub(crate) on_assign: Option<Py<PyAny>>,
    pub(crate) on_revoke: Option<Py<PyAny>>,
    /// Without it, lost partitions go to `on_revoke` (as in confluent-kafka).
    pub(crate) on_lost: Option<Py<PyAny>>,
}

impl Callbacks {
    pub(crate) fn is_empty(&self) -> bool {
        self.on_assign.is_none() && self.on_revoke.is_none() && self.on_lost.is_none()
    }

    fn get(&self, hook: HookKind) -> Option<&Py<PyAny>> {
        match hook {
            HookKind::Assigned => self.on_assign.as_ref(),
            HookKind::Revoked => self.on_revoke.as_ref(),
            HookKind::Lost => self.on_lost.as_ref().or(self.on_revoke.as_ref()),
        }
    }
}

/// The blocking consumer's hooks: sync callables run on a blocking thread with the GIL.
pub(crate) struct SyncListener {
    pub(crate) callbacks: Arc<Callbacks>,
    pub(crate) hooks: Arc<HookState>,
}

impl RebalanceHook for SyncListener {
    fn run<'a>(
        &'a self,
        hook: HookKind,
        _consumer: &'a Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if self.callbacks.get(hook).is_some() {
                let callbacks = self.callbacks.clone();
                let hooks = self.hooks.clone();
                let partitions = py_partitions(partitions);
                let ran = tokio::task::spawn_blocking(move || {
                    *hooks.hook_thread.lock() = Some(std::thread::current().id());
                    let result = Python::attach(|py| match callbacks.get(hook) {
                        Some(callback) => callback.call1(py, (partitions,)).map(drop),
                        None => Ok(()),
                    });
                    *hooks.hook_thread.lock() = None;
                    result
                })
                .await;
                match ran {
                    Ok(Ok(())) => {}
                    Ok(Err(err)) => self.hooks.record(err),
                    Err(join) => self.hooks.record(RustLogError::new_err(format!(
                        "the rebalance hook's thread failed: {join}"
                    ))),
                }
            }
            if matches!(hook, HookKind::Assigned) {
                self.hooks.end_poll_if_failed();
            }
        })
    }
}

/// `rustlog.aio._run_rebalance_hook(listener, method, partitions)`: a coroutine that calls the
/// method on the event loop (awaiting it when it returns an awaitable).
static RUN_HOOK: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// `rustlog.aio._IN_REBALANCE_HOOK`: a context variable, true inside an asyncio hook.
static IN_HOOK: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Whether the caller runs inside an asyncio rebalance hook (its context says so).
pub(crate) fn in_async_hook(py: Python<'_>) -> PyResult<bool> {
    IN_HOOK
        .import(py, "rustlog.aio", "_IN_REBALANCE_HOOK")?
        .call_method0("get")?
        .is_truthy()
}

/// The asyncio consumer's listener (a `rustlog.aio.ConsumerRebalanceListener` or any object
/// with the same methods, sync or async).
pub(crate) struct AsyncListener {
    pub(crate) listener: Arc<Py<PyAny>>,
    pub(crate) hooks: Arc<HookState>,
}

impl RebalanceHook for AsyncListener {
    fn run<'a>(
        &'a self,
        hook: HookKind,
        _consumer: &'a Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let method = match hook {
                HookKind::Assigned => "on_partitions_assigned",
                HookKind::Revoked => "on_partitions_revoked",
                HookKind::Lost => "on_partitions_lost",
            };
            let partitions = py_partitions(partitions);
            // Needs the task locals of the poll (or close) running it: they name the loop.
            let started = Python::attach(|py| {
                let coroutine = RUN_HOOK
                    .import(py, "rustlog.aio", "_run_rebalance_hook")?
                    .call1((self.listener.bind(py), method, partitions))?;
                pyo3_async_runtimes::tokio::into_future(coroutine)
            });
            let outcome = match started {
                Ok(running) => running.await.map(drop),
                Err(err) => Err(err),
            };
            if let Err(err) = outcome {
                self.hooks.record(err);
            }
            if matches!(hook, HookKind::Assigned) {
                self.hooks.end_poll_if_failed();
            }
        })
    }
}
