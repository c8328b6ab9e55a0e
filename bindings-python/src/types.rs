//! Value classes handed to Python: `RecordMetadata` (where a record landed), `Message` (a
//! consumed record), the admin's offset answers `PartitionOffset`, `CommittedOffset` and
//! `OffsetChange`, and the consumer's `TopicPartitionOffset`. All are immutable.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use pyo3::IntoPyObject;

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
            topic: m.topic.to_string(),
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

/// A consumed record. Keys, values and header values are `bytes` (or `None` for null).
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

impl Message {
    /// The Python object for a consumed record, left out of the cycle collector.
    ///
    /// PyO3 makes every pyclass a GC type, so each `Message` would count towards the collector's
    /// thresholds and be walked by every collection while the batch lives: with batches of
    /// 100,000 messages that was a fifth of consume time. A `Message` holds no Python
    /// references (only Rust bytes), so it can never be part of a cycle; CPython untracks its
    /// own atom-only tuples and dicts for the same reason.
    // The crate's only unsafe code: PyO3 has no safe wrapper for untracking.
    #[allow(unsafe_code)]
    pub(crate) fn into_untracked(
        py: Python<'_>,
        inner: rustlog::Message,
    ) -> PyResult<Bound<'_, Message>> {
        let object = Bound::new(py, Message { inner })?;
        // SAFETY: `object` is a live, tracked GC object we own a reference to; untracking only
        // unlinks it from the collector's lists, and PyO3's dealloc untracks again, which
        // CPython allows for an untracked object.
        unsafe { pyo3::ffi::PyObject_GC_UnTrack(object.as_ptr().cast()) };
        Ok(object)
    }
}

/// A polled batch on its way to Python: a `list` of untracked [`Message`]s.
pub(crate) struct MessageList(pub(crate) Vec<rustlog::Message>);

impl<'py> IntoPyObject<'py> for MessageList {
    type Target = PyList;
    type Output = Bound<'py, PyList>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let objects = self
            .0
            .into_iter()
            .map(|m| Message::into_untracked(py, m))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, objects)
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
    /// Header pairs in the order produced, as `(str, bytes | None)` tuples: a repeated key
    /// appears once per value, and `None` is a null value.
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

/// `None` spelled the Python way, for `__repr__`.
fn py_opt<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "None".to_string(), |v| v.to_string())
}

/// One partition's offset from `Admin.topic_offsets` / `Admin.offsets_for_time`.
#[pyclass(module = "rustlog", frozen, eq, hash)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PartitionOffset {
    #[pyo3(get)]
    partition: u32,
    /// `None` when a timestamp lookup finds no record at or after the timestamp.
    #[pyo3(get)]
    offset: Option<u64>,
}

impl From<rustlog::PartitionOffset> for PartitionOffset {
    fn from(p: rustlog::PartitionOffset) -> Self {
        PartitionOffset {
            partition: p.partition,
            offset: p.offset,
        }
    }
}

#[pymethods]
impl PartitionOffset {
    #[new]
    fn new(partition: u32, offset: Option<u64>) -> Self {
        PartitionOffset { partition, offset }
    }

    fn __repr__(&self) -> String {
        format!(
            "PartitionOffset(partition={}, offset={})",
            self.partition,
            py_opt(self.offset)
        )
    }
}

/// One partition's offset from a consumer's `offsets_for_times`.
#[pyclass(module = "rustlog", frozen, eq, hash)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TopicPartitionOffset {
    #[pyo3(get)]
    pub(crate) topic: String,
    #[pyo3(get)]
    pub(crate) partition: u32,
    /// The first offset whose record is at or after the timestamp; `None` when no record is
    /// that new (confluent-kafka answers -1 there).
    #[pyo3(get)]
    pub(crate) offset: Option<u64>,
}

#[pymethods]
impl TopicPartitionOffset {
    #[new]
    pub(crate) fn new(topic: String, partition: u32, offset: Option<u64>) -> Self {
        TopicPartitionOffset {
            topic,
            partition,
            offset,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "TopicPartitionOffset(topic={:?}, partition={}, offset={})",
            self.topic,
            self.partition,
            py_opt(self.offset)
        )
    }
}

/// A group's committed offset of one partition, from `Admin.group_offsets`.
#[pyclass(module = "rustlog", frozen, eq, hash)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CommittedOffset {
    #[pyo3(get)]
    topic: String,
    #[pyo3(get)]
    partition: u32,
    /// The next offset the group will consume.
    #[pyo3(get)]
    offset: u64,
    /// The free text committed with the offset.
    #[pyo3(get)]
    metadata: Option<String>,
}

impl From<rustlog::CommittedOffset> for CommittedOffset {
    fn from(c: rustlog::CommittedOffset) -> Self {
        CommittedOffset {
            topic: c.topic,
            partition: c.partition,
            offset: c.offset,
            metadata: c.metadata,
        }
    }
}

#[pymethods]
impl CommittedOffset {
    #[new]
    #[pyo3(signature = (topic, partition, offset, metadata = None))]
    fn new(topic: String, partition: u32, offset: u64, metadata: Option<String>) -> Self {
        CommittedOffset {
            topic,
            partition,
            offset,
            metadata,
        }
    }

    fn __repr__(&self) -> String {
        let metadata = match &self.metadata {
            Some(m) => format!("{m:?}"),
            None => "None".to_string(),
        };
        format!(
            "CommittedOffset(topic={:?}, partition={}, offset={}, metadata={metadata})",
            self.topic, self.partition, self.offset
        )
    }
}

/// One partition of a reset plan from `Admin.reset_group_offsets`: where the group is
/// (`current`, `None` when nothing is committed) and where it goes (`new`).
#[pyclass(module = "rustlog", frozen, eq, hash)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct OffsetChange {
    #[pyo3(get)]
    topic: String,
    #[pyo3(get)]
    partition: u32,
    #[pyo3(get)]
    current: Option<u64>,
    #[pyo3(get)]
    new: u64,
}

impl From<rustlog::OffsetChange> for OffsetChange {
    fn from(c: rustlog::OffsetChange) -> Self {
        OffsetChange {
            topic: c.topic,
            partition: c.partition,
            current: c.current,
            new: c.new,
        }
    }
}

#[pymethods]
impl OffsetChange {
    #[new]
    fn new(topic: String, partition: u32, current: Option<u64>, new: u64) -> Self {
        OffsetChange {
            topic,
            partition,
            current,
            new,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "OffsetChange(topic={:?}, partition={}, current={}, new={})",
            self.topic,
            self.partition,
            py_opt(self.current),
            self.new
        )
    }
}

/// Converts each item of a client answer to its Python class (a `list` once handed to Python).
pub(crate) fn py_list<A, B: From<A>>(items: Vec<A>) -> Vec<B> {
    items.into_iter().map(B::from).collect()
}
