//! Value classes handed to Python: `RecordMetadata` (where a record landed) and `Message` (a
//! consumed record). Both are immutable.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use crate::convert::{py_headers, py_opt_bytes};

/// Where an acknowledged record was stored.
#[pyclass(module = "rustlog", frozen, eq, hash)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RecordMetadata {
    #[pyo3(get)]
    topic: String,
    #[pyo3(get)]
    partition: u32,
    #[pyo3(get)]
    offset: u64,
    /// Milliseconds since the Unix epoch.
    #[pyo3(get)]
    timestamp: i64,
}

impl From<rustlog::RecordMetadata> for RecordMetadata {
    fn from(m: rustlog::RecordMetadata) -> Self {
        RecordMetadata {
            topic: m.topic,
            partition: m.partition,
            offset: m.offset,
            timestamp: m.timestamp,
        }
    }
}

#[pymethods]
impl RecordMetadata {
    fn __repr__(&self) -> String {
        format!(
            "RecordMetadata(topic={:?}, partition={}, offset={}, timestamp={})",
            self.topic, self.partition, self.offset, self.timestamp
        )
    }
}

/// A consumed record. Keys, values and header values are `bytes` (or `None`).
#[pyclass(module = "rustlog", frozen)]
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub(crate) inner: rustlog::Message,
}

impl From<rustlog::Message> for Message {
    fn from(inner: rustlog::Message) -> Self {
        Message { inner }
    }
}

#[pymethods]
impl Message {
    #[getter]
    fn topic(&self) -> &str {
        self.inner.topic()
    }
    #[getter]
    fn partition(&self) -> u32 {
        self.inner.partition
    }
    #[getter]
    fn offset(&self) -> u64 {
        self.inner.offset
    }
    /// Milliseconds since the Unix epoch.
    #[getter]
    fn timestamp(&self) -> i64 {
        self.inner.timestamp
    }
    #[getter]
    fn key<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        py_opt_bytes(py, self.inner.key.as_ref())
    }
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        py_opt_bytes(py, self.inner.value.as_ref())
    }
    /// Header pairs in order, as `(str, bytes)` tuples.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        py_headers(py, &self.inner.headers)
    }
    fn __repr__(&self) -> String {
        let show = |b: &Option<bytes::Bytes>| match b {
            None => "None".to_string(),
            Some(b) if b.len() <= 32 => format!("{:?}", String::from_utf8_lossy(b)),
            Some(b) => format!("<{} bytes>", b.len()),
        };
        format!(
            "Message(topic={:?}, partition={}, offset={}, timestamp={}, key={}, value={})",
            self.inner.topic(),
            self.inner.partition,
            self.inner.offset,
            self.inner.timestamp,
            show(&self.inner.key),
            show(&self.inner.value)
        )
    }
}
