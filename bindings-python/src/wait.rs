//! Waiting for client work without holding the GIL and without going deaf to Ctrl-C.
//!
//! A call first polls its future once on the caller's thread (most sends and buffered polls
//! finish right there, so they cost no thread hop; polls, whose first poll may decode a whole
//! fetch, make it without the GIL). A future that has to wait is spawned on the
//! client's tokio runtime; the caller then releases the GIL and waits on a channel in short
//! slices, checking Python's signal handlers between slices. On KeyboardInterrupt the task is
//! aborted and the exception propagates.

use std::future::Future;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::task::{Context, Poll};
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use tokio::runtime::Handle;

use crate::errors::{client_error, RustLogError};

/// How long one GIL-free wait lasts before signal handlers run: Ctrl-C answers within this.
pub(crate) const SIGNAL_CHECK_SLICE: Duration = Duration::from_millis(50);

/// Largest timeout accepted from Python (longer values are treated as this); keeps deadline
/// arithmetic (`Instant + Duration`) far from overflow.
pub(crate) const TIMEOUT_MAX: Duration = Duration::from_secs(365 * 24 * 3600);

/// Converts a Python timeout in seconds (`None` = no limit) into a duration.
pub(crate) fn timeout_arg(seconds: Option<f64>) -> PyResult<Option<Duration>> {
    match seconds {
        None => Ok(None),
        Some(s) if s.is_nan() || s < 0.0 => Err(PyValueError::new_err(format!(
            "timeout must be a non-negative number of seconds or None, got {s}"
        ))),
        Some(s) => Ok(Some(
            Duration::try_from_secs_f64(s)
                .unwrap_or(TIMEOUT_MAX)
                .min(TIMEOUT_MAX),
        )),
    }
}

/// Where a blocking call makes its first poll.
#[derive(Clone, Copy)]
enum FirstPoll {
    /// On the caller's thread with the GIL held: cheap calls (sends, buffered polls).
    WithGil,
    /// On the caller's thread without the GIL: polls, whose first poll may decode a whole fetch.
    Detached,
}

/// Runs `future` for a blocking Python call (see the module doc).
pub(crate) fn block_on<T, F>(py: Python<'_>, rt: &Handle, future: F) -> PyResult<T>
where
    F: Future<Output = rustlog::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    run(py, rt, future, FirstPoll::WithGil)?.map_err(|e| client_error(py, e))
}

/// Like [`block_on`], but hands the client's own error back for the caller to inspect; the
/// outer error is an interrupt (KeyboardInterrupt) or a runtime that is gone.
pub(crate) fn block_on_raw<T, F>(
    py: Python<'_>,
    rt: &Handle,
    future: F,
) -> PyResult<rustlog::Result<T>>
where
    F: Future<Output = rustlog::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    run(py, rt, future, FirstPoll::WithGil)
}

/// Like [`block_on_raw`], but the first poll runs without the GIL too: a poll may decode a
/// whole fetch there, and other Python threads keep running meanwhile.
pub(crate) fn block_on_raw_detached<T, F>(
    py: Python<'_>,
    rt: &Handle,
    future: F,
) -> PyResult<rustlog::Result<T>>
where
    F: Future<Output = rustlog::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    run(py, rt, future, FirstPoll::Detached)
}

/// The one implementation behind the `block_on*` functions: poll once (where `first_poll`
/// says), then, if still pending, finish on the runtime.
fn run<T, F>(
    py: Python<'_>,
    rt: &Handle,
    future: F,
    first_poll: FirstPoll,
) -> PyResult<rustlog::Result<T>>
where
    F: Future<Output = rustlog::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let mut future = Box::pin(future);
    let first = match first_poll {
        FirstPoll::WithGil => poll_once(rt, &mut future),
        FirstPoll::Detached => {
            let (polled, first) = py.detach(move || {
                let mut future = future;
                let first = poll_once(rt, &mut future);
                (future, first)
            });
            future = polled;
            first
        }
    };
    match first {
        Poll::Ready(result) => Ok(result),
        Poll::Pending => finish(py, rt, future),
    }
}

/// Polls once on this thread, inside the runtime's context so timers and spawns made by the
/// poll find it. Most calls complete here and cost no thread hop.
fn poll_once<T, F>(rt: &Handle, future: &mut std::pin::Pin<Box<F>>) -> Poll<rustlog::Result<T>>
where
    F: Future<Output = rustlog::Result<T>> + ?Sized,
{
    let _context = rt.enter();
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    future.as_mut().poll(&mut cx)
}

/// Moves a pending future to the runtime and waits for it in slices.
fn finish<T, F>(
    py: Python<'_>,
    rt: &Handle,
    future: std::pin::Pin<Box<F>>,
) -> PyResult<rustlog::Result<T>>
where
    F: Future<Output = rustlog::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = sync_channel(1);
    let task = rt.spawn(async move {
        // The receiver is gone only after an interrupt; nobody wants the result then.
        let _ = tx.send(future.await);
    });
    wait_in_slices(py, rx, || task.abort())
}

/// Runs a blocking closure on its own thread (for calls that own their runtime, like connecting
/// a blocking client) and waits for it in slices.
pub(crate) fn on_thread<T, F>(py: Python<'_>, name: &str, work: F) -> PyResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = sync_channel(1);
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(|e| RustLogError::new_err(format!("cannot start thread {name}: {e}")))?;
    // An interrupted thread finishes on its own; its result is dropped.
    wait_in_slices(py, rx, || {})
}

/// Connects a blocking client for `Producer`, `Consumer` and `Admin`: the connect runs on its
/// own thread so the caller waits without the GIL and still answers Ctrl-C.
pub(crate) fn connect_blocking(
    py: Python<'_>,
    client_cfg: rustlog::ClientConfig,
) -> PyResult<rustlog::blocking::Client> {
    on_thread(py, "rustlog-connect", move || {
        rustlog::blocking::Client::connect_with(client_cfg)
    })?
    .map_err(|e| client_error(py, e))
}

/// Waits for one value without the GIL, running signal handlers every [`SIGNAL_CHECK_SLICE`].
fn wait_in_slices<T: Send>(
    py: Python<'_>,
    mut rx: Receiver<T>,
    on_interrupt: impl FnOnce(),
) -> PyResult<T> {
    loop {
        // The receiver moves in and out: `&Receiver` is not `Send`, so it cannot be borrowed
        // across `detach`.
        let (back, outcome) = py.detach(move || {
            let outcome = rx.recv_timeout(SIGNAL_CHECK_SLICE);
            (rx, outcome)
        });
        rx = back;
        match outcome {
            Ok(value) => return Ok(value),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    on_interrupt();
                    return Err(interrupt);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(RustLogError::new_err(
                    "the client task ended without a result (its runtime was shut down)",
                ))
            }
        }
    }
}
