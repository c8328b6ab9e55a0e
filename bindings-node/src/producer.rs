//! `NativeProducer`, wrapped by `lib/producer.js`: connect, send (one call per JS `send`, the
//! whole message list packed in one buffer), flush, disconnect. Batching, partitioning and
//! retries are the Rust client's.

use crate::client::{send_settings, JsOption, JsOptions, NativeClient};
use crate::errors::{coded, from_client, invalid_argument};
use bytes::Bytes;
use napi::bindgen_prelude::{
    Buffer, BufferSlice, Either, Either3, Float64Array, Int32Array, PromiseRaw,
};
use napi::Env;
use napi_derive::napi;
use rustlog::Scope;
use rustlog_protocol::ErrorCode;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Bytes per message in the packed send result: u32 partition, u64 offset, i64 timestamp (LE).
pub const RESULT_ENTRY_BYTES: usize = 20;

/// KafkaJS's per-send settings: `send({ acks, timeout, compression })`, where `timeout` is the
/// table's `deliveryTimeoutMs`. Unset keeps the producer's own.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct SendOptions {
    pub acks: Option<Either<f64, String>>,
    pub timeout: Option<f64>,
    pub compression: Option<Either<f64, String>>,
}

impl SendOptions {
    /// The Rust client's overrides, parsed by the option table as the producer's options are;
    /// a bad value is an InvalidArgument before anything is sent.
    fn overrides(&self) -> napi::Result<rustlog::SendOverrides> {
        let js = |v: &Either<f64, String>| match v {
            Either::A(n) => Either3::B(*n),
            Either::B(t) => Either3::C(t.clone()),
        };
        let mut given = JsOptions::new();
        let mut put = |name: &str, value: Option<JsOption>| {
            if let Some(value) = value {
                given.insert(name.to_string(), value);
            }
        };
        put("acks", self.acks.as_ref().map(js));
        put("compression", self.compression.as_ref().map(js));
        put("timeout", self.timeout.map(Either3::B));
        let settings = send_settings(&given)?;
        Ok(rustlog::SendOverrides {
            acks: self.acks.as_ref().map(|_| settings.producer.acks),
            compression: self
                .compression
                .as_ref()
                .map(|_| settings.producer.compression),
            delivery_timeout_ms: self.timeout.map(|_| settings.producer.delivery_timeout_ms),
        })
    }
}

/// One header of one message, the value already a Buffer (`null` for a null value).
#[napi(object, use_nullable = true)]
pub struct HeaderInput {
    pub name: String,
    pub value: Option<Buffer>,
}

/// A producer's codec as JS sees it: KafkaJS's `CompressionTypes` number and Kafka's name.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct CompressionInfo {
    pub id: u32,
    pub name: String,
}

#[derive(Debug)]
enum State {
    Idle,
    Connected(rustlog::Producer),
    Closed,
}

impl State {
    fn producer(&self) -> napi::Result<rustlog::Producer> {
        match self {
            State::Connected(p) => Ok(p.clone()),
            State::Idle => Err(coded(
                ErrorCode::Disconnected,
                false,
                "the producer is not connected; call connect() first",
            )),
            State::Closed => Err(coded(
                ErrorCode::Closed,
                false,
                "the producer is disconnected",
            )),
        }
    }
}

#[napi]
#[derive(Debug)]
pub struct NativeProducer {
    client: NativeClient,
    config: rustlog::ProducerConfig,
    state: Arc<Mutex<State>>,
}

#[napi]
impl NativeProducer {
    #[napi(
        constructor,
        ts_args_type = "client: NativeClient, options: Record<string, boolean | number | string>"
    )]
    pub fn new(client: &NativeClient, options: JsOptions) -> napi::Result<Self> {
        let (client, settings) = client.derive(Scope::Producer, "producer()", &options)?;
        let config = settings.producer;
        config.validate().map_err(|e| from_client(&e))?;
        Ok(NativeProducer {
            client,
            config,
            state: Arc::new(Mutex::new(State::Idle)),
        })
    }

    /// The codec of every batch this producer sends.
    #[napi(getter)]
    pub fn compression(&self) -> CompressionInfo {
        CompressionInfo {
            id: u32::from(self.config.compression.id()),
            name: self.config.compression.name().to_string(),
        }
    }

    /// Connects; harmless when already connected, reconnects after `disconnect`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn connect<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let native = self.client.clone();
        let config = self.config.clone();
        let state = self.state.clone();
        env.spawn_future(async move {
            let mut guard = state.lock().await;
            if matches!(*guard, State::Connected(_)) {
                return Ok(());
            }
            let client = native.connect().await?;
            *guard = State::Connected(client.producer(config).map_err(|e| from_client(&e))?);
            Ok(())
        })
    }

    /// Sends the packed messages of one JS `send` (see `lib/codec.js`): `data` holds each key
    /// then value back to back, `lens` per message [keyLen, valueLen] with -1 for null,
    /// `partitions` -1 for "let the client choose", `timestamps` (when given) ms with NaN for
    /// "now". `options` are the send's own acks, timeout and codec (a producer variant made once
    /// per distinct set, see `rustlog::Producer::with_overrides`). Resolves to
    /// RESULT_ENTRY_BYTES per message.
    #[napi(ts_return_type = "Promise<Buffer>")]
    // One positional argument per packed column keeps the call free of napi property lookups.
    #[allow(clippy::too_many_arguments)]
    pub fn send<'env>(
        &self,
        env: &'env Env,
        topic: String,
        data: BufferSlice,
        lens: Int32Array,
        partitions: Int32Array,
        headers: Option<Vec<Option<Vec<HeaderInput>>>>,
        timestamps: Option<Float64Array>,
        options: Option<SendOptions>,
    ) -> napi::Result<PromiseRaw<'env, Buffer>> {
        let overrides = match &options {
            Some(o) => Some(o.overrides()?),
            None => None,
        };
        let mut records = unpack_records(&topic, &data, &lens, &partitions, headers)?;
        if let Some(ts) = timestamps {
            set_timestamps(&mut records, &ts)?;
        }
        let state = self.state.clone();
        env.spawn_future(async move {
            let mut producer = state.lock().await.producer()?;
            if let Some(overrides) = overrides {
                producer = producer
                    .with_overrides(overrides)
                    .map_err(|e| from_client(&e))?;
            }
            let handles = producer
                .send_batch(records)
                .await
                .map_err(|e| from_client(&e))?;
            let mut out = Vec::with_capacity(handles.len() * RESULT_ENTRY_BYTES);
            for handle in handles {
                let meta = handle.await.map_err(|e| from_client(&e))?;
                out.extend_from_slice(&meta.partition.to_le_bytes());
                out.extend_from_slice(&meta.offset.to_le_bytes());
                out.extend_from_slice(&meta.timestamp.to_le_bytes());
            }
            Ok(Buffer::from(out))
        })
    }

    /// Resolves when everything sent so far is acknowledged (or failed).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn flush<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let state = self.state.clone();
        env.spawn_future(async move {
            let producer = state.lock().await.producer()?;
            producer.flush(None).await.map_err(|e| from_client(&e))
        })
    }

    /// Delivers what is buffered (bounded by the delivery timeout) and closes the connection.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn disconnect<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let state = self.state.clone();
        env.spawn_future(async move {
            let previous = std::mem::replace(&mut *state.lock().await, State::Closed);
            match previous {
                State::Connected(producer) => {
                    producer.close(None).await.map_err(|e| from_client(&e))
                }
                State::Idle | State::Closed => Ok(()),
            }
        })
    }
}

/// Applies explicit create times (`lib/codec.js` checked they are safe integers; NaN = unset).
fn set_timestamps(records: &mut [rustlog::Record], timestamps: &[f64]) -> napi::Result<()> {
    if timestamps.len() != records.len() {
        return Err(invalid_argument(format!(
            "packed send: {} timestamps for {} messages",
            timestamps.len(),
            records.len()
        )));
    }
    for (record, &ms) in records.iter_mut().zip(timestamps) {
        if ms.is_nan() {
            continue;
        }
        if !(0.0..=MAX_SAFE_INTEGER_F64).contains(&ms) || ms.fract() != 0.0 {
            return Err(invalid_argument(format!(
                "timestamp {ms} is not a whole number of ms"
            )));
        }
        // Exact: a whole number within 2^53.
        #[allow(clippy::cast_possible_truncation)]
        let whole = ms as i64;
        record.timestamp_ms = Some(whole);
    }
    Ok(())
}

/// JS's Number.MAX_SAFE_INTEGER: every whole number up to it converts to i64 exactly.
const MAX_SAFE_INTEGER_F64: f64 = 9_007_199_254_740_991.0;

/// Rebuilds the records of one `send`. The packed bytes are copied once; keys and values are
/// slices of that copy.
fn unpack_records(
    topic: &str,
    data: &[u8],
    lens: &[i32],
    partitions: &[i32],
    headers: Option<Vec<Option<Vec<HeaderInput>>>>,
) -> napi::Result<Vec<rustlog::Record>> {
    let count = partitions.len();
    if lens.len() != count * 2 {
        return Err(invalid_argument(format!(
            "packed send: {} lengths for {count} messages",
            lens.len()
        )));
    }
    let mut headers = match headers {
        Some(h) if h.len() != count => {
            return Err(invalid_argument(format!(
                "packed send: {} header lists for {count} messages",
                h.len()
            )))
        }
        Some(h) => h.into_iter(),
        None => Vec::new().into_iter(),
    };
    let all = Bytes::copy_from_slice(data);
    let mut pos = 0usize;
    let mut take = |len: i32, what: &str, index: usize| -> napi::Result<Option<Bytes>> {
        if len < 0 {
            return Ok(None);
        }
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| pos.checked_add(l))
            .filter(|&end| end <= all.len())
            .ok_or_else(|| {
                invalid_argument(format!(
                    "packed send: message {index} {what} overruns the data"
                ))
            })?;
        let slice = all.slice(pos..end);
        pos = end;
        Ok(Some(slice))
    };
    let mut records = Vec::with_capacity(count);
    for (index, pair) in lens.chunks_exact(2).enumerate() {
        let mut record = rustlog::Record::new(topic);
        record.key = take(pair[0], "key", index)?;
        record.value = take(pair[1], "value", index)?;
        if let Some(&p) = partitions.get(index) {
            if p >= 0 {
                record.partition = Some(p.unsigned_abs());
            }
        }
        if let Some(Some(list)) = headers.next() {
            record.headers = list
                .into_iter()
                .map(|h| (h.name, h.value.map(|v| Bytes::copy_from_slice(&v))))
                .collect();
        }
        records.push(record);
    }
    Ok(records)
}

// napi's Buffer has no Debug; show the size instead of the bytes.
impl std::fmt::Debug for HeaderInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeaderInput")
            .field("name", &self.name)
            .field("value_bytes", &self.value.as_ref().map(|v| v.len()))
            .finish()
    }
}
