//! [`Producer`]: batches records per partition and sends them in pipelined produce requests.
//!
//! How it works:
//! - `send` validates the record (limits, topic name, partition), picks the partition (explicit,
//!   key hash via [`rustlog_protocol::partitioner::partition_for_key`], or sticky: see
//!   [`Sticky`]), reserves
//!   its bytes from the buffer budget, and appends it to the partition's open batch. It returns
//!   a [`DeliveryHandle`] at once; the handle resolves when the batch is acknowledged.
//! - An open batch is sealed when it reaches `batch_bytes`, when it is `linger_ms` old, or on
//!   `flush`/`close`. A background sender task puts sealed batches of many partitions into one
//!   produce request and keeps up to `max_in_flight_requests` requests in flight.
//! - Ordering: each partition has at most one batch in flight. A batch that fails with a
//!   retriable error goes back to the *front* of its partition's queue and is retried (after
//!   `retry_backoff_ms`) before any later batch of that partition, until `delivery_timeout_ms`.
//! - Compression: a sealed batch keeps its builder until it is first sent; the request task
//!   that sends it then finishes it (compressing with the configured codec), outside the
//!   producer's lock and in parallel with other requests. The `batch_bytes` target and the
//!   buffer budget count uncompressed bytes.
//! - Idempotence (`idempotence`, on by default, off with acks none): before its first produce
//!   the sender task asks the broker for a producer id (InitProducer). Each batch gets the id,
//!   epoch and the partition's next sequence when it is first sent (before it is encoded, so
//!   its CRC is computed once), and the sequence advances by its record count. A retry
//!   resends the very same bytes, so a batch whose response was lost is stored once and its
//!   records get their original offsets.
//!   When a stamped batch fails for good (OutOfOrderSequenceNumber, UnknownProducerId,
//!   InvalidProducerEpoch, which are never retried, or any other final error, after which the
//!   broker's sequence is unknown) its records fail with that error, and the producer asks for
//!   the next epoch and numbers later batches from 0. Without idempotence delivery is
//!   at-least-once: a retry after a lost response may store a batch twice.

use crate::client::Client;
use crate::config::{Acks, ProducerConfig};
use crate::connection::{encode_request, ConnSlot};
use crate::error::{Error, Result};
use crate::record::{now_ms, Record, RecordMetadata};
use bytes::Bytes;
use parking_lot::Mutex;
use rustlog_protocol::batch::increment_sequence;
use rustlog_protocol::limits::{FRAME_BYTES_MAX, PARTITIONS_PER_REQUEST_MAX};
use rustlog_protocol::messages::init_producer::{InitProducerRequest, NEW_PRODUCER};
use rustlog_protocol::messages::produce::{ProducePartition, ProduceRequest};
use rustlog_protocol::partitioner::partition_for_key;
use rustlog_protocol::{Compression, ErrorCode, ProducerStamp, RecordBatchBuilder, Request};
use std::collections::{HashMap, VecDeque};
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

/// Room left in a produce request for its header and per-partition framing.
const REQUEST_OVERHEAD_BYTES: usize = 64 * 1024;

/// The shared outcome of one batch: the base offset, or why it failed.
#[derive(Debug)]
pub(crate) struct BatchState {
    topic: Arc<str>,
    partition: u32,
    result: OnceLock<Result<u64>>,
    done: Notify,
}

impl BatchState {
    fn new(topic: Arc<str>, partition: u32) -> Self {
        BatchState {
            topic,
            partition,
            result: OnceLock::new(),
            done: Notify::new(),
        }
    }

    fn complete(&self, result: Result<u64>) {
        let _ = self.result.set(result);
        self.done.notify_waiters();
    }

    async fn wait(&self) -> &Result<u64> {
        loop {
            let notified = self.done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(result) = self.result.get() {
                return result;
            }
            notified.await;
        }
    }
}

/// Resolves to a record's [`RecordMetadata`] once its batch is acknowledged. `.await` it, call
/// [`DeliveryHandle::wait`], or poll [`DeliveryHandle::try_result`]. Dropping it does not cancel
/// the send.
#[derive(Debug, Clone)]
pub struct DeliveryHandle {
    batch: Arc<BatchState>,
    index: u32,
    timestamp: i64,
}

impl DeliveryHandle {
    fn metadata(&self, result: &Result<u64>) -> Result<RecordMetadata> {
        match result {
            Ok(base_offset) => Ok(RecordMetadata {
                topic: self.batch.topic.clone(),
                partition: self.batch.partition,
                offset: base_offset.saturating_add(u64::from(self.index)),
                timestamp: self.timestamp,
            }),
            Err(e) => Err(e.clone()),
        }
    }

    /// Waits for the acknowledgement (bounded by the producer's `delivery_timeout_ms`).
    pub async fn wait(&self) -> Result<RecordMetadata> {
        let result = self.batch.wait().await;
        self.metadata(result)
    }

    /// The outcome if it is known already.
    pub fn try_result(&self) -> Option<Result<RecordMetadata>> {
        self.batch.result.get().map(|r| self.metadata(r))
    }

    /// True once the outcome is known.
    pub fn is_done(&self) -> bool {
        self.batch.result.get().is_some()
    }

    /// The partition the record was assigned to.
    pub fn partition(&self) -> u32 {
        self.batch.partition
    }
}

impl IntoFuture for DeliveryHandle {
    type Output = Result<RecordMetadata>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<RecordMetadata>> + Send>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.wait().await })
    }
}

/// A batch still being filled.
struct OpenBatch {
    builder: RecordBatchBuilder,
    state: Arc<BatchState>,
    created: Instant,
    /// Buffer-budget bytes reserved by its records.
    reserved_bytes: usize,
}

/// A sealed batch waiting to be sent (or retried).
struct SealedBatch {
    body: Body,
    state: Arc<BatchState>,
    /// Fail instead of retrying after this.
    deadline: Instant,
    reserved_bytes: usize,
    attempts: u32,
    record_count: u32,
    /// Encoded size before compression.
    uncompressed_bytes: usize,
    /// The producer fields written when it was first sent; a retry resends the same bytes so
    /// the broker can recognise a batch it already stored.
    stamp: Option<ProducerStamp>,
}

/// A sealed batch's records.
enum Body {
    /// Not encoded yet: the request task that first sends the batch finishes (compresses) it,
    /// outside the producer's lock and in parallel with other requests, after its producer
    /// fields are set, so the CRC is computed once.
    Unfinished(RecordBatchBuilder),
    /// The bytes sent, kept for retries.
    Encoded(Bytes),
}

impl SealedBatch {
    /// Bytes the batch takes in a request at most (the uncompressed size until encoded).
    fn request_len(&self) -> usize {
        match &self.body {
            Body::Unfinished(_) => self.uncompressed_bytes,
            Body::Encoded(bytes) => bytes.len(),
        }
    }

    /// Encodes the batch if it is not yet.
    fn encode(&mut self) -> std::result::Result<Bytes, rustlog_protocol::ProtocolError> {
        let body = std::mem::replace(&mut self.body, Body::Encoded(Bytes::new()));
        let bytes = match body {
            Body::Unfinished(builder) => Bytes::from(builder.finish(0)?),
            Body::Encoded(bytes) => bytes,
        };
        self.body = Body::Encoded(bytes.clone());
        Ok(bytes)
    }

    /// Bytes sent (0 before the batch was encoded).
    fn sent_len(&self) -> usize {
        match &self.body {
            Body::Unfinished(_) => 0,
            Body::Encoded(bytes) => bytes.len(),
        }
    }
}

#[derive(Default)]
struct PartitionQueue {
    open: Option<OpenBatch>,
    ready: VecDeque<SealedBatch>,
    in_flight: Option<Arc<BatchState>>,
    /// Earliest time the front ready batch may be (re)sent.
    retry_at: Option<Instant>,
    /// Sequence of the next batch stamped for `sequence_owner`.
    next_sequence: i32,
    /// The producer id and epoch `next_sequence` counts for; another one starts at 0.
    sequence_owner: Option<ProducerId>,
    /// Encoded size of the last batch sealed: the next one is given that much room at once, so
    /// a steady stream fills each batch without the copies of growing it.
    last_batch_bytes: usize,
}

/// A producer id and epoch issued by the broker's InitProducer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProducerId {
    id: i64,
    epoch: i16,
}

/// The idempotent producer's standing with the broker.
#[derive(Debug, Default)]
struct Identity {
    /// `None` until InitProducer answered.
    current: Option<ProducerId>,
    /// A batch of `current` ended without a known outcome or was refused, so the broker's
    /// sequence for it is unknown: ask for the next epoch before stamping more batches.
    bump: bool,
}

impl Identity {
    /// The id new batches may be stamped with now.
    fn ready(&self) -> Option<ProducerId> {
        self.current.filter(|_| !self.bump)
    }

    /// The InitProducer request that makes the identity ready.
    fn request(&self) -> InitProducerRequest {
        match self.current {
            Some(current) if self.bump => InitProducerRequest {
                producer_id: current.id,
                producer_epoch: current.epoch,
            },
            _ => InitProducerRequest::default(),
        }
    }
}

struct TopicQueues {
    topic: Arc<str>,
    partitions: Vec<PartitionQueue>,
    sticky: Sticky,
}

/// Where keyless records without an explicit partition go: one partition until a batch's worth
/// (`batch_bytes`) went there, then the next (Kafka's sticky partitioner, KIP-480 and KIP-794).
/// Round-robin per record would cut every batch into one piece per partition, so per-batch costs
/// (requests, CRCs, writes, fsyncs) would grow with the partition count at the same rate.
#[derive(Debug, Default)]
struct Sticky {
    partition: Option<u32>,
    bytes: usize,
}

impl Sticky {
    /// The partition for a keyless record of `record_bytes`; `start` picks the first one, so
    /// producers do not all begin on partition 0.
    fn pick(
        &mut self,
        count: u32,
        record_bytes: usize,
        switch_bytes: usize,
        start: &AtomicU32,
    ) -> u32 {
        let partition = match self.partition {
            Some(p) if p < count && self.bytes < switch_bytes => p,
            Some(p) => {
                self.bytes = 0;
                p.wrapping_add(1) % count
            }
            None => start.fetch_add(1, Ordering::Relaxed) % count,
        };
        self.partition = Some(partition);
        self.bytes = self.bytes.saturating_add(record_bytes);
        partition
    }
}

/// The queues of every topic sent to, in first-use order, found by name or by position.
#[derive(Default)]
struct Topics {
    list: Vec<TopicQueues>,
    index: HashMap<Arc<str>, usize>,
}

impl Topics {
    /// The position of `topic`'s queues, added if it has none yet.
    fn index_of(&mut self, topic: &str) -> usize {
        if let Some(&index) = self.index.get(topic) {
            return index;
        }
        let name: Arc<str> = Arc::from(topic);
        self.list.push(TopicQueues {
            topic: name.clone(),
            partitions: Vec::new(),
            sticky: Sticky::default(),
        });
        let index = self.list.len() - 1;
        self.index.insert(name, index);
        index
    }

    fn get_mut(&mut self, topic: &str) -> Option<&mut TopicQueues> {
        let index = *self.index.get(topic)?;
        self.list.get_mut(index)
    }

    fn values(&self) -> std::slice::Iter<'_, TopicQueues> {
        self.list.iter()
    }

    fn values_mut(&mut self) -> std::slice::IterMut<'_, TopicQueues> {
        self.list.iter_mut()
    }
}

/// The topic of the latest send and its partition count, so that a run of sends to one topic
/// (the common case) skips the name check, the client's partition cache and the hash lookup.
#[derive(Debug, Clone, Copy)]
struct HotTopic {
    /// Position in [`Topics`].
    index: usize,
    partitions: u32,
    /// The client's partition-cache generation the count was read at; any other means the
    /// count may have changed.
    generation: u64,
}

/// A partition chosen on the slow path (`None`: a keyless record, placed by [`Sticky`] under
/// the lock), with what the hot path needs to skip the lookup next time.
struct Chosen {
    partition: Option<u32>,
    partitions: u32,
    generation: u64,
}

#[derive(Default)]
struct Accumulator {
    topics: Topics,
    hot: Option<HotTopic>,
    /// Producer id and epoch (idempotent producers only).
    identity: Identity,
}

struct Shared {
    client: Client,
    config: ProducerConfig,
    slot: ConnSlot,
    acc: Mutex<Accumulator>,
    /// Wakes the sender task: a batch was created or sealed, a request finished, closing.
    wake: Notify,
    /// Bytes of records not yet acknowledged; `send` waits for room.
    buffer: Semaphore,
    /// Produce requests in flight.
    requests: Arc<Semaphore>,
    /// No new sends.
    closed: AtomicBool,
    /// Deliver what is left without lingering, then stop the sender task.
    closing: AtomicBool,
    /// The first sticky partition of each topic (seeded at random).
    sticky_start: AtomicU32,
    stats: StatsCounters,
}

/// Running totals behind [`ProducerStats`].
#[derive(Debug, Default)]
struct StatsCounters {
    batches: AtomicU64,
    records: AtomicU64,
    uncompressed_bytes: AtomicU64,
    sent_bytes: AtomicU64,
}

impl StatsCounters {
    fn count(&self, batch: &SealedBatch) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.records
            .fetch_add(u64::from(batch.record_count), Ordering::Relaxed);
        self.uncompressed_bytes
            .fetch_add(batch.uncompressed_bytes as u64, Ordering::Relaxed);
        self.sent_bytes
            .fetch_add(batch.sent_len() as u64, Ordering::Relaxed);
    }

    fn snapshot(&self) -> ProducerStats {
        ProducerStats {
            batches: self.batches.load(Ordering::Relaxed),
            records: self.records.load(Ordering::Relaxed),
            uncompressed_bytes: self.uncompressed_bytes.load(Ordering::Relaxed),
            sent_bytes: self.sent_bytes.load(Ordering::Relaxed),
        }
    }
}

/// Totals over the batches a producer has had acknowledged (each batch counted once, however
/// often it was retried).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProducerStats {
    /// Batches acknowledged.
    pub batches: u64,
    /// Records in them.
    pub records: u64,
    /// Their encoded size without compression, 61-byte batch headers included.
    pub uncompressed_bytes: u64,
    /// Their size as sent and stored (compressed when the producer has a codec).
    pub sent_bytes: u64,
}

impl ProducerStats {
    /// `uncompressed_bytes / sent_bytes` (1.0 without compression; 0.0 before any batch).
    pub fn compression_ratio(&self) -> f64 {
        if self.sent_bytes == 0 {
            return 0.0;
        }
        self.uncompressed_bytes as f64 / self.sent_bytes as f64
    }
}

impl Shared {
    fn release(&self, bytes: usize) {
        self.buffer.add_permits(bytes);
    }
}

/// Sends records to the broker in batches. Cheap to clone; clones share batches and the
/// connection. Dropping the last clone delivers what is buffered in the background.
#[derive(Clone)]
pub struct Producer {
    inner: Arc<ProducerInner>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("config", &self.inner.shared.config)
            .finish()
    }
}

struct ProducerInner {
    shared: Arc<Shared>,
    /// Producers made by `with_overrides`, one per distinct set, flushed and closed with this.
    variants: Mutex<HashMap<SendOverrides, Producer>>,
}

/// Settings one send may change (KafkaJS's `send({ acks, timeout, compression })`); `None`
/// keeps the producer's own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SendOverrides {
    pub acks: Option<Acks>,
    pub compression: Option<Compression>,
    pub delivery_timeout_ms: Option<u64>,
}

impl Drop for ProducerInner {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.closing.store(true, Ordering::Release);
        self.shared.wake.notify_one();
    }
}

impl Producer {
    pub(crate) fn new(client: Client, config: ProducerConfig) -> Result<Producer> {
        config.validate()?;
        let shared = Arc::new(Shared {
            slot: client.new_slot(),
            client,
            buffer: Semaphore::new(config.buffer_bytes_max),
            requests: Arc::new(Semaphore::new(config.max_in_flight_requests)),
            config,
            acc: Mutex::new(Accumulator::default()),
            wake: Notify::new(),
            closed: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            sticky_start: AtomicU32::new(random_u32()),
            stats: StatsCounters::default(),
        });
        // The sender task needs a runtime; without one, fail instead of panicking.
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::invalid(
                "a Producer must be created inside a tokio runtime (or use rustlog::blocking)",
            )
        })?;
        runtime.spawn(sender_loop(shared.clone()));
        Ok(Producer {
            inner: Arc::new(ProducerInner {
                shared,
                variants: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// A producer that sends with `overrides` in place of this one's settings: made on first
    /// use for each distinct set (its own batches and, with idempotence, its own producer id),
    /// kept, and flushed and closed with this one. Records are in order within one variant, not
    /// across variants, as two KafkaJS sends with different acks are. Fails like `new` for a
    /// combination the config rules refuse (idempotence with acks none is turned off, as in a
    /// config of its own), and with `Closed` after `close`.
    pub fn with_overrides(&self, overrides: SendOverrides) -> Result<Producer> {
        let shared = &self.inner.shared;
        if shared.closed.load(Ordering::Acquire) {
            return Err(Error::Closed { what: "producer" });
        }
        let base = &shared.config;
        let mut config = base.clone();
        if let Some(acks) = overrides.acks {
            config.acks = acks;
            if acks == Acks::None {
                config.idempotence = false;
            }
        }
        if let Some(compression) = overrides.compression {
            if compression != base.compression {
                config.compression = compression;
                config.compression_level = None;
            }
        }
        if let Some(ms) = overrides.delivery_timeout_ms {
            config.delivery_timeout_ms = ms;
        }
        if config == *base {
            return Ok(self.clone());
        }
        let mut variants = self.inner.variants.lock();
        if let Some(existing) = variants.get(&overrides) {
            return Ok(existing.clone());
        }
        let made = Producer::new(shared.client.clone(), config)?;
        variants.insert(overrides, made.clone());
        Ok(made)
    }

    fn variants(&self) -> Vec<Producer> {
        self.inner.variants.lock().values().cloned().collect()
    }

    /// `timeout`, or the delivery timeout when none is given.
    fn wait_limit(&self, timeout: Option<Duration>) -> Duration {
        timeout.unwrap_or_else(|| self.config().delivery_timeout())
    }

    /// The settings of this producer.
    pub fn config(&self) -> &ProducerConfig {
        &self.inner.shared.config
    }

    /// Batch, record and byte totals of what was acknowledged so far.
    pub fn stats(&self) -> ProducerStats {
        self.inner.shared.stats.snapshot()
    }

    /// Queues `record` and returns a handle that resolves to its metadata.
    ///
    /// Fails at once (nothing queued) when the record breaks a limit (`RecordTooLarge`), the
    /// topic does not exist, the partition is out of range, or the producer is closed. Waits
    /// when the buffer budget is used up, for at most `delivery_timeout_ms`.
    pub async fn send(&self, record: Record) -> Result<DeliveryHandle> {
        let shared = &self.inner.shared;
        if shared.closed.load(Ordering::Acquire) {
            return Err(Error::Closed { what: "producer" });
        }
        let record_bytes = check_record(&record)?;
        if let Some(handle) = send_hot(shared, &record, record_bytes)? {
            return Ok(handle);
        }
        let chosen = self.choose_partition(&record).await?;
        self.enqueue(record, &chosen, record_bytes).await
    }

    /// Queues many records; checks all of them first, so either all are queued or none is
    /// (the error names the index of the bad record).
    pub async fn send_batch(&self, records: Vec<Record>) -> Result<Vec<DeliveryHandle>> {
        let shared = &self.inner.shared;
        if shared.closed.load(Ordering::Acquire) {
            return Err(Error::Closed { what: "producer" });
        }
        let mut checked = Vec::with_capacity(records.len());
        for (index, record) in records.iter().enumerate() {
            let chosen =
                async { Ok((check_record(record)?, self.choose_partition(record).await?)) };
            checked.push(chosen.await.map_err(|e| match e {
                Error::Rejected { code, message } => Error::Rejected {
                    code,
                    message: format!("record {index}: {message}"),
                },
                other => other,
            })?);
        }
        let mut handles = Vec::with_capacity(records.len());
        for (record, (record_bytes, chosen)) in records.into_iter().zip(checked) {
            handles.push(self.enqueue(record, &chosen, record_bytes).await?);
        }
        Ok(handles)
    }

    /// Checks the topic name, looks its partition count up and picks the record's partition.
    async fn choose_partition(&self, record: &Record) -> Result<Chosen> {
        rustlog_protocol::names::validate_topic_name(&record.topic)
            .map_err(|e| Error::rejected(&e))?;
        let client = &self.inner.shared.client;
        // Read before the count: a change in between then shows as a newer generation.
        let generation = client.partitions_generation();
        let partitions = match client.cached_partitions(&record.topic) {
            Some(count) => count,
            // Boxed: the lookup's state is large, and inline it would be copied along with
            // every send's future, which nearly always takes the cached branch.
            None => Box::pin(client.partition_count(&record.topic)).await?,
        };
        Ok(Chosen {
            partition: pick_partition(record, partitions)?,
            partitions,
            generation,
        })
    }

    /// Reserves the record's bytes (waiting for room) and appends it to its partition's batch;
    /// the topic becomes the hot one.
    async fn enqueue(
        &self,
        record: Record,
        chosen: &Chosen,
        record_bytes: usize,
    ) -> Result<DeliveryHandle> {
        let shared = &self.inner.shared;
        reserve(shared, record_bytes).await?;
        let timestamp = record.timestamp_ms.unwrap_or_else(now_ms);
        let (handle, wake) = {
            let mut acc = shared.acc.lock();
            let index = acc.topics.index_of(&record.topic);
            acc.hot = Some(HotTopic {
                index,
                partitions: chosen.partitions,
                generation: chosen.generation,
            });
            let Some(topic) = acc.topics.list.get_mut(index) else {
                shared.release(record_bytes);
                return Err(Error::invalid("topic queue vanished"));
            };
            let place = Placement {
                partition: chosen.partition,
                partitions: chosen.partitions,
            };
            append(shared, topic, place, &record, record_bytes, timestamp)?
        };
        if wake {
            shared.wake.notify_one();
        }
        Ok(handle)
    }

    /// Sends every buffered record now and waits until all records sent before this call are
    /// acknowledged or failed (their handles tell which), for at most `timeout` (`None`: the
    /// delivery timeout, the longest a record may take anyway).
    pub async fn flush(&self, timeout: impl Into<Option<Duration>>) -> Result<()> {
        let timeout = self.wait_limit(timeout.into());
        let deadline = tokio::time::Instant::now() + timeout;
        for variant in self.variants() {
            Box::pin(
                variant.flush(deadline.saturating_duration_since(tokio::time::Instant::now())),
            )
            .await?;
        }
        let timeout = deadline.saturating_duration_since(tokio::time::Instant::now());
        let shared = &self.inner.shared;
        let outstanding = {
            let mut acc = shared.acc.lock();
            let mut states = Vec::new();
            for topic in acc.topics.values_mut() {
                for queue in &mut topic.partitions {
                    seal(queue, &shared.config);
                    states.extend(queue.in_flight.iter().cloned());
                    states.extend(queue.ready.iter().map(|b| b.state.clone()));
                }
            }
            states
        };
        shared.wake.notify_one();
        let all = async {
            for state in &outstanding {
                state.wait().await;
            }
        };
        tokio::time::timeout(timeout, all)
            .await
            .map_err(|_| Error::timed_out("producer flush", timeout))
    }

    /// Stops accepting records, delivers what is buffered (waiting at most `timeout`, `None`:
    /// the delivery timeout) and stops the sender. Records still undelivered after the timeout
    /// fail with `Closed`.
    pub async fn close(&self, timeout: impl Into<Option<Duration>>) -> Result<()> {
        let timeout = self.wait_limit(timeout.into());
        let deadline = tokio::time::Instant::now() + timeout;
        let mut first_error = None;
        for variant in self.variants() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if let Err(e) = Box::pin(variant.close(left)).await {
                first_error.get_or_insert(e);
            }
        }
        let timeout = deadline.saturating_duration_since(tokio::time::Instant::now());
        let shared = &self.inner.shared;
        shared.closed.store(true, Ordering::Release);
        let flushed = self.flush(timeout).await;
        shared.closing.store(true, Ordering::Release);
        if flushed.is_err() {
            fail_everything(shared, &Error::Closed { what: "producer" });
        }
        shared.wake.notify_one();
        match first_error {
            Some(e) => Err(e),
            None => flushed,
        }
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.inner.shared.closed.load(Ordering::Acquire)
    }
}

/// Checks a record against the protocol limits before anything is queued; returns the bytes it
/// takes from the buffer budget. (The topic name is checked where the topic is looked up.)
fn check_record(record: &Record) -> Result<usize> {
    let headers = record.header_refs();
    RecordBatchBuilder::check_record(record.key.as_deref(), record.value.as_deref(), &headers)
        .map_err(|e| Error::rejected(&e))?;
    Ok(record.encoded_len().max(1))
}

/// The send path without an await: when `record` goes to the hot topic, its partition count is
/// still current and there is buffer room, appends it under one lock. `None` sends it the slow
/// way (first send to a topic, another topic, a changed count, a full buffer).
fn send_hot(
    shared: &Shared,
    record: &Record,
    record_bytes: usize,
) -> Result<Option<DeliveryHandle>> {
    let generation = shared.client.partitions_generation();
    let timestamp = record.timestamp_ms.unwrap_or_else(now_ms);
    let (handle, wake) = {
        let mut acc = shared.acc.lock();
        let Some(hot) = acc.hot.filter(|h| h.generation == generation) else {
            return Ok(None);
        };
        let Some(topic) = acc.topics.list.get_mut(hot.index) else {
            return Ok(None);
        };
        if *topic.topic != *record.topic {
            return Ok(None);
        }
        let place = Placement {
            partition: pick_partition(record, hot.partitions)?,
            partitions: hot.partitions,
        };
        if !try_reserve(shared, record_bytes) {
            return Ok(None);
        }
        append(shared, topic, place, record, record_bytes, timestamp)?
    };
    if wake {
        shared.wake.notify_one();
    }
    Ok(Some(handle))
}

/// The partition a record was given, or `None` for the sticky one, of `partitions`.
#[derive(Debug, Clone, Copy)]
struct Placement {
    partition: Option<u32>,
    partitions: u32,
}

/// Appends a record whose bytes are reserved to its partition's open batch, sealing batches
/// that are full; gives the bytes back if it fails. Also says whether the sender must wake.
fn append(
    shared: &Shared,
    topic: &mut TopicQueues,
    place: Placement,
    record: &Record,
    record_bytes: usize,
    timestamp: i64,
) -> Result<(DeliveryHandle, bool)> {
    let partition = match place.partition {
        Some(partition) => partition,
        None => topic.sticky.pick(
            place.partitions,
            record_bytes,
            batch_bytes_target(&shared.config),
            &shared.sticky_start,
        ),
    };
    let index = partition as usize;
    if topic.partitions.len() <= index {
        topic
            .partitions
            .resize_with(index + 1, PartitionQueue::default);
    }
    let Some(queue) = topic.partitions.get_mut(index) else {
        shared.release(record_bytes);
        return Err(Error::invalid("partition index out of range"));
    };
    match push_record(
        shared,
        queue,
        &topic.topic,
        partition,
        record,
        record_bytes,
        timestamp,
    ) {
        Ok(pushed) => Ok(pushed),
        Err(e) => {
            shared.release(record_bytes);
            Err(e)
        }
    }
}

/// Pushes the record into the queue's open batch (opening one, sealing one it would overflow
/// and one it fills).
fn push_record(
    shared: &Shared,
    queue: &mut PartitionQueue,
    topic_name: &Arc<str>,
    partition: u32,
    record: &Record,
    record_bytes: usize,
    timestamp: i64,
) -> Result<(DeliveryHandle, bool)> {
    let headers = record.header_refs();
    let batch_bytes = batch_bytes_target(&shared.config);
    let mut wake = false;
    // Seal a batch this record would push past the target size.
    if let Some(open) = &queue.open {
        if !open.builder.is_empty() && open.builder.encoded_len() + record_bytes > batch_bytes {
            seal(queue, &shared.config);
            wake = true;
        }
    }
    for _ in 0..2 {
        if queue.open.is_none() {
            queue.open = Some(OpenBatch {
                builder: new_builder(
                    &shared.config,
                    batch_bytes,
                    record_bytes.saturating_mul(2).max(queue.last_batch_bytes),
                )?,
                state: Arc::new(BatchState::new(topic_name.clone(), partition)),
                created: Instant::now(),
                reserved_bytes: 0,
            });
            wake = true;
        }
        let Some(open) = queue.open.as_mut() else {
            break;
        };
        match open.builder.push(
            timestamp,
            record.key.as_deref(),
            record.value.as_deref(),
            &headers,
        ) {
            Ok(()) => {
                open.reserved_bytes += record_bytes;
                let handle = DeliveryHandle {
                    batch: open.state.clone(),
                    index: open.builder.record_count() - 1,
                    timestamp,
                };
                if open.builder.encoded_len() >= batch_bytes {
                    seal(queue, &shared.config);
                    wake = true;
                }
                return Ok((handle, wake));
            }
            // A full batch (record count or bytes): seal it and start another.
            Err(_) if !open.builder.is_empty() => {
                seal(queue, &shared.config);
                wake = true;
            }
            Err(e) => return Err(Error::rejected(&e)),
        }
    }
    Err(Error::invalid("record does not fit an empty batch"))
}

/// Explicit partition (checked), key hash, or `None` for the sticky partition.
fn pick_partition(record: &Record, count: u32) -> Result<Option<u32>> {
    if count == 0 {
        return Err(Error::Rejected {
            code: ErrorCode::PartitionNotFound,
            message: format!("topic {:?} has no partitions", record.topic),
        });
    }
    match (record.partition, &record.key) {
        (Some(p), _) if p >= count => Err(Error::Rejected {
            code: ErrorCode::PartitionNotFound,
            message: format!(
                "partition {p} of topic {:?} does not exist (it has {count})",
                record.topic
            ),
        }),
        (Some(p), _) => Ok(Some(p)),
        (None, Some(key)) => Ok(Some(partition_for_key(key, count))),
        (None, None) => Ok(None),
    }
}

/// A random seed (std's per-process random hash keys), so producers spread their first sticky
/// partitions.
fn random_u32() -> u32 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(std::process::id()) as u32
}

/// Takes `bytes` from the buffer budget if there is room now.
fn try_reserve(shared: &Shared, bytes: usize) -> bool {
    let bytes = u32::try_from(bytes).unwrap_or(u32::MAX);
    match shared.buffer.try_acquire_many(bytes) {
        Ok(permit) => {
            permit.forget();
            true
        }
        Err(_) => false,
    }
}

/// Takes `bytes` from the buffer budget, waiting for room up to the delivery timeout.
async fn reserve(shared: &Shared, bytes: usize) -> Result<()> {
    if try_reserve(shared, bytes) {
        return Ok(());
    }
    let bytes = u32::try_from(bytes).unwrap_or(u32::MAX);
    let timeout = Duration::from_millis(shared.config.delivery_timeout_ms);
    // Boxed for the same reason as the partition lookup: waiting for space is the rare case.
    match Box::pin(tokio::time::timeout(
        timeout,
        shared.buffer.acquire_many(bytes),
    ))
    .await
    {
        Ok(Ok(permit)) => {
            permit.forget();
            Ok(())
        }
        Ok(Err(_)) => Err(Error::Closed { what: "producer" }),
        Err(_) => Err(Error::timed_out(
            "send (waiting for producer buffer space)",
            timeout,
        )),
    }
}

/// Uncompressed bytes at which an open batch is sealed. Incompressible records grow a little
/// under every codec (block and frame headers), so a compressed batch stops short of the
/// protocol limit and its compressed form still fits.
fn batch_bytes_target(config: &ProducerConfig) -> usize {
    const BATCH_BYTES_MAX: usize = rustlog_protocol::limits::BATCH_BYTES_MAX as usize;
    match config.compression {
        rustlog_protocol::Compression::None => config.batch_bytes,
        _ => config
            .batch_bytes
            .min(BATCH_BYTES_MAX - BATCH_BYTES_MAX / 64),
    }
}

/// An empty batch builder with the producer's codec and room for `wanted_bytes` (at most the
/// batch target).
fn new_builder(
    config: &ProducerConfig,
    batch_bytes: usize,
    wanted_bytes: usize,
) -> Result<RecordBatchBuilder> {
    RecordBatchBuilder::with_capacity(batch_bytes.min(wanted_bytes))
        .compression(config.compression, config.compression_level)
        .map_err(|e| Error::invalid(format!("compression_level: {e}")))
}

/// Moves the open batch of `queue` to the back of its ready queue (encoded when first sent).
fn seal(queue: &mut PartitionQueue, config: &ProducerConfig) {
    if let Some(open) = queue.open.take() {
        if open.builder.is_empty() {
            return;
        }
        queue.last_batch_bytes = open.builder.encoded_len();
        queue.ready.push_back(SealedBatch {
            record_count: open.builder.record_count(),
            uncompressed_bytes: open.builder.encoded_len(),
            body: Body::Unfinished(open.builder),
            state: open.state,
            deadline: open.created + Duration::from_millis(config.delivery_timeout_ms),
            reserved_bytes: open.reserved_bytes,
            attempts: 0,
            stamp: None,
        });
    }
}

/// Fails every queued batch (close after its timeout).
fn fail_everything(shared: &Shared, error: &Error) {
    let mut released = 0usize;
    {
        let mut acc = shared.acc.lock();
        for topic in acc.topics.values_mut() {
            for queue in &mut topic.partitions {
                seal(queue, &shared.config);
                for batch in queue.ready.drain(..) {
                    released += batch.reserved_bytes;
                    batch.state.complete(Err(error.clone()));
                }
            }
        }
    }
    shared.release(released);
}

/// A batch chosen for a request.
struct Outgoing {
    topic: Arc<str>,
    partition: u32,
    batch: SealedBatch,
}

/// Collects sendable batches (one per partition, none for a partition with one in flight) into
/// requests; returns them and when to look again for lingering or backing-off batches.
fn collect(shared: &Shared) -> Collected {
    let now = Instant::now();
    let linger = Duration::from_millis(shared.config.linger_ms);
    let closing = shared.closing.load(Ordering::Acquire);
    let request_bytes_max = FRAME_BYTES_MAX as usize - REQUEST_OVERHEAD_BYTES;
    let mut requests: Vec<Vec<Outgoing>> = Vec::new();
    let mut current: Vec<Outgoing> = Vec::new();
    let mut current_bytes = 0usize;
    let mut next_wake: Option<Instant> = None;
    let mut idle = true;
    let mut needs_identity = false;
    let idempotent = shared.config.uses_idempotence();
    let mut acc = shared.acc.lock();
    let Accumulator {
        topics, identity, ..
    } = &mut *acc;
    let owner = identity.ready();
    for topic in topics.values_mut() {
        for (index, queue) in topic.partitions.iter_mut().enumerate() {
            if queue.open.is_some() || !queue.ready.is_empty() || queue.in_flight.is_some() {
                idle = false;
            }
            if queue.in_flight.is_some() {
                continue;
            }
            if queue.ready.is_empty() {
                let due = queue.open.as_ref().map(|o| o.created + linger);
                match due {
                    Some(due) if due <= now || closing => seal(queue, &shared.config),
                    Some(due) => {
                        next_wake = Some(next_wake.map_or(due, |w| w.min(due)));
                        continue;
                    }
                    None => continue,
                }
            }
            if let Some(at) = queue.retry_at {
                if at > now {
                    next_wake = Some(next_wake.map_or(at, |w| w.min(at)));
                    continue;
                }
                queue.retry_at = None;
            }
            let unstamped = queue.ready.front().is_some_and(|b| b.stamp.is_none());
            let owner = match owner {
                Some(owner) if idempotent && unstamped => Some(owner),
                // Sequences are only handed out once the broker has issued an id.
                None if idempotent && unstamped => {
                    needs_identity = true;
                    continue;
                }
                _ => None,
            };
            let Some(mut batch) = queue.ready.pop_front() else {
                continue;
            };
            if let Some(owner) = owner {
                stamp(queue, &mut batch, owner);
            }
            queue.in_flight = Some(batch.state.clone());
            let size = batch.request_len() + topic.topic.len() + 16;
            if !current.is_empty()
                && (current_bytes + size > request_bytes_max
                    || current.len() >= PARTITIONS_PER_REQUEST_MAX as usize)
            {
                requests.push(std::mem::take(&mut current));
                current_bytes = 0;
            }
            current_bytes += size;
            current.push(Outgoing {
                topic: topic.topic.clone(),
                partition: index as u32,
                batch,
            });
        }
    }
    if !current.is_empty() {
        requests.push(current);
    }
    Collected {
        requests,
        next_wake,
        idle,
        needs_identity,
    }
}

/// What one pass over the queues found.
struct Collected {
    /// Produce requests to send now.
    requests: Vec<Vec<Outgoing>>,
    /// When to look again for lingering or backing-off batches.
    next_wake: Option<Instant>,
    /// Nothing is buffered or in flight.
    idle: bool,
    /// A batch waits for a producer id or a new epoch.
    needs_identity: bool,
}

/// Sets the partition's next sequence under `owner` on a batch about to be sent for the first
/// time and advances the sequence by its record count. Stamping at the first send, not at
/// sealing, keeps sequences in send order across an epoch bump: batches sealed before the bump
/// but not yet sent are numbered from 0 under the new epoch.
fn stamp(queue: &mut PartitionQueue, batch: &mut SealedBatch, owner: ProducerId) {
    let Body::Unfinished(builder) = std::mem::replace(&mut batch.body, Body::Encoded(Bytes::new()))
    else {
        // Unreachable: a batch is encoded only when first sent, and stamped before that.
        return;
    };
    if queue.sequence_owner != Some(owner) {
        queue.sequence_owner = Some(owner);
        queue.next_sequence = 0;
    }
    let stamp = ProducerStamp {
        producer_id: owner.id,
        producer_epoch: owner.epoch,
        base_sequence: queue.next_sequence,
    };
    batch.body = Body::Unfinished(builder.producer(stamp));
    batch.stamp = Some(stamp);
    queue.next_sequence = increment_sequence(queue.next_sequence, batch.record_count);
}

async fn sender_loop(shared: Arc<Shared>) {
    loop {
        let Collected {
            requests,
            next_wake,
            idle,
            needs_identity,
        } = collect(&shared);
        if idle && requests.is_empty() && shared.closing.load(Ordering::Acquire) {
            return;
        }
        for request in requests {
            let Ok(permit) = shared.requests.clone().acquire_owned().await else {
                return;
            };
            let shared = shared.clone();
            tokio::spawn(async move {
                send_request(&shared, request).await;
                drop(permit);
                shared.wake.notify_one();
            });
        }
        if needs_identity {
            refresh_identity(&shared).await;
            continue;
        }
        match next_wake {
            Some(at) => {
                tokio::select! {
                    () = shared.wake.notified() => {}
                    () = tokio::time::sleep_until(at) => {}
                }
            }
            None => shared.wake.notified().await,
        }
    }
}

/// Sends one produce request and settles each of its batches: acknowledged, failed, or put back
/// at the front of its partition's queue for a retry.
async fn send_request(shared: &Shared, batches: Vec<Outgoing>) {
    let config = &shared.config;
    let request_timeout = shared.client.config().request_timeout;
    let (batches, partitions) = encode_batches(shared, batches);
    if batches.is_empty() {
        return;
    }
    let request = Request::Produce(ProduceRequest {
        acks: config.acks.wire(),
        timeout_ms: u32::try_from(request_timeout.as_millis()).unwrap_or(u32::MAX),
        partitions,
    });
    let deadline = batches
        .iter()
        .map(|b| b.batch.deadline)
        .min()
        .unwrap_or_else(Instant::now);
    let outcome = async {
        let (api, body) = encode_request(&request)?;
        let conn = shared.slot.connection(deadline).await?;
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .min(request_timeout);
        let response = conn.request(api, body, wait).await?;
        crate::client::expect_response!(response, Produce)
    }
    .await;
    match outcome {
        Ok(response) => {
            for out in batches {
                let answer = response
                    .partitions
                    .iter()
                    .find(|p| *p.topic == *out.topic && p.partition == out.partition);
                let result = match answer {
                    None => Err(Error::violation(format!(
                        "produce response lacks {}/{}",
                        out.topic, out.partition
                    ))),
                    Some(p) if p.error_code == ErrorCode::None => Ok(p.base_offset),
                    Some(p) => {
                        let message = if p.error_message.is_empty() {
                            format!("produce to {}/{}", out.topic, out.partition)
                        } else {
                            p.error_message.clone()
                        };
                        Err(Error::broker(p.error_code, message))
                    }
                };
                settle(shared, out, result);
            }
        }
        Err(e) => {
            for out in batches {
                settle(shared, out, Err(e.clone()));
            }
        }
    }
}

/// Encodes (compresses) the batches of a request that are sent for the first time. A batch
/// that does not encode (compressed past the batch limit) fails here; the others and their
/// request entries are returned.
fn encode_batches(
    shared: &Shared,
    batches: Vec<Outgoing>,
) -> (Vec<Outgoing>, Vec<ProducePartition>) {
    let mut kept = Vec::with_capacity(batches.len());
    let mut partitions = Vec::with_capacity(batches.len());
    for mut out in batches {
        match out.batch.encode() {
            Ok(bytes) => {
                partitions.push(ProducePartition {
                    topic: out.topic.to_string(),
                    partition: out.partition,
                    batch: bytes,
                });
                kept.push(out);
            }
            Err(e) => settle(shared, out, Err(Error::rejected(&e))),
        }
    }
    (kept, partitions)
}

/// Completes a batch, or requeues it at the front of its partition for a retry.
fn settle(shared: &Shared, out: Outgoing, result: Result<u64>) {
    // A batch that failed to encode has no bytes to resend, whatever its error says.
    let retry = match &result {
        Err(e) => {
            e.is_retriable() && Instant::now() < out.batch.deadline && out.batch.sent_len() > 0
        }
        Ok(_) => false,
    };
    if let Err(Error::Broker {
        code: ErrorCode::TopicNotFound | ErrorCode::PartitionNotFound,
        ..
    }) = &result
    {
        shared.client.forget_topic(&out.topic);
    }
    let mut acc = shared.acc.lock();
    let Accumulator {
        topics, identity, ..
    } = &mut *acc;
    if !retry && result.is_err() {
        note_unsequenced(identity, out.batch.stamp);
    }
    let queue = topics
        .get_mut(&out.topic)
        .and_then(|t| t.partitions.get_mut(out.partition as usize));
    let Some(queue) = queue else {
        drop(acc);
        shared.release(out.batch.reserved_bytes);
        out.batch.state.complete(result);
        return;
    };
    queue.in_flight = None;
    if retry {
        if let Err(e) = &result {
            tracing::debug!(topic = %out.topic, partition = out.partition, attempts = out.batch.attempts + 1, error = %e, "retrying batch");
        }
        let mut batch = out.batch;
        batch.attempts += 1;
        queue.retry_at =
            Some(Instant::now() + Duration::from_millis(shared.config.retry_backoff_ms));
        queue.ready.push_front(batch);
        return;
    }
    drop(acc);
    if result.is_ok() {
        shared.stats.count(&out.batch);
    }
    shared.release(out.batch.reserved_bytes);
    out.batch.state.complete(result);
}

/// A stamped batch failed for good, so whether the broker holds its sequence is unknown (a
/// timeout) or the broker refused the producer's numbering (OutOfOrderSequenceNumber,
/// UnknownProducerId, InvalidProducerEpoch). Later batches must not continue that numbering:
/// ask for the next epoch, under which every partition starts again at sequence 0. A batch of
/// an older epoch changes nothing, so one failure does not bump twice.
fn note_unsequenced(identity: &mut Identity, stamp: Option<ProducerStamp>) {
    let Some(stamp) = stamp else { return };
    let current = identity.current.map(|c| (c.id, c.epoch));
    if current == Some((stamp.producer_id, stamp.producer_epoch)) {
        identity.bump = true;
    }
}

/// Gets a producer id from the broker (or the next epoch of the current one) for batches that
/// wait to be stamped. It runs on the sender task, so nothing is stamped meanwhile; the call
/// retries like any other request, until the earliest waiting batch's delivery deadline.
async fn refresh_identity(shared: &Shared) {
    let request = shared.acc.lock().identity.request();
    let bumping = request.producer_id != NEW_PRODUCER;
    let deadline = earliest_deadline(shared).unwrap_or_else(|| shared.client.deadline());
    match init_producer(shared, request, deadline).await {
        Ok(issued) => {
            tracing::debug!(
                producer_id = issued.id,
                epoch = issued.epoch,
                "producer id issued"
            );
            shared.acc.lock().identity = Identity {
                current: Some(issued),
                bump: false,
            };
        }
        // The broker no longer knows the id (it lost its producer state): start over with a
        // new one; sequences restart at 0 either way.
        Err(e) if bumping && !e.is_retriable() => {
            tracing::debug!(error = %e, "epoch bump refused; asking for a new producer id");
            shared.acc.lock().identity = Identity::default();
        }
        Err(e) => {
            fail_unstamped(shared, &e, !e.is_retriable());
            tokio::time::sleep(Duration::from_millis(shared.config.retry_backoff_ms)).await;
        }
    }
}

/// Sends one InitProducer and checks the answer.
async fn init_producer(
    shared: &Shared,
    request: InitProducerRequest,
    deadline: Instant,
) -> Result<ProducerId> {
    let response = shared
        .slot
        .call(&Request::InitProducer(request), deadline)
        .await
        .map_err(|e| match e {
            Error::Broker { code, message } => Error::Broker {
                code,
                message: format!(
                    "getting a producer id for idempotence (idempotence=false sends without \
                     one): {message}"
                ),
            },
            other => other,
        })?;
    let body = crate::client::expect_response!(response, InitProducer)?;
    if body.producer_id < 0 || body.producer_epoch < 0 {
        return Err(Error::violation(format!(
            "InitProducer issued producer id {} epoch {}",
            body.producer_id, body.producer_epoch
        )));
    }
    Ok(ProducerId {
        id: body.producer_id,
        epoch: body.producer_epoch,
    })
}

/// The earliest delivery deadline of a batch waiting to be sent.
fn earliest_deadline(shared: &Shared) -> Option<Instant> {
    let acc = shared.acc.lock();
    acc.topics
        .values()
        .flat_map(|t| &t.partitions)
        .flat_map(|q| q.ready.iter().map(|b| b.deadline))
        .min()
}

/// Fails batches that wait for a producer id: all of them (`all`, the broker refused for good)
/// or those past their delivery deadline.
fn fail_unstamped(shared: &Shared, error: &Error, all: bool) {
    let now = Instant::now();
    let mut failed = Vec::new();
    {
        let mut acc = shared.acc.lock();
        for queue in acc.topics.values_mut().flat_map(|t| &mut t.partitions) {
            let (fail, keep): (VecDeque<_>, VecDeque<_>) = queue
                .ready
                .drain(..)
                .partition(|b| b.stamp.is_none() && (all || b.deadline <= now));
            queue.ready = keep;
            failed.extend(fail);
        }
    }
    for batch in failed {
        shared.release(batch.reserved_bytes);
        batch.state.complete(Err(error.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hash_like_every_other_client_and_keyless_records_are_left_to_the_sticky_partition() {
        let keyed = Record::new("t").key("user-42").value("v");
        let p = pick_partition(&keyed, 12).unwrap();
        assert_eq!(p, Some(partition_for_key(b"user-42", 12)));
        assert_eq!(pick_partition(&keyed, 12).unwrap(), p, "stable");
        assert_eq!(
            pick_partition(&Record::new("t").value("v"), 3).unwrap(),
            None
        );
        let explicit = Record::new("t").key("k").partition(2);
        assert_eq!(pick_partition(&explicit, 3).unwrap(), Some(2));
    }

    #[test]
    fn the_sticky_partition_moves_on_after_a_batch_worth_of_bytes_and_wraps() {
        let start = AtomicU32::new(7);
        let mut sticky = Sticky::default();
        // 7 % 3 = 1 first; 100-byte records, a switch every 250 bytes: 3 records per partition.
        let seen: Vec<u32> = (0..9).map(|_| sticky.pick(3, 100, 250, &start)).collect();
        assert_eq!(seen, vec![1, 1, 1, 2, 2, 2, 0, 0, 0]);
        // The topic shrank under it (recreated): back in range at once.
        assert!(sticky.pick(1, 100, 250, &start) == 0);
        // A second topic of the same producer starts on the next partition.
        assert_eq!(Sticky::default().pick(3, 100, 250, &start), 2);
    }

    #[test]
    fn out_of_range_partitions_are_rejected_before_sending() {
        let err = pick_partition(&Record::new("t").partition(3), 3).unwrap_err();
        assert_eq!(err.kind(), ErrorCode::PartitionNotFound);
        assert!(err.to_string().contains("partition 3"));
    }

    #[test]
    fn oversized_records_are_rejected() {
        let too_big = vec![0u8; rustlog_protocol::limits::VALUE_BYTES_MAX as usize + 1];
        let err = check_record(&Record::new("t").value(too_big)).unwrap_err();
        assert_eq!(err.kind(), ErrorCode::RecordTooLarge);
        let at_limit = vec![0u8; rustlog_protocol::limits::VALUE_BYTES_MAX as usize];
        check_record(&Record::new("t").value(at_limit)).unwrap();
    }

    fn queue_with_open(records: usize, config: &ProducerConfig) -> PartitionQueue {
        let mut builder = RecordBatchBuilder::new();
        for i in 0..records {
            builder
                .push(1_000 + i as i64, None, Some(b"value"), &[])
                .unwrap();
        }
        PartitionQueue {
            open: Some(OpenBatch {
                builder,
                state: Arc::new(BatchState::new(Arc::from("t"), 0)),
                created: Instant::now(),
                reserved_bytes: records * 10,
            }),
            ..PartitionQueue::default()
        }
        .tap_seal(config)
    }

    trait TapSeal {
        fn tap_seal(self, config: &ProducerConfig) -> Self;
    }
    impl TapSeal for PartitionQueue {
        fn tap_seal(mut self, config: &ProducerConfig) -> Self {
            seal(&mut self, config);
            self
        }
    }

    #[test]
    fn sealing_produces_a_valid_batch_with_every_record() {
        let config = ProducerConfig::default();
        let mut queue = queue_with_open(5, &config);
        assert!(queue.open.is_none());
        let mut sealed = queue.ready.pop_front().unwrap();
        let bytes = sealed.encode().unwrap();
        let view = rustlog_protocol::RecordBatchView::parse(&bytes).unwrap();
        view.verify_crc().unwrap();
        assert_eq!(view.header().record_count, 5);
        assert_eq!(sealed.reserved_bytes, 50);
    }

    #[test]
    fn stamps_follow_the_partition_sequence_and_restart_under_a_new_epoch() {
        let config = ProducerConfig::default();
        let mut queue = PartitionQueue::default();
        let first = ProducerId { id: 7, epoch: 0 };
        let bumped = ProducerId { id: 7, epoch: 1 };
        let mut seen = Vec::new();
        for (owner, records) in [(first, 5), (first, 3), (bumped, 2), (bumped, 1)] {
            let mut sealed = queue_with_open(records, &config).ready.pop_front().unwrap();
            stamp(&mut queue, &mut sealed, owner);
            let bytes = sealed.encode().unwrap();
            let view = rustlog_protocol::RecordBatchView::parse(&bytes).unwrap();
            view.validate_for_append().unwrap();
            assert_eq!(Some(view.header().producer()), sealed.stamp);
            seen.push((view.header().producer_epoch, view.header().base_sequence));
        }
        assert_eq!(seen, vec![(0, 0), (0, 5), (1, 0), (1, 2)]);
    }

    #[tokio::test]
    async fn handles_resolve_to_base_offset_plus_index() {
        let state = Arc::new(BatchState::new(Arc::from("orders"), 3));
        let handles: Vec<DeliveryHandle> = (0..3)
            .map(|index| DeliveryHandle {
                batch: state.clone(),
                index,
                timestamp: 77,
            })
            .collect();
        assert!(handles[0].try_result().is_none());
        let waiter = tokio::spawn(handles[2].clone().into_future());
        state.complete(Ok(100));
        let meta = waiter.await.unwrap().unwrap();
        assert_eq!(
            meta,
            RecordMetadata {
                topic: "orders".into(),
                partition: 3,
                offset: 102,
                timestamp: 77
            }
        );
        assert_eq!(handles[0].try_result().unwrap().unwrap().offset, 100);
    }

    #[tokio::test]
    async fn a_failed_batch_fails_every_handle_with_the_same_error() {
        let state = Arc::new(BatchState::new(Arc::from("orders"), 0));
        let a = DeliveryHandle {
            batch: state.clone(),
            index: 0,
            timestamp: 0,
        };
        let b = DeliveryHandle {
            batch: state.clone(),
            index: 1,
            timestamp: 0,
        };
        state.complete(Err(Error::broker(ErrorCode::StorageError, "fsync failed")));
        assert_eq!(a.wait().await.unwrap_err().kind(), ErrorCode::StorageError);
        assert_eq!(b.wait().await.unwrap_err().kind(), ErrorCode::StorageError);
    }
}
