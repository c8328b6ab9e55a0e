//! The blocking facade: the async API for non-async programs and for the Python and Node
//! bindings. A [`Client`] owns a tokio runtime; every object made from it shares that runtime.
//! Every call is bounded (request timeout, or the `timeout` argument). All types are
//! `Send + Sync`, so bindings may share them between threads.
//!
//! Calling a blocking method from inside an async runtime would deadlock or panic; it fails with
//! `InvalidArgument` instead.

use crate::admin::{
    GroupDescription, GroupSummary, PartitionDescription, TopicCreated, TopicDescription,
    TopicSummary,
};
use crate::config::{ClientBuilder, ClientConfig, ConsumerConfig, ProducerConfig};
use crate::error::{Error, Result};
use crate::group_offsets::{
    CommittedOffset, OffsetChange, OffsetReset, PartitionOffset, TopicPartitionOffset,
};
use crate::partition_consumer::StartOffset;
use crate::rebalance::{HookKind, RebalanceHook};
use crate::record::{Message, Record, RecordMetadata};
use rustlog_protocol::messages::list_offsets::OffsetSpec;
use rustlog_protocol::TopicPartition;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Worker threads of the runtime a blocking client owns.
pub const RUNTIME_WORKER_THREADS: usize = 2;
/// How long dropping an unclosed producer or consumer may spend delivering or leaving.
pub const DROP_CLOSE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the message iterator's polls wait before polling again.
const ITER_POLL: Duration = Duration::from_millis(500);

/// Owns the runtime; shuts it down in the background on drop, so dropping is safe anywhere.
#[derive(Debug)]
struct Runtime {
    rt: Option<tokio::runtime::Runtime>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl Runtime {
    fn new() -> Result<Arc<Runtime>> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RUNTIME_WORKER_THREADS)
            .thread_name("rustlog-client")
            .enable_all()
            .build()
            .map_err(|e| Error::invalid(format!("cannot start the client runtime: {e}")))?;
        Ok(Arc::new(Runtime { rt: Some(rt) }))
    }

    fn handle(&self) -> Result<&tokio::runtime::Runtime> {
        self.rt.as_ref().ok_or(Error::Closed {
            what: "client runtime",
        })
    }

    /// Runs `future` to completion on the runtime from a non-async thread.
    fn block<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::invalid(
                "a rustlog::blocking method was called from inside an async runtime; use the async API there",
            ));
        }
        self.handle()?.block_on(future)
    }

    /// Runs a constructor that spawns tasks, inside the runtime's context.
    fn enter<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let _guard = self.handle()?.enter();
        f()
    }
}

/// A blocking client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    rt: Arc<Runtime>,
    inner: crate::Client,
}

impl Client {
    /// Connects to `addr` with default settings.
    pub fn connect(addr: impl Into<String>) -> Result<Client> {
        Client::connect_with(ClientBuilder::new(addr).config)
    }

    /// Connects with explicit settings.
    pub fn connect_with(config: ClientConfig) -> Result<Client> {
        let rt = Runtime::new()?;
        let inner = rt.block(crate::Client::connect_with(config))?;
        Ok(Client { rt, inner })
    }

    /// The async client underneath (for async twins in bindings; use it on [`Self::runtime`]).
    pub fn async_client(&self) -> &crate::Client {
        &self.inner
    }

    /// A handle to the runtime this client owns, to spawn async work on it.
    pub fn runtime(&self) -> Result<tokio::runtime::Handle> {
        Ok(self.rt.handle()?.handle().clone())
    }

    /// The client settings.
    pub fn config(&self) -> &ClientConfig {
        self.inner.config()
    }

    /// A new producer.
    pub fn producer(&self, config: ProducerConfig) -> Result<Producer> {
        let inner = self.rt.enter(|| self.inner.producer(config))?;
        Ok(Producer {
            rt: self.rt.clone(),
            inner,
        })
    }

    /// A new group consumer (joins on the first poll).
    pub fn consumer(&self, config: ConsumerConfig) -> Result<Consumer> {
        let inner = self.rt.enter(|| self.inner.consumer(config))?;
        Ok(Consumer {
            rt: self.rt.clone(),
            inner,
            close_on_drop: true,
        })
    }

    /// A group-less consumer of one partition.
    pub fn partition_consumer(
        &self,
        topic: impl Into<String>,
        partition: u32,
        start: StartOffset,
    ) -> Result<PartitionConsumer> {
        let inner = self
            .rt
            .enter(|| self.inner.partition_consumer(topic, partition, start))?;
        Ok(PartitionConsumer {
            rt: self.rt.clone(),
            inner,
        })
    }

    /// Topic and group administration.
    pub fn admin(&self) -> Admin {
        Admin {
            rt: self.rt.clone(),
            inner: self.inner.admin(),
        }
    }

    /// One round trip; returns its duration.
    pub fn ping(&self) -> Result<Duration> {
        self.rt.block(self.inner.ping())
    }

    /// The number of partitions of `topic`.
    pub fn partition_count(&self, topic: &str) -> Result<u32> {
        self.rt.block(self.inner.partition_count(topic))
    }

    /// Earliest, latest, or first-at-timestamp offset of a partition.
    pub fn list_offset(
        &self,
        topic: &str,
        partition: u32,
        spec: OffsetSpec,
    ) -> Result<Option<u64>> {
        self.rt
            .block(self.inner.list_offset(topic, partition, spec))
    }
}

/// A blocking producer. `send` queues and returns at once; the handle's `wait` blocks.
#[derive(Debug)]
pub struct Producer {
    rt: Arc<Runtime>,
    inner: crate::Producer,
}

impl Producer {
    /// Queues a record; returns a handle whose [`DeliveryHandle::wait`] gives its metadata.
    pub fn send(&self, record: Record) -> Result<DeliveryHandle> {
        let inner = self.rt.block(self.inner.send(record))?;
        Ok(DeliveryHandle {
            rt: self.rt.clone(),
            inner,
        })
    }

    /// Queues many records in one call (all or none: each is checked first).
    pub fn send_batch(&self, records: Vec<Record>) -> Result<Vec<DeliveryHandle>> {
        let handles = self.rt.block(self.inner.send_batch(records))?;
        Ok(handles
            .into_iter()
            .map(|inner| DeliveryHandle {
                rt: self.rt.clone(),
                inner,
            })
            .collect())
    }

    /// Sends a record and waits up to `timeout` for its acknowledgement.
    pub fn send_and_wait(&self, record: Record, timeout: Duration) -> Result<RecordMetadata> {
        self.send(record)?.wait(timeout)
    }

    /// Sends everything buffered and waits up to `timeout` (`None`: the delivery timeout) for
    /// the acknowledgements.
    pub fn flush(&self, timeout: impl Into<Option<Duration>>) -> Result<()> {
        self.rt.block(self.inner.flush(timeout))
    }

    /// Flushes (up to `timeout`, `None`: the delivery timeout) and stops; later sends fail
    /// with `Closed`.
    pub fn close(&self, timeout: impl Into<Option<Duration>>) -> Result<()> {
        self.rt.block(self.inner.close(timeout))
    }

    /// Batch, record and byte totals of what was acknowledged so far.
    pub fn stats(&self) -> crate::ProducerStats {
        self.inner.stats()
    }

    /// The async producer underneath.
    pub fn async_producer(&self) -> &crate::Producer {
        &self.inner
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        if !self.inner.is_closed() {
            let _ = self.close(DROP_CLOSE_TIMEOUT);
        }
    }
}

/// The outcome of one blocking send.
#[derive(Debug, Clone)]
pub struct DeliveryHandle {
    rt: Arc<Runtime>,
    inner: crate::DeliveryHandle,
}

impl DeliveryHandle {
    /// Waits up to `timeout` for the record's metadata.
    pub fn wait(&self, timeout: Duration) -> Result<RecordMetadata> {
        let inner = self.inner.clone();
        self.rt.block(async move {
            tokio::time::timeout(timeout, inner.wait())
                .await
                .map_err(|_| Error::timed_out("waiting for a delivery", timeout))?
        })
    }

    /// The outcome if known, without waiting.
    pub fn try_result(&self) -> Option<Result<RecordMetadata>> {
        self.inner.try_result()
    }

    /// True once the outcome is known.
    pub fn is_done(&self) -> bool {
        self.inner.is_done()
    }

    /// The partition the record went to.
    pub fn partition(&self) -> u32 {
        self.inner.partition()
    }

    /// The async handle underneath.
    pub fn async_handle(&self) -> &crate::DeliveryHandle {
        &self.inner
    }
}

/// A blocking group consumer.
#[derive(Debug)]
pub struct Consumer {
    rt: Arc<Runtime>,
    inner: crate::Consumer,
    /// False for the view a rebalance hook gets: dropping it must not close the consumer.
    close_on_drop: bool,
}

/// Rebalance hooks for blocking code ([`crate::RebalanceListener`] for async code). Each runs on
/// a thread of its own while the `poll` (or `close`) that triggered it waits, so it may call the
/// consumer's blocking `commit_*`, `seek`, `pause` and `position` (not `poll`).
pub trait BlockingRebalanceListener: Send + Sync + 'static {
    /// Before the member gives `partitions` up (a rebalance, or `close`): commit here.
    fn on_partitions_revoked(&self, consumer: &Consumer, partitions: &[TopicPartition]);
    /// After a join, with the new assignment and its start positions: seek here.
    fn on_partitions_assigned(&self, consumer: &Consumer, partitions: &[TopicPartition]);
    /// Taken away before they could be given up (eviction, expired session); by default the
    /// same as `on_partitions_revoked`.
    fn on_partitions_lost(&self, consumer: &Consumer, partitions: &[TopicPartition]) {
        self.on_partitions_revoked(consumer, partitions);
    }
}

/// Runs a [`BlockingRebalanceListener`] as the async client's listener.
struct OnThread<L> {
    listener: Arc<L>,
    /// Weak: the consumer's state holds this adapter, and the runtime must not outlive its
    /// owners because of it.
    rt: std::sync::Weak<Runtime>,
}

impl<L: BlockingRebalanceListener> RebalanceHook for OnThread<L> {
    /// Runs the hook on a thread without a runtime context (so its blocking calls work) and
    /// waits for it; a hook that panics is logged, not propagated.
    fn run<'a>(
        &'a self,
        hook: HookKind,
        consumer: &'a crate::Consumer,
        partitions: &'a [TopicPartition],
    ) -> futures::future::BoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(rt) = self.rt.upgrade() else { return };
            let consumer = Consumer {
                rt,
                inner: consumer.clone(),
                close_on_drop: false,
            };
            let listener = self.listener.clone();
            let partitions = partitions.to_vec();
            let (done, finished) = tokio::sync::oneshot::channel();
            let spawned = std::thread::Builder::new()
                .name("rustlog-rebalance".into())
                .spawn(move || {
                    match hook {
                        HookKind::Revoked => listener.on_partitions_revoked(&consumer, &partitions),
                        HookKind::Assigned => {
                            listener.on_partitions_assigned(&consumer, &partitions)
                        }
                        HookKind::Lost => listener.on_partitions_lost(&consumer, &partitions),
                    }
                    let _ = done.send(());
                });
            match spawned {
                Ok(_) => {
                    if finished.await.is_err() {
                        tracing::error!("a rebalance hook panicked");
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot start a thread for a rebalance hook"),
            }
        })
    }
}

impl Consumer {
    /// Runs `listener` around every rebalance from now on (replacing any other).
    pub fn set_rebalance_listener(&self, listener: impl BlockingRebalanceListener) {
        self.inner.set_rebalance_listener(OnThread {
            listener: Arc::new(listener),
            rt: Arc::downgrade(&self.rt),
        });
    }

    /// The next message, waiting up to `timeout`.
    pub fn poll(&self, timeout: Duration) -> Result<Option<Message>> {
        self.rt.block(self.inner.poll(timeout))
    }

    /// Up to `max_messages` messages, waiting up to `timeout` for the first.
    pub fn poll_batch(&self, max_messages: usize, timeout: Duration) -> Result<Vec<Message>> {
        self.rt.block(self.inner.poll_batch(max_messages, timeout))
    }

    /// Commits `message.offset + 1`.
    pub fn commit(&self, message: &Message) -> Result<()> {
        self.rt.block(self.inner.commit(message))
    }

    /// Commits explicit next-offsets.
    pub fn commit_offsets(&self, offsets: &[(TopicPartition, u64)]) -> Result<()> {
        self.rt.block(self.inner.commit_offsets(offsets))
    }

    /// Commits the position after every message already returned.
    pub fn commit_consumed(&self) -> Result<()> {
        self.rt.block(self.inner.commit_consumed())
    }

    /// The group's committed offsets for `partitions`.
    pub fn committed(&self, partitions: &[TopicPartition]) -> Result<Vec<Option<u64>>> {
        self.rt.block(self.inner.committed(partitions))
    }

    /// Moves an assigned partition to `offset`.
    pub fn seek(&self, topic: &str, partition: u32, offset: u64) -> Result<()> {
        self.inner.seek(topic, partition, offset)
    }

    /// Stops fetching assigned partitions until `resume`.
    pub fn pause(&self, partitions: &[TopicPartition]) -> Result<()> {
        self.inner.pause(partitions)
    }

    /// Fetches paused partitions again.
    pub fn resume(&self, partitions: &[TopicPartition]) -> Result<()> {
        self.inner.resume(partitions)
    }

    /// The paused partitions.
    pub fn paused(&self) -> Vec<TopicPartition> {
        self.inner.paused()
    }

    /// The next offset `poll` returns for a partition.
    pub fn position(&self, topic: &str, partition: u32) -> Option<u64> {
        self.inner.position(topic, partition)
    }

    /// The high watermark the latest fetch of a partition reported (no request).
    pub fn high_watermark(&self, topic: &str, partition: u32) -> Option<u64> {
        self.inner.high_watermark(topic, partition)
    }

    /// The current assignment.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.inner.assignment()
    }

    /// Replaces the subscription (rejoins on the next poll).
    pub fn subscribe(&self, topics: &[&str]) -> Result<()> {
        self.inner.subscribe(topics)
    }

    /// Reads exactly `partitions`, without a group (see [`crate::Consumer::assign`]).
    pub fn assign(&self, partitions: &[(TopicPartition, Option<u64>)]) -> Result<()> {
        self.rt.block(self.inner.assign(partitions))
    }

    /// Gives up the partitions of `assign`.
    pub fn unassign(&self) {
        self.inner.unassign();
    }

    /// The member id, once joined.
    pub fn member_id(&self) -> Option<String> {
        self.inner.member_id()
    }

    /// Leaves the group (committing consumed offsets first when auto-commit is on).
    pub fn close(&self) -> Result<()> {
        self.rt.block(self.inner.close())
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Messages one by one; polls until the consumer is closed. Errors are yielded, not fatal.
    pub fn iter(&self) -> impl Iterator<Item = Result<Message>> + '_ {
        std::iter::from_fn(move || loop {
            match self.poll(ITER_POLL) {
                Ok(Some(message)) => return Some(Ok(message)),
                Ok(None) => continue,
                Err(Error::Closed { .. }) => return None,
                Err(e) => return Some(Err(e)),
            }
        })
    }

    /// The async consumer underneath.
    pub fn async_consumer(&self) -> &crate::Consumer {
        &self.inner
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        if self.close_on_drop && !self.inner.is_closed() {
            let _ = self.close();
        }
    }
}

/// A blocking single-partition consumer.
#[derive(Debug)]
pub struct PartitionConsumer {
    rt: Arc<Runtime>,
    inner: crate::PartitionConsumer,
}

impl PartitionConsumer {
    /// The next message, waiting up to `timeout`.
    pub fn poll(&self, timeout: Duration) -> Result<Option<Message>> {
        self.rt.block(self.inner.poll(timeout))
    }

    /// Up to `max_messages` messages, waiting up to `timeout` for the first.
    pub fn poll_batch(&self, max_messages: usize, timeout: Duration) -> Result<Vec<Message>> {
        self.rt.block(self.inner.poll_batch(max_messages, timeout))
    }

    /// Moves to `offset`.
    pub fn seek(&self, offset: u64) -> Result<()> {
        self.rt.block(async {
            self.inner.seek(offset).await;
            Ok(())
        })
    }

    /// The next offset `poll` returns.
    pub fn position(&self) -> Result<Option<u64>> {
        self.rt.block(async { Ok(self.inner.position().await) })
    }

    /// Stops the consumer.
    pub fn close(&self) {
        self.inner.close();
    }
}

/// Blocking administration.
#[derive(Debug, Clone)]
pub struct Admin {
    rt: Arc<Runtime>,
    inner: crate::Admin,
}

impl Admin {
    /// Creates a topic.
    pub fn create_topic(
        &self,
        name: &str,
        partitions: u32,
        config: BTreeMap<String, String>,
    ) -> Result<TopicCreated> {
        self.rt
            .block(self.inner.create_topic(name, partitions, config))
    }

    /// Deletes a topic.
    pub fn delete_topic(&self, name: &str) -> Result<()> {
        self.rt.block(self.inner.delete_topic(name))
    }

    /// Every topic.
    pub fn list_topics(&self) -> Result<Vec<TopicSummary>> {
        self.rt.block(self.inner.list_topics())
    }

    /// A topic's config and partitions.
    pub fn describe_topic(&self, name: &str) -> Result<TopicDescription> {
        self.rt.block(self.inner.describe_topic(name))
    }

    /// One partition's offsets and segments.
    pub fn describe_partition(&self, topic: &str, partition: u32) -> Result<PartitionDescription> {
        self.rt
            .block(self.inner.describe_partition(topic, partition))
    }

    /// Every group.
    pub fn list_groups(&self) -> Result<Vec<GroupSummary>> {
        self.rt.block(self.inner.list_groups())
    }

    /// A group's members, offsets and lags.
    pub fn describe_group(&self, group_id: &str) -> Result<GroupDescription> {
        self.rt.block(self.inner.describe_group(group_id))
    }

    /// The broker's metrics text.
    pub fn metrics(&self) -> Result<String> {
        self.rt.block(self.inner.metrics())
    }

    /// Grows a topic; returns its new partition count.
    pub fn create_partitions(&self, topic: &str, partitions: u32) -> Result<u32> {
        self.rt
            .block(self.inner.create_partitions(topic, partitions))
    }

    /// Deletes a group without members.
    pub fn delete_group(&self, group_id: &str) -> Result<()> {
        self.rt.block(self.inner.delete_group(group_id))
    }

    /// The offset `spec` names in every partition of a topic.
    pub fn topic_offsets(&self, topic: &str, spec: OffsetSpec) -> Result<Vec<PartitionOffset>> {
        self.rt.block(self.inner.topic_offsets(topic, spec))
    }

    /// A group's committed offsets.
    pub fn group_offsets(&self, group_id: &str) -> Result<Vec<CommittedOffset>> {
        self.rt.block(self.inner.group_offsets(group_id))
    }

    /// Commits offsets for a group without members.
    pub fn set_group_offsets(
        &self,
        group_id: &str,
        offsets: &[TopicPartitionOffset],
    ) -> Result<()> {
        self.rt
            .block(self.inner.set_group_offsets(group_id, offsets))
    }

    /// Plans (and with `execute` commits) a reset of a group's offsets on a topic.
    pub fn reset_group_offsets(
        &self,
        group_id: &str,
        topic: &str,
        partitions: Option<&[u32]>,
        to: OffsetReset,
        execute: bool,
    ) -> Result<Vec<OffsetChange>> {
        self.rt.block(
            self.inner
                .reset_group_offsets(group_id, topic, partitions, to, execute),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn every_blocking_type_is_send_and_sync() {
        assert_send_sync::<Client>();
        assert_send_sync::<Producer>();
        assert_send_sync::<DeliveryHandle>();
        assert_send_sync::<Consumer>();
        assert_send_sync::<PartitionConsumer>();
        assert_send_sync::<Admin>();
        assert_send_sync::<crate::Client>();
        assert_send_sync::<crate::Producer>();
        assert_send_sync::<crate::Consumer>();
        assert_send_sync::<crate::Error>();
    }

    #[test]
    fn connecting_to_a_closed_port_fails_with_disconnected() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        drop(listener);
        let err = Client::connect_with(
            ClientBuilder::new(addr)
                .connect_timeout(Duration::from_millis(200))
                .config,
        )
        .unwrap_err();
        assert_eq!(err.kind(), rustlog_protocol::ErrorCode::Disconnected);
    }

    #[test]
    fn a_malformed_address_is_an_argument_error() {
        let err = Client::connect("not an address").unwrap_err();
        assert_eq!(err.kind(), rustlog_protocol::ErrorCode::InvalidArgument);
    }

    #[tokio::test]
    async fn blocking_calls_inside_a_runtime_fail_instead_of_panicking() {
        let rt = Runtime::new().unwrap();
        let err = rt.block(async { Ok(()) }).unwrap_err();
        assert_eq!(err.kind(), rustlog_protocol::ErrorCode::InvalidArgument);
        drop(rt);
    }
}
