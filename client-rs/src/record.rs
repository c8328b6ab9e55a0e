//! The data types users handle: [`Record`] (what a producer sends), [`RecordMetadata`] (where it
//! landed) and [`Message`] (what a consumer receives).

use bytes::Bytes;
use std::sync::Arc;

/// A record to produce. Build it with chained setters:
/// `Record::new("orders").key("user-1").value("{...}").header("trace", "abc")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Target topic.
    pub topic: String,
    /// Explicit partition; `None` hashes the key (or goes round-robin without a key).
    pub partition: Option<u32>,
    /// `None` is a null key.
    pub key: Option<Bytes>,
    /// `None` is a null value (a tombstone under compaction).
    pub value: Option<Bytes>,
    /// Header pairs, in order.
    pub headers: Vec<(String, Bytes)>,
    /// Create time in ms since the Unix epoch; `None` uses the time of `send`.
    pub timestamp_ms: Option<i64>,
}

impl Record {
    /// An empty record (null key, null value) for `topic`.
    pub fn new(topic: impl Into<String>) -> Self {
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

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, key: impl Into<String>, value: impl Into<Bytes>) -> Self {
        self.headers.push((key.into(), value.into()));
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

    /// Bytes this record occupies in a batch.
    pub(crate) fn encoded_len(&self) -> usize {
        rustlog_protocol::batch::RECORD_OVERHEAD_BYTES
            + self.key.as_ref().map_or(0, Bytes::len)
            + self.value.as_ref().map_or(0, Bytes::len)
            + self
                .headers
                .iter()
                .map(|(k, v)| 2 + k.len() + 4 + v.len())
                .sum::<usize>()
    }
}

/// Where an acknowledged record was stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordMetadata {
    /// The topic.
    pub topic: String,
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
    /// Header pairs, in order.
    pub headers: Vec<(String, Bytes)>,
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
    /// The first header with this key.
    pub fn header(&self, key: &str) -> Option<&Bytes> {
        self.headers.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// Milliseconds since the Unix epoch now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
