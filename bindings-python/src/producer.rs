//! `rustlog.Producer` (blocking) and its delivery futures, over `rustlog::blocking::Producer`.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use rustlog::{blocking, DeliveryHandle, Error, Scope};
use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::config::{settings, DEFAULT_BOOTSTRAP};
use crate::convert;
use crate::errors::client_error;
use crate::types::RecordMetadata;
use crate::wait::{block_on, connect_blocking, timeout_arg};

/// Waits for one delivery, up to `timeout` (`None`: the producer's delivery timeout bounds it).
pub(crate) async fn wait_delivery(
    handle: DeliveryHandle,
    timeout: Option<Duration>,
) -> rustlog::Result<rustlog::RecordMetadata> {
    match timeout {
        None => handle.wait().await,
        Some(t) => tokio::time::timeout(t, handle.wait())
            .await
            .map_err(|_| timed_out("waiting for a delivery", t))?,
    }
}

/// Waits for every delivery of a batch, up to `timeout` in total.
pub(crate) async fn wait_deliveries(
    handles: Vec<DeliveryHandle>,
    timeout: Option<Duration>,
) -> rustlog::Result<Vec<rustlog::RecordMetadata>> {
    let all = async {
        let mut out = Vec::with_capacity(handles.len());
        for handle in &handles {
            out.push(handle.wait().await?);
        }
        Ok(out)
    };
    match timeout {
        None => all.await,
        Some(t) => tokio::time::timeout(t, all)
            .await
            .map_err(|_| timed_out("waiting for a batch of deliveries", t))?,
    }
}

pub(crate) fn timed_out(operation: &str, timeout: Duration) -> Error {
    Error::TimedOut {
        operation: operation.to_string(),
        timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
    }
}

thread_local! {
    /// Set while this thread runs an `on_delivery` callback: a `flush` there must not wait for
    /// the callbacks (its own among them).
    static IN_DELIVERY_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// A callable argument (`on_delivery`, `add_done_callback`), or a `TypeError`.
fn callable(name: &str, value: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    if !value.is_callable() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be callable, not {}",
            value.get_type().name()?
        )));
    }
    Ok(value.unbind())
}

/// Calls a user callback with the GIL; its exception goes to `sys.unraisablehook` (nobody
/// else could catch it), as the exceptions of `concurrent.futures` callbacks are only logged.
fn call_back<'py>(py: Python<'py>, callback: &Py<PyAny>, args: impl pyo3::call::PyCallArgs<'py>) {
    if let Err(err) = callback.call1(py, args) {
        err.write_unraisable(py, Some(callback.bind(py)));
    }
}

/// The `on_delivery` callbacks of one producer: one task waits for the deliveries in send order
/// and runs each callback (on a blocking thread, with the GIL) once its outcome is known, so
/// callbacks run one at a time and in send order.
struct DeliveryCallbacks {
    queue: mpsc::UnboundedSender<(DeliveryHandle, Py<PyAny>)>,
    /// Callbacks queued so far, and (from the task) run so far.
    queued: AtomicU64,
    ran: watch::Receiver<u64>,
}

impl DeliveryCallbacks {
    fn start(rt: &Handle) -> DeliveryCallbacks {
        let (queue, mut pending) = mpsc::unbounded_channel::<(DeliveryHandle, Py<PyAny>)>();
        let (ran_tx, ran) = watch::channel(0u64);
        rt.spawn(async move {
            let mut ran = 0u64;
            while let Some((handle, callback)) = pending.recv().await {
                let outcome = handle.wait().await;
                let _ = tokio::task::spawn_blocking(move || {
                    IN_DELIVERY_CALLBACK.with(|c| c.set(true));
                    Python::attach(|py| {
                        let args = match outcome {
                            Ok(meta) => match Py::new(py, RecordMetadata::from(meta)) {
                                Ok(meta) => (py.None(), meta.into_any()),
                                Err(err) => (err.into_value(py).into_any(), py.None()),
                            },
                            Err(err) => {
                                (client_error(py, err).into_value(py).into_any(), py.None())
                            }
                        };
                        call_back(py, &callback, args);
                    });
                    IN_DELIVERY_CALLBACK.with(|c| c.set(false));
                })
                .await;
                ran += 1;
                ran_tx.send_replace(ran);
            }
        });
        DeliveryCallbacks {
            queue,
            queued: AtomicU64::new(0),
            ran,
        }
    }

    fn push(&self, handle: DeliveryHandle, callback: Py<PyAny>) {
        self.queued.fetch_add(1, Ordering::AcqRel);
        // The task ends only with the producer (the sender is dropped first).
        let _ = self.queue.send((handle, callback));
    }

    /// What a `flush`/`close` waits for: the callbacks queued until now (none from inside a
    /// callback, which would wait for itself).
    fn until_now(&self) -> Option<(watch::Receiver<u64>, u64)> {
        if IN_DELIVERY_CALLBACK.with(Cell::get) {
            return None;
        }
        Some((self.ran.clone(), self.queued.load(Ordering::Acquire)))
    }
}

/// Waits until `target` callbacks ran, up to `timeout`.
async fn callbacks_ran(
    wait: Option<(watch::Receiver<u64>, u64)>,
    timeout: Duration,
) -> rustlog::Result<()> {
    let Some((mut ran, target)) = wait else {
        return Ok(());
    };
    let waited = tokio::time::timeout(timeout, ran.wait_for(|n| *n >= target))
        .await
        .map(|_| ());
    // An error inside means the task is gone: nothing is left to wait for.
    waited.map_err(|_| timed_out("waiting for on_delivery callbacks", timeout))
}

/// Sends records in batches. `send` queues and returns a `DeliveryFuture` at once.
#[pyclass(module = "rustlog", frozen)]
pub(crate) struct Producer {
    /// Keeps the runtime alive and supplies it for waits.
    client: blocking::Client,
    producer: blocking::Producer,
    rt: Handle,
    /// Bound for `flush()`/`close()` without a timeout: no record can take longer.
    /// Started by the first `send(on_delivery=...)`.
    callbacks: OnceLock<DeliveryCallbacks>,
}

impl Producer {
    fn flush_timeout(&self, timeout: Option<f64>) -> PyResult<Duration> {
        let limit = || self.producer.async_producer().config().delivery_timeout();
        Ok(timeout_arg(timeout)?.unwrap_or_else(limit))
    }

    fn callbacks_until_now(&self) -> Option<(watch::Receiver<u64>, u64)> {
        self.callbacks.get().and_then(DeliveryCallbacks::until_now)
    }
}

#[pymethods]
impl Producer {
    #[new]
    #[pyo3(signature = (bootstrap = DEFAULT_BOOTSTRAP, **options))]
    fn new(py: Python<'_>, bootstrap: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        crate::logs::refresh(py);
        let settings = settings(py, "Producer", Scope::Producer, bootstrap, options)?;
        let (client_cfg, config) = (settings.client, settings.producer);
        let client = connect_blocking(py, client_cfg)?;
        let producer = client.producer(config).map_err(|e| client_error(py, e))?;
        let rt = client.runtime().map_err(|e| client_error(py, e))?;
        Ok(Producer {
            client,
            producer,
            rt,
            callbacks: OnceLock::new(),
        })
    }

    /// Queues one record; returns a `DeliveryFuture` resolving to its `RecordMetadata`.
    /// `on_delivery(err, metadata)` runs once the outcome is known (`err` is `None` or the
    /// exception, `metadata` the `RecordMetadata` or `None`), on a client thread, in send order;
    /// `flush` and `close` wait for it.
    #[pyo3(signature = (
        topic, value, key = None, headers = None, partition = None, timestamp_ms = None, *,
        on_delivery = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn send(
        &self,
        py: Python<'_>,
        topic: &str,
        value: &Bound<'_, PyAny>,
        key: Option<&Bound<'_, PyAny>>,
        headers: Option<&Bound<'_, PyAny>>,
        partition: Option<u32>,
        timestamp_ms: Option<i64>,
        on_delivery: Option<Bound<'_, PyAny>>,
    ) -> PyResult<DeliveryFuture> {
        let on_delivery = on_delivery
            .map(|c| callable("on_delivery", c))
            .transpose()?;
        let record = convert::record(topic, value, key, headers, partition, timestamp_ms)?;
        let producer = self.producer.async_producer().clone();
        let handle = block_on(py, &self.rt, async move { producer.send(record).await })?;
        if let Some(callback) = on_delivery {
            self.callbacks
                .get_or_init(|| DeliveryCallbacks::start(&self.rt))
                .push(handle.clone(), callback);
        }
        Ok(DeliveryFuture {
            client: self.client.clone(),
            handle,
        })
    }

    /// Queues many records of one topic in a single call (all or none are queued). Each item
    /// is a value, a `(key, value)` pair or a `(key, value, headers)` triple.
    #[pyo3(signature = (topic, records, partition = None))]
    fn send_batch(
        &self,
        py: Python<'_>,
        topic: &str,
        records: &Bound<'_, PyAny>,
        partition: Option<u32>,
    ) -> PyResult<BatchFuture> {
        let records = convert::batch_records(topic, records, partition)?;
        let producer = self.producer.async_producer().clone();
        let handles = block_on(
            py,
            &self.rt,
            async move { producer.send_batch(records).await },
        )?;
        Ok(BatchFuture {
            client: self.client.clone(),
            handles,
        })
    }

    /// Sends everything buffered and waits for the acknowledgements (and the `on_delivery`
    /// callbacks of the records sent before).
    #[pyo3(signature = (timeout = None))]
    fn flush(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        let timeout = self.flush_timeout(timeout)?;
        let producer = self.producer.async_producer().clone();
        let callbacks = self.callbacks_until_now();
        block_on(py, &self.rt, async move {
            let start = Instant::now();
            producer.flush(timeout).await?;
            callbacks_ran(callbacks, timeout.saturating_sub(start.elapsed())).await
        })
    }

    /// Flushes (callbacks included), then stops; later sends raise `rustlog.Closed`.
    #[pyo3(signature = (timeout = None))]
    fn close(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        let timeout = self.flush_timeout(timeout)?;
        let producer = self.producer.async_producer().clone();
        let callbacks = self.callbacks_until_now();
        block_on(py, &self.rt, async move {
            let start = Instant::now();
            producer.close(timeout).await?;
            callbacks_ran(callbacks, timeout.saturating_sub(start.elapsed())).await
        })
    }

    /// Whether `close` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.producer.async_producer().is_closed()
    }

    fn __repr__(&self) -> String {
        format!(
            "Producer(bootstrap={:?}, closed={})",
            self.client.config().broker_addr,
            convert::py_bool(self.closed())
        )
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Flushes and closes, also when the block raised.
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyType>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close(py, None)?;
        Ok(false)
    }
}

/// The outcome of one `send`.
#[pyclass(module = "rustlog", frozen)]
pub(crate) struct DeliveryFuture {
    client: blocking::Client,
    handle: DeliveryHandle,
}

#[pymethods]
impl DeliveryFuture {
    /// Waits for the acknowledgement; raises the send's error.
    #[pyo3(signature = (timeout = None))]
    fn result(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<RecordMetadata> {
        let timeout = timeout_arg(timeout)?;
        let handle = self.handle.clone();
        let rt = self.client.runtime().map_err(|e| client_error(py, e))?;
        let meta = block_on(py, &rt, wait_delivery(handle, timeout))?;
        Ok(meta.into())
    }

    /// True once the outcome is known.
    fn done(&self) -> bool {
        self.handle.is_done()
    }

    /// Calls `callback(future)` once the outcome is known, as `concurrent.futures` does: at
    /// once (on this thread) when it is known already, else on a client thread with the GIL.
    /// Its exception goes to `sys.unraisablehook`.
    fn add_done_callback(slf: &Bound<'_, Self>, callback: Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let callback = callable("add_done_callback's argument", callback)?;
        let this = slf.get();
        if this.handle.is_done() {
            call_back(py, &callback, (slf,));
            return Ok(());
        }
        let rt = this.client.runtime().map_err(|e| client_error(py, e))?;
        let handle = this.handle.clone();
        let future = slf.clone().unbind();
        rt.spawn(async move {
            let _ = handle.wait().await;
            let _ = tokio::task::spawn_blocking(move || {
                Python::attach(|py| call_back(py, &callback, (future,)));
            })
            .await;
        });
        Ok(())
    }

    /// The partition the record was assigned to.
    #[getter]
    fn partition(&self) -> u32 {
        self.handle.partition()
    }
}

/// The outcome of one `send_batch`.
#[pyclass(module = "rustlog", frozen)]
pub(crate) struct BatchFuture {
    client: blocking::Client,
    handles: Vec<DeliveryHandle>,
}

impl BatchFuture {
    /// Waits for every acknowledgement (`result` and `wait` differ only in what they return).
    fn wait_all(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
    ) -> PyResult<Vec<rustlog::RecordMetadata>> {
        let timeout = timeout_arg(timeout)?;
        let handles = self.handles.clone();
        let rt = self.client.runtime().map_err(|e| client_error(py, e))?;
        block_on(py, &rt, wait_deliveries(handles, timeout))
    }
}

#[pymethods]
impl BatchFuture {
    /// Waits for every acknowledgement; returns the metadata in record order.
    #[pyo3(signature = (timeout = None))]
    fn result(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Vec<RecordMetadata>> {
        let metas = self.wait_all(py, timeout)?;
        Ok(metas.into_iter().map(RecordMetadata::from).collect())
    }

    /// Waits for every acknowledgement without building metadata objects; returns the count.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<usize> {
        Ok(self.wait_all(py, timeout)?.len())
    }

    /// True once every outcome is known.
    fn done(&self) -> bool {
        self.handles.iter().all(DeliveryHandle::is_done)
    }

    fn __len__(&self) -> usize {
        self.handles.len()
    }
}
