//! `NativeConsumer`, wrapped by `lib/consumer.js` (which drives `run` and the async iterator):
//! connect, subscribe, poll a batch, commit, pause / resume / seek, the group's events,
//! disconnect. Group membership, fetching, pausing and commits are the Rust client's.
//!
//! Events: the client's `ConsumerEvent` broadcast is read two ways. `takeEvents()` drains a
//! receiver synchronously (so JS can flush what a commit or a poll just caused before it goes
//! on, which keeps the order of events), and a background task on a second receiver calls the
//! JS waker (a weak threadsafe function: it never keeps the process alive) whenever an event
//! arrives, so JS drains heartbeats and the like without polling. The task ends when the
//! consumer closes.

use crate::client::{JsOptions, NativeClient};
use crate::errors::{coded, from_client, invalid_argument};
use napi::bindgen_prelude::{BigInt, Buffer, PromiseRaw};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status};
use napi_derive::napi;
use rustlog::{ConsumerEvent, Scope};
use rustlog_protocol::ErrorCode;
use std::sync::{Arc, Mutex as StdMutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::broadcast::Receiver;
use tokio::sync::Mutex;

/// Upper bounds on one poll, so a JS caller cannot park a call for minutes or ask for an
/// unbounded batch.
const POLL_WAIT_MS_MAX: u32 = 10_000;
const POLL_MESSAGES_MAX: u32 = 100_000;

/// `client.consumer({ groupId, sessionTimeout, maxPollIntervalMs })`.
/// `{ topic, partition }`: what `pause`, `resume`, `paused` and `assignment` take and give.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct TopicPartitionInfo {
    pub topic: String,
    pub partition: u32,
}

/// One committed offset of a `commit_offsets` event; the offset (the next one to read) is a
/// decimal string, as KafkaJS's event payloads have it.
#[napi(object)]
#[derive(Debug)]
pub struct EventOffsetInfo {
    pub topic: String,
    pub partition: u32,
    pub offset: String,
}

/// One `rustlog::ConsumerEvent`. `kind` is `group_join` (`memberId`, `generationId`,
/// `assignment`), `rebalancing` (`memberId`, absent when the broker forgot the member),
/// `heartbeat` (`memberId`, `generationId`), `commit_offsets` (`offsets`, with the member's
/// current `memberId` and `generationId`), `poll_interval_exceeded` (`maxPollIntervalMs`) or
/// `stop`. `lagged` counts events skipped before this one because JS fell behind.
#[napi(object)]
#[derive(Debug, Default)]
pub struct ConsumerEventInfo {
    pub kind: String,
    pub member_id: Option<String>,
    pub generation_id: Option<i32>,
    pub assignment: Option<Vec<TopicPartitionInfo>>,
    pub offsets: Option<Vec<EventOffsetInfo>>,
    pub max_poll_interval_ms: Option<f64>,
    pub lagged: Option<u32>,
}

/// The high watermark of one partition of a poll (`poll(.., watermarks = true)`).
#[napi(object)]
#[derive(Debug)]
pub struct PartitionWatermarkInfo {
    pub topic: String,
    pub partition: u32,
    pub high_watermark: BigInt,
}

/// The JS waker: called with no argument, unref'd (`Weak`), its exceptions JS's own.
type Waker = ThreadsafeFunction<(), (), (), Status, false, true>;

/// One polled batch, packed so that crossing into JS costs three values per batch instead of
/// a napi object, two bigints and a Buffer per message (which held Node consumers to a few
/// hundred thousand messages a second). `lib/codec.js` (`BatchReader`) reads it back.
///
/// `entries` holds one `PACKED_ENTRY_BYTES` entry per message, little-endian: topic index into
/// `topics` u32, partition u32, offset u64, timestamp i64 (ms), key length i32 (-1 = null),
/// value length i32 (-1 = null), header count u32, and u32 where the message's bytes start in
/// `data` (so JS can read the messages of one partition without walking the others). `data`
/// holds, message after
/// message, the key, the value, then each header in the order produced (a repeated name once
/// per value) as name length u32, name (UTF-8), value length u32, value; a null header value
/// has the length [`NULL_HEADER_LEN`] (0xFFFFFFFF) and no bytes, an empty one the length 0.
#[napi(object)]
pub struct PackedBatch {
    pub topics: Vec<String>,
    pub entries: Buffer,
    pub data: Buffer,
    /// The high watermark of every partition in the batch, when the poll asked for them.
    pub watermarks: Option<Vec<PartitionWatermarkInfo>>,
}

/// Bytes of one message's entry in [`PackedBatch::entries`].
pub const PACKED_ENTRY_BYTES: usize = 40;

/// The value length of a null header value in [`PackedBatch::data`] (no value bytes follow).
/// Header values are far below 4 GiB (the protocol's batch limit), so it is never a length.
pub const NULL_HEADER_LEN: u32 = u32::MAX;

/// `{ topic, partition, offset }` where offset is the next one to read (Kafka semantics).
#[napi(object)]
#[derive(Debug)]
pub struct OffsetInput {
    pub topic: String,
    pub partition: u32,
    pub offset: BigInt,
}

#[derive(Debug)]
enum State {
    Idle,
    /// Connected, not subscribed yet (the client consumer is created by `subscribe`, which
    /// carries the start position).
    Connected(rustlog::Client),
    Subscribed {
        consumer: rustlog::Consumer,
        from_beginning: bool,
    },
    Closed,
}

/// What the synchronous methods (pause, resume, seek, events) reach without the async state
/// lock: the subscribed consumer and the receiver `takeEvents` drains.
#[derive(Default)]
struct Live {
    consumer: Option<rustlog::Consumer>,
    events: Option<Receiver<ConsumerEvent>>,
    waker: Option<Arc<Waker>>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("consumer", &self.consumer)
            .field("events", &self.events.is_some())
            .field("waker", &self.waker.is_some())
            .finish()
    }
}

#[napi]
#[derive(Debug)]
pub struct NativeConsumer {
    client: NativeClient,
    /// Group id and options; `subscribe` adds the topics and the start.
    consumer: rustlog::ConsumerConfig,
    state: Arc<Mutex<State>>,
    live: Arc<StdMutex<Live>>,
}

/// The live state; a panic elsewhere cannot leave it half-updated (every update is one
/// assignment), so a poisoned lock is used as is.
fn lock(live: &StdMutex<Live>) -> MutexGuard<'_, Live> {
    live.lock().unwrap_or_else(PoisonError::into_inner)
}

fn not_subscribed() -> napi::Error {
    invalid_argument("the consumer is not subscribed; call subscribe({ topics }) first")
}

fn closed() -> napi::Error {
    coded(ErrorCode::Closed, false, "the consumer is disconnected")
}

fn not_connected() -> napi::Error {
    coded(
        ErrorCode::Disconnected,
        false,
        "the consumer is not connected; call connect() first",
    )
}

fn topic_partitions(partitions: Vec<TopicPartitionInfo>) -> Vec<rustlog::TopicPartition> {
    partitions
        .into_iter()
        .map(|p| rustlog::TopicPartition {
            topic: p.topic,
            partition: p.partition,
        })
        .collect()
}

fn partition_infos(partitions: Vec<rustlog::TopicPartition>) -> Vec<TopicPartitionInfo> {
    partitions
        .into_iter()
        .map(|p| TopicPartitionInfo {
            topic: p.topic,
            partition: p.partition,
        })
        .collect()
}

/// An offset from JS as u64 (`what` names it in the error).
fn offset_u64(offset: &BigInt, what: impl std::fmt::Display) -> napi::Result<u64> {
    let (negative, value, lossless) = offset.get_u64();
    if negative || !lossless {
        return Err(invalid_argument(format!(
            "{what} must fit an unsigned 64-bit integer"
        )));
    }
    Ok(value)
}

/// Calls the JS waker on every event until the consumer stops or is dropped.
async fn wake_on_events(mut events: Receiver<ConsumerEvent>, waker: Arc<Waker>) {
    loop {
        match events.recv().await {
            Ok(ConsumerEvent::Stop) => {
                waker.call((), ThreadsafeFunctionCallMode::NonBlocking);
                return;
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {
                waker.call((), ThreadsafeFunctionCallMode::NonBlocking);
            }
            Err(RecvError::Closed) => return,
        }
    }
}

fn event_info(
    event: ConsumerEvent,
    consumer: Option<&rustlog::Consumer>,
) -> Option<ConsumerEventInfo> {
    let info = match event {
        ConsumerEvent::GroupJoin {
            member_id,
            generation_id,
            assignment,
        } => ConsumerEventInfo {
            kind: "group_join".into(),
            member_id: Some(member_id),
            generation_id: Some(generation_id),
            assignment: Some(partition_infos(assignment)),
            ..ConsumerEventInfo::default()
        },
        ConsumerEvent::Rebalancing { member_id } => ConsumerEventInfo {
            kind: "rebalancing".into(),
            member_id,
            ..ConsumerEventInfo::default()
        },
        ConsumerEvent::Heartbeat {
            member_id,
            generation_id,
        } => ConsumerEventInfo {
            kind: "heartbeat".into(),
            member_id: Some(member_id),
            generation_id: Some(generation_id),
            ..ConsumerEventInfo::default()
        },
        ConsumerEvent::CommitOffsets { offsets } => ConsumerEventInfo {
            kind: "commit_offsets".into(),
            member_id: consumer.and_then(rustlog::Consumer::member_id),
            generation_id: consumer.map(rustlog::Consumer::generation_id),
            offsets: Some(
                offsets
                    .into_iter()
                    .map(|(tp, offset)| EventOffsetInfo {
                        topic: tp.topic,
                        partition: tp.partition,
                        offset: offset.to_string(),
                    })
                    .collect(),
            ),
            ..ConsumerEventInfo::default()
        },
        ConsumerEvent::PollIntervalExceeded {
            max_poll_interval_ms,
        } => ConsumerEventInfo {
            kind: "poll_interval_exceeded".into(),
            // Milliseconds fit a double exactly far beyond any sensible setting.
            #[allow(clippy::cast_precision_loss)]
            max_poll_interval_ms: Some(max_poll_interval_ms as f64),
            ..ConsumerEventInfo::default()
        },
        ConsumerEvent::Stop => ConsumerEventInfo {
            kind: "stop".into(),
            ..ConsumerEventInfo::default()
        },
        // A newer client's event this binding does not know yet.
        _ => return None,
    };
    Some(info)
}

impl State {
    fn consumer(&self) -> napi::Result<rustlog::Consumer> {
        match self {
            State::Subscribed { consumer, .. } => Ok(consumer.clone()),
            State::Connected(_) => Err(not_subscribed()),
            State::Idle => Err(not_connected()),
            State::Closed => Err(closed()),
        }
    }
}

#[napi]
impl NativeConsumer {
    #[napi(
        constructor,
        ts_args_type = "client: NativeClient, groupId: string, options: Record<string, boolean | number | string>"
    )]
    pub fn new(client: &NativeClient, group_id: String, options: JsOptions) -> napi::Result<Self> {
        if group_id.is_empty() {
            // KafkaJS's consumers are group members; the Rust client's group-less mode is not
            // offered here.
            return Err(coded(
                ErrorCode::InvalidGroupId,
                false,
                "consumer() needs a groupId of 1..=255 bytes",
            ));
        }
        let (client, settings) = client.derive(Scope::Consumer, "consumer()", &options)?;
        let consumer = rustlog::ConsumerConfig {
            group_id,
            ..settings.consumer
        };
        // Checked now so a bad group id fails at `client.consumer()`, not later.
        consumer.validate().map_err(|e| from_client(&e))?;
        Ok(NativeConsumer {
            client,
            consumer,
            state: Arc::new(Mutex::new(State::Idle)),
            live: Arc::new(StdMutex::new(Live::default())),
        })
    }

    /// Sets the function called (with no argument) whenever events are ready for
    /// `takeEvents`; it holds no reference that keeps the process alive.
    #[napi(ts_args_type = "waker: () => void")]
    pub fn set_event_waker(&self, waker: Waker) {
        lock(&self.live).waker = Some(Arc::new(waker));
    }

    /// Every event since the last call (none before `subscribe`).
    #[napi]
    pub fn take_events(&self) -> Vec<ConsumerEventInfo> {
        let mut live = lock(&self.live);
        let Live {
            consumer, events, ..
        } = &mut *live;
        let Some(events) = events.as_mut() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut lagged: u32 = 0;
        loop {
            match events.try_recv() {
                Ok(event) => {
                    if let Some(mut info) = event_info(event, consumer.as_ref()) {
                        if lagged > 0 {
                            info.lagged = Some(lagged);
                            lagged = 0;
                        }
                        out.push(info);
                    }
                }
                Err(TryRecvError::Lagged(n)) => {
                    lagged = lagged.saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => return out,
            }
        }
    }

    fn live_consumer(&self) -> napi::Result<rustlog::Consumer> {
        lock(&self.live).consumer.clone().ok_or_else(not_subscribed)
    }

    /// Stops fetching the partitions (each must be assigned) until `resume`.
    #[napi]
    pub fn pause(&self, partitions: Vec<TopicPartitionInfo>) -> napi::Result<()> {
        self.live_consumer()?
            .pause(&topic_partitions(partitions))
            .map_err(|e| from_client(&e))
    }

    /// Fetches the partitions again from their positions (each must be assigned).
    #[napi]
    pub fn resume(&self, partitions: Vec<TopicPartitionInfo>) -> napi::Result<()> {
        self.live_consumer()?
            .resume(&topic_partitions(partitions))
            .map_err(|e| from_client(&e))
    }

    /// The paused partitions, sorted (none before `subscribe`).
    #[napi]
    pub fn paused(&self) -> Vec<TopicPartitionInfo> {
        lock(&self.live)
            .consumer
            .as_ref()
            .map(|c| partition_infos(c.paused()))
            .unwrap_or_default()
    }

    /// The partitions assigned in the current generation (none before the first join).
    #[napi]
    pub fn assignment(&self) -> Vec<TopicPartitionInfo> {
        lock(&self.live)
            .consumer
            .as_ref()
            .map(|c| partition_infos(c.assignment()))
            .unwrap_or_default()
    }

    /// The subscribed topics (none before `subscribe`).
    #[napi]
    pub fn subscription(&self) -> Vec<String> {
        lock(&self.live)
            .consumer
            .as_ref()
            .map(rustlog::Consumer::subscription)
            .unwrap_or_default()
    }

    /// Moves an assigned partition to `offset` (the next one to read) before the next fetch.
    #[napi]
    pub fn seek(&self, topic: String, partition: u32, offset: BigInt) -> napi::Result<()> {
        let offset = offset_u64(&offset, format_args!("offset for {topic}/{partition}"))?;
        self.live_consumer()?
            .seek(&topic, partition, offset)
            .map_err(|e| from_client(&e))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn connect<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let native = self.client.clone();
        let state = self.state.clone();
        env.spawn_future(async move {
            let mut guard = state.lock().await;
            if matches!(*guard, State::Idle | State::Closed) {
                *guard = State::Connected(native.connect().await?);
            }
            Ok(())
        })
    }

    /// First call: creates the group consumer (joins on the first poll). Later calls replace
    /// the subscription; the start position (`fromBeginning`) is fixed by the first call.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn subscribe<'env>(
        &self,
        env: &'env Env,
        topics: Vec<String>,
        from_beginning: bool,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let options = self.consumer.clone();
        let state = self.state.clone();
        let live = self.live.clone();
        env.spawn_future(async move {
            let mut guard = state.lock().await;
            match &*guard {
                State::Idle => Err(not_connected()),
                State::Closed => Err(closed()),
                State::Connected(client) => {
                    let consumer = client
                        .consumer(config(&options, &topics, from_beginning))
                        .map_err(|e| from_client(&e))?;
                    // Receivers made before the first poll see every event of the group.
                    let mut shared = lock(&live);
                    shared.events = Some(consumer.events());
                    if let Some(waker) = shared.waker.clone() {
                        tokio::spawn(wake_on_events(consumer.events(), waker));
                    }
                    shared.consumer = Some(consumer.clone());
                    drop(shared);
                    *guard = State::Subscribed {
                        consumer,
                        from_beginning,
                    };
                    Ok(())
                }
                State::Subscribed {
                    consumer,
                    from_beginning: first,
                    ..
                } => {
                    if *first != from_beginning {
                        return Err(invalid_argument(
                            "fromBeginning cannot change after the first subscribe()",
                        ));
                    }
                    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
                    consumer.subscribe(&names).map_err(|e| from_client(&e))
                }
            }
        })
    }

    /// Up to `maxMessages` messages, waiting at most `waitMs` for the first one; with
    /// `watermarks`, also the high watermark of every partition in the batch (from the fetch
    /// responses, no request).
    #[napi(ts_return_type = "Promise<PackedBatch>")]
    pub fn poll<'env>(
        &self,
        env: &'env Env,
        max_messages: u32,
        wait_ms: u32,
        watermarks: Option<bool>,
    ) -> napi::Result<PromiseRaw<'env, PackedBatch>> {
        if max_messages == 0 || max_messages > POLL_MESSAGES_MAX {
            return Err(invalid_argument(format!(
                "maxMessages {max_messages} is outside 1..={POLL_MESSAGES_MAX}"
            )));
        }
        if wait_ms > POLL_WAIT_MS_MAX {
            return Err(invalid_argument(format!(
                "waitMs {wait_ms} is above {POLL_WAIT_MS_MAX}"
            )));
        }
        let state = self.state.clone();
        env.spawn_future(async move {
            // Clone out of the lock: a long poll must not hold up commit or disconnect.
            let consumer = state.lock().await.consumer()?;
            let messages = consumer
                .poll_batch(
                    max_messages as usize,
                    Duration::from_millis(u64::from(wait_ms)),
                )
                .await
                .map_err(|e| from_client(&e))?;
            let mut packed = pack(&messages)?;
            if watermarks == Some(true) {
                packed.watermarks = Some(high_watermarks(&consumer, &messages));
            }
            Ok(packed)
        })
    }

    /// Commits `[{ topic, partition, offset }]`, offset being the next one to read.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn commit<'env>(
        &self,
        env: &'env Env,
        offsets: Vec<OffsetInput>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let mut list = Vec::with_capacity(offsets.len());
        for o in offsets {
            let offset = offset_u64(
                &o.offset,
                format_args!("offset for {}/{}", o.topic, o.partition),
            )?;
            let tp = rustlog::TopicPartition {
                topic: o.topic,
                partition: o.partition,
            };
            list.push((tp, offset));
        }
        let state = self.state.clone();
        env.spawn_future(async move {
            let consumer = state.lock().await.consumer()?;
            consumer
                .commit_offsets(&list)
                .await
                .map_err(|e| from_client(&e))
        })
    }

    /// Leaves the group and closes the connections; pending polls end with `Closed`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn disconnect<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let state = self.state.clone();
        let live = self.live.clone();
        env.spawn_future(async move {
            let previous = std::mem::replace(&mut *state.lock().await, State::Closed);
            // The receiver stays: `takeEvents` still drains what `close` sends.
            lock(&live).consumer = None;
            match previous {
                State::Subscribed { consumer, .. } => {
                    consumer.close().await.map_err(|e| from_client(&e))
                }
                State::Idle | State::Connected(_) | State::Closed => Ok(()),
            }
        })
    }
}

fn config(
    options: &rustlog::ConsumerConfig,
    topics: &[String],
    from_beginning: bool,
) -> rustlog::ConsumerConfig {
    let mut config = options.clone();
    config.topics = topics.to_vec();
    config.auto_offset_reset = if from_beginning {
        rustlog::AutoOffsetReset::Earliest
    } else {
        rustlog::AutoOffsetReset::Latest
    };
    config
}

/// The high watermark of every partition of `messages`, in first-seen order, as the fetches
/// that brought them reported it (no request). At least the offset after the partition's last
/// message, should a fetch not have reported one.
fn high_watermarks(
    consumer: &rustlog::Consumer,
    messages: &[rustlog::Message],
) -> Vec<PartitionWatermarkInfo> {
    let mut out: Vec<(&str, u32, u64)> = Vec::new();
    for m in messages {
        let next = m.offset + 1;
        match out
            .iter_mut()
            .find(|(t, p, _)| *p == m.partition && *t == &*m.topic)
        {
            Some(entry) => entry.2 = entry.2.max(next),
            None => out.push((&m.topic, m.partition, next)),
        }
    }
    out.into_iter()
        .map(|(topic, partition, after_last)| PartitionWatermarkInfo {
            topic: topic.to_string(),
            partition,
            high_watermark: BigInt::from(
                consumer
                    .high_watermark(topic, partition)
                    .map_or(after_last, |high| high.max(after_last)),
            ),
        })
        .collect()
}

/// Packs polled messages (layout on [`PackedBatch`]).
fn pack(messages: &[rustlog::Message]) -> napi::Result<PackedBatch> {
    let mut topics: Vec<String> = Vec::new();
    let mut entries = Vec::with_capacity(messages.len() * PACKED_ENTRY_BYTES);
    let data_len: usize = messages
        .iter()
        .map(|m| {
            m.key.as_ref().map_or(0, |k| k.len())
                + m.value.as_ref().map_or(0, |v| v.len())
                + m.headers
                    .iter()
                    .map(|(k, v)| 8 + k.len() + v.as_ref().map_or(0, |v| v.len()))
                    .sum::<usize>()
        })
        .sum();
    let mut data = Vec::with_capacity(data_len);
    for m in messages {
        // Messages of one poll come in runs of the same topic: look at the last name first.
        let topic_index = match topics.iter().rposition(|t| **t == *m.topic) {
            Some(i) => i,
            None => {
                topics.push(m.topic.to_string());
                topics.len() - 1
            }
        };
        entries.extend_from_slice(&packed_u32(topic_index)?.to_le_bytes());
        entries.extend_from_slice(&m.partition.to_le_bytes());
        entries.extend_from_slice(&m.offset.to_le_bytes());
        entries.extend_from_slice(&m.timestamp.to_le_bytes());
        let start = data.len();
        for part in [&m.key, &m.value] {
            let len = match part {
                Some(bytes) => {
                    data.extend_from_slice(bytes);
                    i32::try_from(bytes.len()).map_err(|_| too_long(bytes.len()))?
                }
                None => -1,
            };
            entries.extend_from_slice(&len.to_le_bytes());
        }
        entries.extend_from_slice(&packed_u32(m.headers.len())?.to_le_bytes());
        entries.extend_from_slice(&packed_u32(start)?.to_le_bytes());
        for (name, value) in &m.headers {
            data.extend_from_slice(&packed_u32(name.len())?.to_le_bytes());
            data.extend_from_slice(name.as_bytes());
            match value {
                Some(value) => {
                    data.extend_from_slice(&packed_header_len(value.len())?.to_le_bytes());
                    data.extend_from_slice(value);
                }
                None => data.extend_from_slice(&NULL_HEADER_LEN.to_le_bytes()),
            }
        }
    }
    Ok(PackedBatch {
        topics,
        entries: entries.into(),
        data: data.into(),
        watermarks: None,
    })
}

fn packed_u32(n: usize) -> napi::Result<u32> {
    u32::try_from(n).map_err(|_| too_long(n))
}

/// A header value's length, which must not collide with [`NULL_HEADER_LEN`].
fn packed_header_len(n: usize) -> napi::Result<u32> {
    packed_u32(n)
        .ok()
        .filter(|&len| len != NULL_HEADER_LEN)
        .ok_or_else(|| too_long(n))
}

/// Not reachable within the protocol's limits; an error rather than a wrapped length.
fn too_long(n: usize) -> napi::Error {
    coded(
        ErrorCode::ProtocolViolation,
        false,
        format!("a polled field of {n} bytes does not fit the packed batch"),
    )
}

// napi's Buffer has no Debug; show sizes instead of bytes.
impl std::fmt::Debug for PackedBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackedBatch")
            .field("topics", &self.topics)
            .field("messages", &(self.entries.len() / PACKED_ENTRY_BYTES))
            .field("data_bytes", &self.data.len())
            .finish()
    }
}
