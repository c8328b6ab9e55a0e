//! The client's and the embedded broker's log events (`rustlog::log_bridge`) as records of
//! Python's `logging`, under `logging.getLogger("rustlog")`.
//!
//! Events come from any thread, mostly tokio workers. [`sink`] drops every event below the
//! level (an atomic compare) on the thread that logged it, so an event no `rustlog` logger
//! wants never crosses into Python. An event that passes is queued (never waiting: a full queue
//! drops it and counts it) and wakes the Python thread `rustlog-log` (started by
//! `rustlog/_log_bridge.py`) through a socket pair. That thread takes the queued events with
//! [`_take_log_batch`] and makes the records in Python. No client thread ever waits for the
//! GIL, so a thread that holds the GIL while it waits for the client (a close in a `__del__`,
//! say) cannot deadlock with a log event of that client.
//!
//! Why a Python thread that blocks in `os.read`, not a Rust thread that attaches: while the
//! interpreter finalizes, CPython ends any thread that takes the GIL again by unwinding it
//! (`pthread_exit`), and an unwind through Rust frames aborts the process. A handler that
//! blocks (I/O, a lock) releases the GIL inside it, so whatever thread runs handlers must have
//! no Rust frame below them. `rustlog-log` calls into this module only for calls that hold the
//! GIL throughout and run no Python code ([`_take_log_batch`], [`_set_log_threshold`],
//! [`_stop_log_bridge`]); an `atexit` hook stops it before the interpreter finalizes.
//!
//! The level goes to the bridge itself ([`forward_at`]: `log_bridge::set_max_level`, which
//! rebuilds tracing's per-callsite interest cache on a change), so events below it are dropped
//! by tracing before anything formats them. [`sink`] checks [`FORWARDED`] as well, for the
//! events already on their way when the level rises.

use std::io::Write as _;
use std::os::fd::{IntoRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::OnceLock;

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyList;
use rustlog::log_bridge::{self, LogEvent, LogLevel};

use crate::errors::client_error;

/// `rustlog.TRACE`: Python's level of Rust's trace events, below `logging.DEBUG` (10).
pub(crate) const TRACE: i64 = 5;

/// Python's level number of a Rust level (trace: [`TRACE`]).
const fn python_level(level: LogLevel) -> i64 {
    match level {
        LogLevel::Error => 40,
        LogLevel::Warn => 30,
        LogLevel::Info => 20,
        LogLevel::Debug => 10,
        _ => TRACE,
    }
}

/// Rust levels, most detailed first.
const LEVELS: [LogLevel; 5] = [
    LogLevel::Trace,
    LogLevel::Debug,
    LogLevel::Info,
    LogLevel::Warn,
    LogLevel::Error,
];

/// A level as [`FORWARDED`] holds it, most severe lowest: error 1, ..., trace 5 (0: nothing),
/// so an event passes when its code is at most `FORWARDED`.
fn code(level: LogLevel) -> u8 {
    match level {
        LogLevel::Error => 1,
        LogLevel::Warn => 2,
        LogLevel::Info => 3,
        LogLevel::Debug => 4,
        _ => 5,
    }
}

/// Events waiting for `rustlog-log`; beyond this they are dropped (and counted).
const QUEUE_LEN: usize = 8192;
/// Most events one [`_take_log_batch`] returns.
const BATCH_MAX: usize = 512;

/// The queue, its wake-up socket and the Python side's threshold function.
struct Bridge {
    events: SyncSender<LogEvent>,
    taken: Mutex<Receiver<LogEvent>>,
    /// Written (non-blocking) when the queue gets an event while no wake-up is pending; the
    /// other end is the file descriptor `rustlog-log` reads.
    wake: UnixStream,
    /// `rustlog._log_bridge._threshold`: the lowest level a `rustlog` logger is enabled for.
    threshold: Py<PyAny>,
}

static BRIDGE: OnceLock<Bridge> = OnceLock::new();
/// A wake-up byte was written and `rustlog-log` has not taken a batch since.
static WAKE_PENDING: AtomicBool = AtomicBool::new(false);
/// Events the full queue turned away since the last batch.
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// The Rust level forwarded now (its [`code`], 0: none), checked by [`sink`].
static FORWARDED: AtomicU8 = AtomicU8::new(0);
/// Whether the bridge forwards to [`sink`] (installed on the first level that is not "none").
static INSTALLED: AtomicBool = AtomicBool::new(false);
/// Set at interpreter exit: nothing is queued or forwarded any more.
static STOPPED: AtomicBool = AtomicBool::new(false);

/// The bridge's sink: runs on the thread that logged, never blocks, never takes the GIL.
fn sink(event: LogEvent) {
    if code(event.level) > FORWARDED.load(Ordering::Relaxed) || STOPPED.load(Ordering::Relaxed) {
        return;
    }
    let Some(bridge) = BRIDGE.get() else {
        return;
    };
    if let Err(TrySendError::Full(_)) = bridge.events.try_send(event) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    wake(bridge);
}

fn wake(bridge: &Bridge) {
    if !WAKE_PENDING.swap(true, Ordering::SeqCst) {
        // A full socket buffer (WouldBlock) means a wake-up is waiting to be read anyway.
        let _ = (&bridge.wake).write(b"!");
    }
}

/// The most detailed Rust level a Python logger at `threshold` lets through (`None`: none,
/// e.g. `logging.CRITICAL`, which no Rust event reaches).
fn rust_level(threshold: i64) -> Option<LogLevel> {
    LEVELS
        .into_iter()
        .find(|&level| python_level(level) >= threshold)
}

/// Forwards events at `level` or more severe (`None`: none) from now on. Runs no Python code.
fn forward_at(py: Python<'_>, level: Option<LogLevel>) -> PyResult<()> {
    if STOPPED.load(Ordering::Relaxed) {
        return Ok(());
    }
    match level {
        Some(level) if !INSTALLED.load(Ordering::Relaxed) => {
            log_bridge::forward_logs(level, sink).map_err(|e| client_error(py, e))?;
            INSTALLED.store(true, Ordering::Relaxed);
        }
        // A no-op unless the level changed (constructors refresh it every time).
        _ if INSTALLED.load(Ordering::Relaxed) => log_bridge::set_max_level(level),
        _ => {}
    }
    FORWARDED.store(level.map_or(0, code), Ordering::Relaxed);
    Ok(())
}

/// Called by the constructors of the client objects and the embedded broker (on the caller's
/// thread): a level set on a `rustlog` logger since the last refresh takes effect now. A
/// failure is reported to `sys.unraisablehook`, never to the constructor's caller.
pub(crate) fn refresh(py: Python<'_>) {
    let Some(bridge) = BRIDGE.get() else {
        return;
    };
    let refreshed = bridge
        .threshold
        .bind(py)
        .call0()
        .and_then(|t| t.extract::<i64>())
        .and_then(|t| forward_at(py, rust_level(t)));
    if let Err(e) = refreshed {
        e.write_unraisable(py, None);
    }
}

/// `_native._install_log_bridge(threshold) -> fd`, called once by `rustlog._log_bridge`:
/// makes the queue and returns the file descriptor `rustlog-log` reads its wake-ups from.
/// The level stays "none" until the first `_set_log_threshold`.
#[pyfunction]
fn _install_log_bridge(threshold: Py<PyAny>) -> PyResult<RawFd> {
    let (wake, woken) = UnixStream::pair()?;
    wake.set_nonblocking(true)?;
    let (events, taken) = sync_channel(QUEUE_LEN);
    let bridge = Bridge {
        events,
        taken: Mutex::new(taken),
        wake,
        threshold,
    };
    if BRIDGE.set(bridge).is_err() {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "the rustlog log bridge is installed already",
        ));
    }
    Ok(woken.into_raw_fd())
}

/// `_native._set_log_threshold(level)`: forwards what a Python logger at `level` keeps.
#[pyfunction]
fn _set_log_threshold(py: Python<'_>, threshold: i64) -> PyResult<()> {
    forward_at(py, rust_level(threshold))
}

/// `_native._take_log_batch()`: up to [`BATCH_MAX`] queued events as `(level, target,
/// message)` tuples (Python levels), empty when none wait; then a `WARNING` on `rustlog` if
/// events were dropped. Holds the GIL throughout and runs no Python code.
#[pyfunction]
fn _take_log_batch(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let batch = PyList::empty(py);
    let Some(bridge) = BRIDGE.get() else {
        return Ok(batch);
    };
    // Before draining: an event queued from here on writes a new wake-up.
    WAKE_PENDING.store(false, Ordering::SeqCst);
    let taken = bridge.taken.lock();
    for _ in 0..BATCH_MAX {
        let Ok(event) = taken.try_recv() else {
            break;
        };
        batch.append((python_level(event.level), event.target, event.message))?;
    }
    let dropped = DROPPED.swap(0, Ordering::Relaxed);
    if dropped > 0 {
        let message = format!(
            "{dropped} log events of the Rust client were dropped: Python's logging did not \
             keep up (raise the level of the rustlog loggers)"
        );
        batch.append((python_level(LogLevel::Warn), "rustlog", message))?;
    }
    Ok(batch)
}

/// `_native._stop_log_bridge()`, at interpreter exit: nothing is forwarded any more, events
/// still queued are dropped, and `rustlog-log` is woken to see that it should end.
#[pyfunction]
fn _stop_log_bridge() {
    STOPPED.store(true, Ordering::SeqCst);
    FORWARDED.store(0, Ordering::Relaxed);
    log_bridge::stop_forwarding_logs();
    if let Some(bridge) = BRIDGE.get() {
        let _ = (&bridge.wake).write(b"!");
    }
}

/// The Rust level forwarded now (`"warn"`, ...; `None`: nothing), for tests.
#[pyfunction]
fn _forwarded_log_level() -> Option<&'static str> {
    // The bridge's own level, where tracing filters: what this module handed it.
    log_bridge::max_level().map(LogLevel::name)
}

/// `_native._unraisable(exc, obj)`: reports an exception a handler raised to
/// `sys.unraisablehook`, as the package's other callbacks do.
#[pyfunction]
fn _unraisable(py: Python<'_>, exc: Bound<'_, PyAny>, obj: Option<Bound<'_, PyAny>>) {
    PyErr::from_value(exc).write_unraisable(py, obj.as_ref());
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("TRACE", TRACE)?;
    m.add_function(wrap_pyfunction!(_install_log_bridge, m)?)?;
    m.add_function(wrap_pyfunction!(_set_log_threshold, m)?)?;
    m.add_function(wrap_pyfunction!(_take_log_batch, m)?)?;
    m.add_function(wrap_pyfunction!(_stop_log_bridge, m)?)?;
    m.add_function(wrap_pyfunction!(_forwarded_log_level, m)?)?;
    m.add_function(wrap_pyfunction!(_unraisable, m)?)?;
    Ok(())
}
