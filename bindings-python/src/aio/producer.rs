//! `rustlog.aio.Producer`. One worker task per producer takes commands in call order, so records
//! sent from one coroutine (or gathered) are queued in the order `send` was called.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use pyo3_async_runtimes::tokio::{future_into_py, future_into_py_with_locals, get_runtime};
use rustlog::{DeliveryHandle, ProducerConfig, Record, Scope};
use tokio::sync::{mpsc, oneshot};

use super::worker_gone;
use crate::config::{settings, DEFAULT_BOOTSTRAP};
use crate::convert;
use crate::errors::{client_error, client_error_detached, closed};
use crate::producer::{wait_deliveries, wait_delivery};
use crate::types::RecordMetadata;
use crate::wait::timeout_arg;

type Reply<T> = oneshot::Sender<rustlog::Result<T>>;

enum Command {
    Start(Reply<()>),
    Send(Record, Reply<DeliveryHandle>),
    SendBatch(Vec<Record>, Reply<Vec<DeliveryHandle>>),
    /// `None`: the delivery timeout.
    Flush(Option<Duration>, Reply<()>),
    Close(Option<Duration>, Reply<()>),
}

/// Connects on the first command (again after a failed attempt), then runs commands in order.
async fn worker(
    client: rustlog::Client,
    producer_cfg: ProducerConfig,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let mut connected: Option<rustlog::Producer> = None;
    while let Some(command) = commands.recv().await {
        if connected.is_none() {
            let attempt = async {
                client.ensure_connected().await?;
                client.producer(producer_cfg.clone())
            };
            match attempt.await {
                Ok(producer) => connected = Some(producer),
                Err(e) => {
                    command.fail(e);
                    continue;
                }
            }
        }
        let Some(producer) = &connected else {
            continue;
        };
        match command {
            Command::Start(reply) => {
                let _ = reply.send(Ok(()));
            }
            Command::Send(record, reply) => {
                let _ = reply.send(producer.send(record).await);
            }
            Command::SendBatch(records, reply) => {
                let _ = reply.send(producer.send_batch(records).await);
            }
            Command::Flush(timeout, reply) => {
                // Off the command loop: sends keep flowing while a flush waits for acks.
                let producer = producer.clone();
                tokio::spawn(async move {
                    let _ = reply.send(producer.flush(timeout).await);
                });
            }
            // In the loop: every later send sees the producer closed.
            Command::Close(timeout, reply) => {
                let _ = reply.send(producer.close(timeout).await);
            }
        }
    }
}

impl Command {
    fn fail(self, err: rustlog::Error) {
        match self {
            Command::Start(r) | Command::Flush(_, r) | Command::Close(_, r) => {
                let _ = r.send(Err(err));
            }
            Command::Send(_, r) => {
                let _ = r.send(Err(err));
            }
            Command::SendBatch(_, r) => {
                let _ = r.send(Err(err));
            }
        }
    }
}

/// The asyncio producer: `await producer.send(...)` queues and gives a future of the record's
/// metadata; `await producer.send_and_wait(...)` gives the metadata.
#[pyclass(module = "rustlog.aio", name = "Producer", frozen)]
pub(crate) struct AsyncProducer {
    commands: mpsc::UnboundedSender<Command>,
}

impl AsyncProducer {
    fn submit<'py, T, R>(
        &self,
        py: Python<'py>,
        command: impl FnOnce(Reply<T>) -> Command,
        then: impl FnOnce(T) -> R + Send + 'static,
    ) -> PyResult<Bound<'py, PyAny>>
    where
        T: Send + 'static,
        R: std::future::Future<Output = PyResult<Py<PyAny>>> + Send + 'static,
    {
        // Without a running loop the awaitable cannot be made; fail before the command is
        // queued, so nothing is sent on behalf of a call that raised.
        pyo3_async_runtimes::get_running_loop(py)?;
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(command(tx))
            .map_err(|_| closed(py, "producer"))?;
        future_into_py(py, async move {
            let answer = rx
                .await
                .map_err(worker_gone)?
                .map_err(client_error_detached)?;
            then(answer).await
        })
    }
}

fn unit() -> PyResult<Py<PyAny>> {
    Ok(Python::attach(|py| py.None()))
}

#[pymethods]
impl AsyncProducer {
    #[new]
    #[pyo3(signature = (bootstrap = DEFAULT_BOOTSTRAP, **options))]
    fn new(py: Python<'_>, bootstrap: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        crate::logs::refresh(py);
        let settings = settings(py, "aio.Producer", Scope::Producer, bootstrap, options)?;
        // Lazy: the worker connects on the first command.
        let client = rustlog::Client::lazy(settings.client).map_err(|e| client_error(py, e))?;
        let producer_cfg = settings.producer;
        let (tx, rx) = mpsc::unbounded_channel();
        get_runtime().spawn(worker(client, producer_cfg, rx));
        Ok(AsyncProducer { commands: tx })
    }

    /// Connects now (otherwise the first call connects).
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.submit(py, Command::Start, |()| async { unit() })
    }

    /// Queues one record and resolves, once it is queued, to an `asyncio.Future` of its
    /// `RecordMetadata` (aiokafka's shape: `fut = await producer.send(...)`, `await fut`).
    #[pyo3(signature = (topic, value, key = None, headers = None, partition = None, timestamp_ms = None))]
    #[allow(clippy::too_many_arguments)]
    fn send<'py>(
        &self,
        py: Python<'py>,
        topic: &str,
        value: &Bound<'py, PyAny>,
        key: Option<&Bound<'py, PyAny>>,
        headers: Option<&Bound<'py, PyAny>>,
        partition: Option<u32>,
        timestamp_ms: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let record = convert::record(topic, value, key, headers, partition, timestamp_ms)?;
        self.submit(
            py,
            |reply| Command::Send(record, reply),
            |handle| async move {
                Python::attach(|py| {
                    // The loop of the `send` call (its task locals are in scope here).
                    let locals = pyo3_async_runtimes::tokio::get_current_locals(py)?;
                    let delivery = future_into_py_with_locals(py, locals, async move {
                        let meta = wait_delivery(handle, None)
                            .await
                            .map_err(client_error_detached)?;
                        Ok(RecordMetadata::from(meta))
                    })?;
                    Ok(delivery.unbind())
                })
            },
        )
    }

    /// Queues one record and resolves to its `RecordMetadata` once acknowledged.
    #[pyo3(signature = (topic, value, key = None, headers = None, partition = None, timestamp_ms = None))]
    #[allow(clippy::too_many_arguments)]
    fn send_and_wait<'py>(
        &self,
        py: Python<'py>,
        topic: &str,
        value: &Bound<'py, PyAny>,
        key: Option<&Bound<'py, PyAny>>,
        headers: Option<&Bound<'py, PyAny>>,
        partition: Option<u32>,
        timestamp_ms: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let record = convert::record(topic, value, key, headers, partition, timestamp_ms)?;
        self.submit(
            py,
            |reply| Command::Send(record, reply),
            |handle| async move {
                let meta = wait_delivery(handle, None)
                    .await
                    .map_err(client_error_detached)?;
                Python::attach(|py| Ok(Py::new(py, RecordMetadata::from(meta))?.into_any()))
            },
        )
    }

    /// Queues many records of one topic at once; resolves to their metadata in order.
    #[pyo3(signature = (topic, records, partition = None))]
    fn send_batch<'py>(
        &self,
        py: Python<'py>,
        topic: &str,
        records: &Bound<'py, PyAny>,
        partition: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let records = convert::batch_records(topic, records, partition)?;
        self.submit(
            py,
            |reply| Command::SendBatch(records, reply),
            |handles| async move {
                let metas = wait_deliveries(handles, None)
                    .await
                    .map_err(client_error_detached)?;
                Python::attach(|py| {
                    let metas: Vec<RecordMetadata> =
                        metas.into_iter().map(RecordMetadata::from).collect();
                    Ok(metas.into_pyobject(py)?.into_any().unbind())
                })
            },
        )
    }

    /// Sends everything buffered and waits for the acknowledgements.
    #[pyo3(signature = (timeout = None))]
    fn flush<'py>(&self, py: Python<'py>, timeout: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        let timeout = timeout_arg(timeout)?;
        self.submit(py, |r| Command::Flush(timeout, r), |()| async { unit() })
    }

    /// Flushes, then stops; later sends raise `rustlog.Closed`.
    #[pyo3(signature = (timeout = None))]
    fn close<'py>(&self, py: Python<'py>, timeout: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        let timeout = timeout_arg(timeout)?;
        self.submit(py, |r| Command::Close(timeout, r), |()| async { unit() })
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this: Py<Self> = slf.clone().unbind();
        slf.get().submit(
            py,
            Command::Start,
            move |()| async move { Ok(this.into_any()) },
        )
    }

    /// Flushes and closes.
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc_type: Option<&Bound<'py, PyType>>,
        _exc: Option<&Bound<'py, PyAny>>,
        _tb: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.close(py, None)
    }
}
