//! [`PartitionConsumer`]: reads one partition from a chosen offset, without a group (no
//! membership, no commits). Long-polls like the group consumer.

use crate::client::Client;
use crate::config::{validate_fetch, DEFAULT_FETCH_MAX_WAIT_MS, DEFAULT_PARTITION_FETCH_BYTES};
use crate::connection::ConnSlot;
use crate::error::{Error, Result};
use crate::fetcher::{decode_records, fetch, fetch_request, FetchTarget};
use crate::record::Message;
use futures::stream::BoxStream;
use futures::StreamExt;
use rustlog_protocol::messages::fetch::FetchResponse;
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
    slot: ConnSlot,
    topic: Arc<str>,
    partition: u32,
    start: StartOffset,
    state: tokio::sync::Mutex<State>,
    fetch_max_wait_ms: u32,
    partition_fetch_bytes: u32,
    closed: AtomicBool,
}

type PendingFetch = tokio::task::JoinHandle<Result<FetchResponse>>;

/// How long a poll waits past its deadline for a fetch answer already on its way.
const POLL_GRACE: Duration = Duration::from_millis(50);

#[derive(Debug, Default)]
struct State {
    /// A fetch sent ahead, and the offset it asked for.
    prefetch: Option<(u64, PendingFetch)>,
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
                slot: client.new_slot(),
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
                if let Some((_, task)) = state.prefetch.take() {
                    task.abort();
                }
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
                let take = max_messages.max(1).min(state.buffer.len());
                let out: Vec<Message> = state.buffer.drain(..take).collect();
                if let Some(last) = out.last() {
                    state.position = Some(last.offset + 1);
                }
                return Ok(out);
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let wait_ms = u32::try_from(remaining.as_millis())
                .unwrap_or(u32::MAX)
                .min(inner.fetch_max_wait_ms);
            // Use the fetch sent ahead when it asked for this offset; else send one now.
            let mut pending = match state.prefetch.take() {
                Some((offset, task)) if offset == state.fetch_offset => task,
                stale => {
                    if let Some((_, task)) = stale {
                        task.abort();
                    }
                    self.spawn_fetch(state.fetch_offset, wait_ms)
                }
            };
            let response = match tokio::time::timeout_at(deadline + POLL_GRACE, &mut pending).await
            {
                Ok(Ok(result)) => result?,
                Ok(Err(e)) => return Err(Error::violation(format!("fetch task failed: {e}"))),
                Err(_) => {
                    state.prefetch = Some((state.fetch_offset, pending));
                    return Ok(Vec::new());
                }
            };
            let part = response
                .partitions
                .into_iter()
                .find(|p| *p.topic == *inner.topic && p.partition == inner.partition)
                .ok_or_else(|| Error::violation("fetch response lacks the partition"))?;
            state.high_watermark = Some(part.high_watermark);
            match part.error_code {
                ErrorCode::None => {
                    let from = state.fetch_offset;
                    let before = state.buffer.len();
                    state.fetch_offset = decode_records(
                        &inner.topic,
                        inner.partition,
                        &part.records,
                        from,
                        &mut state.buffer,
                    )?;
                    if state.buffer.len() > before {
                        // More is likely: ask for it while the caller works.
                        state.prefetch = Some((
                            state.fetch_offset,
                            self.spawn_fetch(state.fetch_offset, inner.fetch_max_wait_ms),
                        ));
                    }
                }
                ErrorCode::OffsetOutOfRange
                    if matches!(inner.start, StartOffset::Earliest | StartOffset::Latest) =>
                {
                    let offset = self.resolve_start(inner.start).await?;
                    state.fetch_offset = offset;
                    state.position = Some(offset);
                }
                code if code.is_retriable() => {}
                code => {
                    return Err(Error::broker(
                        code,
                        format!(
                            "fetch {}/{} at offset {}",
                            inner.topic, inner.partition, state.fetch_offset
                        ),
                    ))
                }
            }
            if state.buffer.is_empty() && Instant::now() >= deadline {
                return Ok(Vec::new());
            }
        }
    }

    /// Sends a fetch of this partition at `offset` in the background.
    fn spawn_fetch(&self, offset: u64, wait_ms: u32) -> PendingFetch {
        let target = FetchTarget {
            topic: self.inner.topic.clone(),
            partition: self.inner.partition,
            offset,
        };
        let request = fetch_request(
            std::slice::from_ref(&target),
            wait_ms,
            self.inner.partition_fetch_bytes,
            self.inner.partition_fetch_bytes,
        );
        let inner = self.inner.clone();
        tokio::spawn(async move { fetch(&inner.slot, &request).await })
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
        futures::stream::unfold(
            (consumer, VecDeque::<Message>::new()),
            |(consumer, mut pending)| async move {
                loop {
                    if let Some(message) = pending.pop_front() {
                        return Some((Ok(message), (consumer, pending)));
                    }
                    match consumer.poll_batch(STREAM_BATCH, STREAM_POLL).await {
                        Ok(batch) => pending.extend(batch),
                        Err(Error::Closed { .. }) => return None,
                        Err(e) => return Some((Err(e), (consumer, pending))),
                    }
                }
            },
        )
        .boxed()
    }

    /// Stops the consumer; later polls fail with `Closed`.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.slot.reset();
    }
}

/// Messages a stream takes per poll.
pub(crate) const STREAM_BATCH: usize = 1024;
/// How long a stream's poll waits before polling again.
pub(crate) const STREAM_POLL: Duration = Duration::from_secs(1);
