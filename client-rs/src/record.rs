//! The data types users handle: [`Record`] (what a producer sends), [`RecordMetadata`] (where it
//! landed) and [`Message`] (what a consumer receives).

use bytes::Bytes;
use std::sync::Arc;

/// A record to produce. Build it with chained setters:
/// `Record::new("orders").key("user-1").value("{...}").header("trace", "abc")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Target topic. Shared, so a loop sending to one topic clones a pointer, not a string:
    /// pass one `Arc<str>` (or a `&str`/`String`, which allocates once per record).
    pub topic: std::sync::Arc<str>,
    /// Explicit partition; `None` hashes the key (or, without a key, goes to the producer's sticky
    /// partition for the topic, which moves on after a batch's worth of bytes).
    pub partition: Option<u32>,
    /// `None` is a null key.
    pub key: Option<Bytes>,
    /// `None` is a null value (a tombstone under compaction).
    pub value: Option<Bytes>,
    /// Header pairs in order; duplicate keys are kept and `None` is a null value (Kafka's
    /// headers are nullable).
    pub headers: Vec<(String, Option<Bytes>)>,
    /// Create time in ms since the Unix epoch; `None` uses the time of `send`.
    pub timestamp_ms: Option<i64>,
}

impl Record {
    /// An empty record (null key, null value) for `topic`.
    pub fn new(topic: impl Into<std::sync::Arc<str>>) -> Self {
        Record {
            topic: topic.into(),
            partition: None,
            key: None,
            value: None,
            headers: Vec::new(),
            timestamp_ms: None,
        }
    }

    /// Sets the key.
    #[must_use]
    pub fn key(mut self, key: impl Into<Bytes>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the value.
    #[must_use]
    pub fn value(mut self, value: impl Into<Bytes>) -> Self {
        self.value = Some(value.into());
        self
    }

    /// Adds a header with a value (after any earlier header with the same key).
    #[must_use]
    pub fn header(mut self, key: impl Into<String>, value: impl Into<Bytes>) -> Self {
        self.headers.push((key.into(), Some(value.into())));
        self
    }

    /// Adds a header with a null value (which Kafka tells apart from an empty one).
    #[must_use]
    pub fn header_null(mut self, key: impl Into<String>) -> Self {
        self.headers.push((key.into(), None));
        self
    }

    /// Sends to this partition instead of hashing the key.
    #[must_use]
    pub fn partition(mut self, partition: u32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Sets the create time (ms since the Unix epoch).
    #[must_use]
    pub fn timestamp_ms(mut self, timestamp_ms: i64) -> Self {
        self.timestamp_ms = Some(timestamp_ms);
        self
    }

    /// Most bytes this record occupies in an uncompressed batch (varints at their widest).
    pub(crate) fn encoded_len(&self) -> usize {
        use rustlog_protocol::batch::{HEADER_OVERHEAD_BYTES, RECORD_OVERHEAD_BYTES};
        RECORD_OVERHEAD_BYTES
            + self.key.as_ref().map_or(0, Bytes::len)
            + self.value.as_ref().map_or(0, Bytes::len)
            + self
                .headers
                .iter()
                .map(|(k, v)| HEADER_OVERHEAD_BYTES + k.len() + v.as_ref().map_or(0, Bytes::len))
                .sum::<usize>()
    }

    /// The headers as the batch builder takes them.
    pub(crate) fn header_refs(&self) -> Vec<rustlog_protocol::batch::HeaderRef<'_>> {
        self.headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect()
    }
}

/// Where an acknowledged record was stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordMetadata {
    /// The topic.
    pub topic: std::sync::Arc<str>,
    /// The partition it was written to.
    pub partition: u32,
    /// Its offset in the partition.
    pub offset: u64,
    /// Its timestamp (the create time set on the record or at `send`), ms since the Unix epoch.
    pub timestamp: i64,
}

/// A consumed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The topic (shared among messages of one fetch).
    pub topic: Arc<str>,
    /// The partition.
    pub partition: u32,
    /// The offset; commit `offset + 1` to mark it consumed (`Consumer::commit` does that).
    pub offset: u64,
    /// Timestamp in ms since the Unix epoch.
    pub timestamp: i64,
    /// `None` for a null key.
    pub key: Option<Bytes>,
    /// `None` for a null value.
    pub value: Option<Bytes>,
    /// Header pairs in the order produced; duplicate keys are kept and `None` is a null value.
    pub headers: Vec<(String, Option<Bytes>)>,
}

impl Message {
    /// The topic as `&str`.
    pub fn topic(&self) -> &str {
        &self.topic
    }
    /// The key as UTF-8 text, if it is some and valid UTF-8.
    pub fn key_str(&self) -> Option<&str> {
        self.key
            .as_deref()
            .and_then(|k| std::str::from_utf8(k).ok())
    }
    /// The value as UTF-8 text, if it is some and valid UTF-8.
    pub fn value_str(&self) -> Option<&str> {
        self.value
            .as_deref()
            .and_then(|v| std::str::from_utf8(v).ok())
    }
    /// The value of the first header with this key: `None` when there is no such header,
    /// `Some(None)` when it is there with a null value, `Some(Some(bytes))` otherwise.
    pub fn header(&self, key: &str) -> Option<Option<&Bytes>> {
        self.headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// The values of every header with this key, in order (`None` for a null value).
    pub fn header_values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = Option<&'a Bytes>> {
        self.headers
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }
}

/// Milliseconds since the Unix epoch now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
