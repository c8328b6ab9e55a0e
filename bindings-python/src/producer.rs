//! `rustlog.Producer` (blocking) and its delivery futures, over `rustlog::blocking::Producer`.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyType;
use rustlog::{blocking, DeliveryHandle, Error};
use tokio::runtime::Handle;

use crate::config::{client_config, producer_config, CodecOptions};
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

/// Sends records in batches. `send` queues and returns a `DeliveryFuture` at once.
#[pyclass(module = "rustlog", frozen)]
pub(crate) struct Producer {
    /// Keeps the runtime alive and supplies it for waits.
    client: blocking::Client,
    producer: blocking::Producer,
    rt: Handle,
    /// Bound for `flush()`/`close()` without a timeout: no record can take longer.
    delivery_timeout: Duration,
}

impl Producer {
    fn flush_timeout(&self, timeout: Option<f64>) -> PyResult<Duration> {
        Ok(timeout_arg(timeout)?.unwrap_or(self.delivery_timeout))
    }
}

#[pymethods]
impl Producer {
    #[new]
    #[pyo3(signature = (
        bootstrap = "127.0.0.1:7400", *, linger_ms = None, batch_bytes = None, acks = None,
        max_in_flight_requests = None, buffer_bytes_max = None, delivery_timeout_ms = None,
        retry_backoff_ms = None, compression = "none", compression_level = None,
        idempotence = true, client_id = None, request_timeout_ms = None,
        connect_timeout_ms = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        bootstrap: &str,
        linger_ms: Option<u64>,
        batch_bytes: Option<usize>,
        acks: Option<&Bound<'_, PyAny>>,
        max_in_flight_requests: Option<usize>,
        buffer_bytes_max: Option<usize>,
        delivery_timeout_ms: Option<u64>,
        retry_backoff_ms: Option<u64>,
        compression: &str,
        compression_level: Option<i64>,
        idempotence: bool,
        client_id: Option<String>,
        request_timeout_ms: Option<u64>,
        connect_timeout_ms: Option<u64>,
    ) -> PyResult<Self> {
        let config = producer_config(
            py,
            linger_ms,
            batch_bytes,
            acks,
            max_in_flight_requests,
            buffer_bytes_max,
            delivery_timeout_ms,
            retry_backoff_ms,
            CodecOptions {
                compression,
                compression_level,
                idempotence,
            },
        )?;
        let delivery_timeout = Duration::from_millis(config.delivery_timeout_ms);
        let client_cfg =
            client_config(bootstrap, client_id, request_timeout_ms, connect_timeout_ms);
        let client = connect_blocking(py, client_cfg)?;
        let producer = client.producer(config).map_err(|e| client_error(py, e))?;
        let rt = client.runtime().map_err(|e| client_error(py, e))?;
        Ok(Producer {
            client,
            producer,
            rt,
            delivery_timeout,
        })
    }

    /// Queues one record; returns a `DeliveryFuture` resolving to its `RecordMetadata`.
    #[pyo3(signature = (topic, value, key = None, headers = None, partition = None, timestamp_ms = None))]
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
    ) -> PyResult<DeliveryFuture> {
        let record = convert::record(topic, value, key, headers, partition, timestamp_ms)?;
        let producer = self.producer.async_producer().clone();
        let handle = block_on(py, &self.rt, async move { producer.send(record).await })?;
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

    /// Sends everything buffered and waits for the acknowledgements.
    #[pyo3(signature = (timeout = None))]
    fn flush(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        let timeout = self.flush_timeout(timeout)?;
        let producer = self.producer.async_producer().clone();
        block_on(py, &self.rt, async move { producer.flush(timeout).await })
    }

    /// Flushes, then stops; later sends raise `rustlog.Closed`.
    #[pyo3(signature = (timeout = None))]
    fn close(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        let timeout = self.flush_timeout(timeout)?;
        let producer = self.producer.async_producer().clone();
        block_on(py, &self.rt, async move { producer.close(timeout).await })
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
