//! `NativeConsumer`, wrapped by `lib/consumer.js` (which drives `run` and the async iterator):
//! connect, subscribe, poll a batch, commit, disconnect. Group membership, fetching and
//! commits are the Rust client's.

use crate::client_options::ClientOptions;
use crate::errors::{coded, from_client, invalid_argument};
use napi::bindgen_prelude::{BigInt, Buffer, PromiseRaw};
use napi::Env;
use napi_derive::napi;
use rustlog_protocol::ErrorCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// Upper bounds on one poll, so a JS caller cannot park a call for minutes or ask for an
/// unbounded batch.
const POLL_WAIT_MS_MAX: u32 = 10_000;
const POLL_MESSAGES_MAX: u32 = 100_000;

/// `client.consumer({ groupId, sessionTimeout })`.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    pub group_id: String,
    pub session_timeout_ms: Option<u32>,
}

/// One polled batch, packed so that crossing into JS costs three values per batch instead of
/// a napi object, two bigints and a Buffer per message (which held Node consumers to a few
/// hundred thousand messages a second). `lib/codec.js` (`BatchReader`) reads it back.
///
/// `entries` holds one `PACKED_ENTRY_BYTES` entry per message, little-endian: topic index into
/// `topics` u32, partition u32, offset u64, timestamp i64 (ms), key length i32 (-1 = null),
/// value length i32 (-1 = null), header count u32, 4 zero bytes. `data` holds, message after
/// message, the key, the value, then each header in the order produced (a repeated name once
/// per value) as name length u32, name (UTF-8), value length u32, value; a null header value
/// has the length [`NULL_HEADER_LEN`] (0xFFFFFFFF) and no bytes, an empty one the length 0.
#[napi(object)]
pub struct PackedBatch {
    pub topics: Vec<String>,
    pub entries: Buffer,
    pub data: Buffer,
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

#[napi]
#[derive(Debug)]
pub struct NativeConsumer {
    options: ClientOptions,
    consumer: ConsumerOptions,
    state: Arc<Mutex<State>>,
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
    #[napi(constructor)]
    pub fn new(options: ClientOptions, consumer: ConsumerOptions) -> napi::Result<Self> {
        // Validate now so a bad group id fails at `client.consumer()`, not later.
        config(&consumer, &[], false)
            .validate()
            .map_err(|e| from_client(&e))?;
        Ok(NativeConsumer {
            options,
            consumer,
            state: Arc::new(Mutex::new(State::Idle)),
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn connect<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let options = self.options.clone();
        let state = self.state.clone();
        env.spawn_future(async move {
            let mut guard = state.lock().await;
            if matches!(*guard, State::Idle | State::Closed) {
                *guard = State::Connected(options.connect().await?);
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
        env.spawn_future(async move {
            let mut guard = state.lock().await;
            match &*guard {
                State::Idle => Err(not_connected()),
                State::Closed => Err(closed()),
                State::Connected(client) => {
                    let consumer = client
                        .consumer(config(&options, &topics, from_beginning))
                        .map_err(|e| from_client(&e))?;
                    *guard = State::Subscribed {
                        consumer,
                        from_beginning,
                    };
                    Ok(())
                }
                State::Subscribed {
                    consumer,
                    from_beginning: first,
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

    /// Up to `maxMessages` messages, waiting at most `waitMs` for the first one.
    #[napi(ts_return_type = "Promise<PackedBatch>")]
    pub fn poll<'env>(
        &self,
        env: &'env Env,
        max_messages: u32,
        wait_ms: u32,
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
            pack(&messages)
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
            let (negative, offset, lossless) = o.offset.get_u64();
            if negative || !lossless {
                return Err(invalid_argument(format!(
                    "offset for {}/{} must fit an unsigned 64-bit integer",
                    o.topic, o.partition
                )));
            }
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
        env.spawn_future(async move {
            let previous = std::mem::replace(&mut *state.lock().await, State::Closed);
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
    options: &ConsumerOptions,
    topics: &[String],
    from_beginning: bool,
) -> rustlog::ConsumerConfig {
    let mut config = rustlog::ConsumerConfig::new(options.group_id.clone());
    config.topics = topics.to_vec();
    config.auto_offset_reset = if from_beginning {
        rustlog::AutoOffsetReset::Earliest
    } else {
        rustlog::AutoOffsetReset::Latest
    };
    if let Some(ms) = options.session_timeout_ms {
        config.session_timeout_ms = ms;
    }
    config
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
        entries.extend_from_slice(&[0; 4]);
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
