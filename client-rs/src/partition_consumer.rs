//! [`PartitionConsumer`]: reads one partition from a chosen offset, without a group (no
//! membership, no commits). Long-polls and fetches ahead like the group consumer.

use crate::client::Client;
use crate::config::{validate_fetch, DEFAULT_FETCH_MAX_WAIT_MS, DEFAULT_PARTITION_FETCH_BYTES};
use crate::connection::ConnSlot;
use crate::error::{Error, Result};
use crate::fetcher::{
    buffer_messages, message_stream, take_buffered, FetchAhead, FetchSettings, FetchTarget,
    STREAM_BATCH, STREAM_POLL,
};
use crate::record::Message;
use futures::stream::BoxStream;
use rustlog_protocol::messages::list_offsets::OffsetSpec;
use rustlog_protocol::ErrorCode;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Where a [`PartitionConsumer`] starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOffset {
    /// The oldest retained record.
    Earliest,
    /// The next record produced.
    Latest,
    /// This offset.
    Offset(u64),
    /// The first record with a timestamp at or after this (ms since the Unix epoch); the end of
    /// the log when there is none.
    Timestamp(i64),
}

/// A group-less reader of one partition. Cheap to clone; clones share the position.
#[derive(Debug, Clone)]
pub struct PartitionConsumer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: Client,
    slot: Arc<ConnSlot>,
    topic: Arc<str>,
    partition: u32,
    start: StartOffset,
    state: tokio::sync::Mutex<State>,
    fetch_max_wait_ms: u32,
    partition_fetch_bytes: u32,
    closed: AtomicBool,
}

/// How long a poll waits past its deadline for a fetch answer already on its way.
const POLL_GRACE: Duration = Duration::from_millis(50);

#[derive(Debug, Default)]
struct State {
    /// Fetches and decodes ahead from `fetch_offset`; dropped (stopping it) whenever
    /// `fetch_offset` changes other than by applying its own results.
    ahead: Option<FetchAhead>,
    /// Next offset to hand out; `None` until resolved from `start`.
    position: Option<u64>,
    /// Next offset to fetch (ahead of `position` while messages are buffered).
    fetch_offset: u64,
    buffer: VecDeque<Message>,
    high_watermark: Option<u64>,
}

impl PartitionConsumer {
    pub(crate) fn new(
        client: Client,
        topic: String,
        partition: u32,
        start: StartOffset,
    ) -> Result<PartitionConsumer> {
        rustlog_protocol::names::validate_topic_name(&topic).map_err(|e| Error::rejected(&e))?;
        Ok(PartitionConsumer {
            inner: Arc::new(Inner {
                slot: Arc::new(client.new_slot()),
                client,
                topic: Arc::from(topic.as_str()),
                partition,
                start,
                state: tokio::sync::Mutex::new(State::default()),
                fetch_max_wait_ms: DEFAULT_FETCH_MAX_WAIT_MS,
                partition_fetch_bytes: DEFAULT_PARTITION_FETCH_BYTES,
                closed: AtomicBool::new(false),
            }),
        })
    }

    /// Changes the long-poll wait and the bytes asked per fetch (before the first poll).
    pub fn with_fetch_settings(self, max_wait_ms: u32, partition_fetch_bytes: u32) -> Result<Self> {
        validate_fetch(max_wait_ms, partition_fetch_bytes, partition_fetch_bytes)?;
        let inner = Arc::try_unwrap(self.inner).map_err(|_| {
            Error::invalid("fetch settings must be set before the consumer is cloned")
        })?;
        Ok(PartitionConsumer {
            inner: Arc::new(Inner {
                fetch_max_wait_ms: max_wait_ms,
                partition_fetch_bytes,
                ..inner
            }),
        })
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.inner.topic
    }

    /// The partition.
    pub fn partition(&self) -> u32 {
        self.inner.partition
    }

    /// The next message, waiting up to `timeout`; `Ok(None)` when none arrived in time.
    pub async fn poll(&self, timeout: Duration) -> Result<Option<Message>> {
        let mut batch = self.poll_batch(1, timeout).await?;
        Ok(batch.pop())
    }

    /// Up to `max_messages` messages, waiting up to `timeout` for the first one.
    pub async fn poll_batch(&self, max_messages: usize, timeout: Duration) -> Result<Vec<Message>> {
        let inner = &self.inner;
        let deadline = Instant::now() + timeout;
        let mut state = inner.state.lock().await;
        loop {
            if inner.closed.load(Ordering::Acquire) {
                state.ahead = None;
                return Err(Error::Closed {
                    what: "partition consumer",
                });
            }
            if state.position.is_none() {
                let offset = self.resolve_start(inner.start).await?;
                state.position = Some(offset);
                state.fetch_offset = offset;
            }
            if !state.buffer.is_empty() {
                let out = take_buffered(&mut state.buffer, max_messages.max(1));
                if let Some(last) = out.last() {
                    state.position = Some(last.offset + 1);
                }
                return Ok(out);
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let wait_ms = u32::try_from(remaining.as_millis())
                .unwrap_or(u32::MAX)
                .min(inner.fetch_max_wait_ms);
            let fetch_offset = state.fetch_offset;
            let ahead = state
                .ahead
                .get_or_insert_with(|| self.fetch_ahead(fetch_offset, wait_ms));
            let fetched = match ahead.next(deadline + POLL_GRACE).await {
                Ok(Some(fetched)) => fetched,
                // Still on its way: it stays for the next poll.
                Ok(None) => return Ok(Vec::new()),
                Err(e) => {
                    state.ahead = None;
                    return Err(e);
                }
            };
            let Some(part) = fetched.partitions.first() else {
                return Err(Error::violation("a fetch result lacks the partition"));
            };
            if part.from_offset != state.fetch_offset {
                // Fetched before a seek: fetch again from the new position.
                state.ahead = None;
                continue;
            }
            if let Some(high_watermark) = part.high_watermark {
                state.high_watermark = Some(high_watermark);
            }
            match part.error_code {
                ErrorCode::None => {
                    state.fetch_offset = part.next_offset;
                    buffer_messages(&mut state.buffer, fetched.messages);
                }
                ErrorCode::OffsetOutOfRange
                    if matches!(inner.start, StartOffset::Earliest | StartOffset::Latest) =>
                {
                    state.ahead = None;
                    let offset = self.resolve_start(inner.start).await?;
                    state.fetch_offset = offset;
                    state.position = Some(offset);
                }
                code if code.is_retriable() => {}
                code => {
                    state.ahead = None;
                    return Err(Error::broker(
                        code,
                        format!(
                            "fetch {}/{} at offset {}",
                            inner.topic, inner.partition, state.fetch_offset
                        ),
                    ));
                }
            }
            if state.buffer.is_empty() && Instant::now() >= deadline {
                return Ok(Vec::new());
            }
        }
    }

    /// Starts fetching ahead from `offset` (on this consumer's own connection).
    fn fetch_ahead(&self, offset: u64, first_wait_ms: u32) -> FetchAhead {
        let inner = &self.inner;
        let target = FetchTarget {
            topic: inner.topic.clone(),
            partition: inner.partition,
            offset,
        };
        let settings = FetchSettings {
            max_wait_ms: inner.fetch_max_wait_ms,
            max_bytes: inner.partition_fetch_bytes,
            partition_bytes: inner.partition_fetch_bytes,
        };
        FetchAhead::start(inner.slot.clone(), vec![target], first_wait_ms, settings)
    }

    async fn resolve_start(&self, start: StartOffset) -> Result<u64> {
        let inner = &self.inner;
        let spec = match start {
            StartOffset::Offset(offset) => return Ok(offset),
            StartOffset::Earliest => OffsetSpec::Earliest,
            StartOffset::Latest => OffsetSpec::Latest,
            StartOffset::Timestamp(timestamp_ms) => OffsetSpec::Timestamp { timestamp_ms },
        };
        match inner
            .client
            .list_offset(&inner.topic, inner.partition, spec)
            .await?
        {
            Some(offset) => Ok(offset),
            // No record at or after the timestamp: start at the end.
            None => inner
                .client
                .list_offset(&inner.topic, inner.partition, OffsetSpec::Latest)
                .await?
                .ok_or_else(|| Error::violation("ListOffsets latest returned no offset")),
        }
    }

    /// Moves to `offset`; buffered messages are dropped.
    pub async fn seek(&self, offset: u64) {
        let mut state = self.inner.state.lock().await;
        state.ahead = None;
        state.buffer.clear();
        state.position = Some(offset);
        state.fetch_offset = offset;
    }

    /// The offset of the next message `poll` returns (`None` before the start is resolved).
    pub async fn position(&self) -> Option<u64> {
        self.inner.state.lock().await.position
    }

    /// The high watermark seen in the last fetch.
    pub async fn high_watermark(&self) -> Option<u64> {
        self.inner.state.lock().await.high_watermark
    }

    /// Messages as a (boxed, `Unpin`) stream; ends after `close`.
    pub fn stream(&self) -> BoxStream<'static, Result<Message>> {
        let consumer = self.clone();
        message_stream(move || {
            let consumer = consumer.clone();
            async move { consumer.poll_batch(STREAM_BATCH, STREAM_POLL).await }
        })
    }

    /// Stops the consumer; later polls fail with `Closed`.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        // Stop fetching ahead now; a poll in progress holds the state and stops it itself.
        if let Ok(mut state) = self.inner.state.try_lock() {
            state.ahead = None;
        }
        self.inner.slot.reset();
    }
}
