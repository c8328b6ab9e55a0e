//! [`Client`]: the entry point. Holds the configuration, a connection for admin and metadata
//! requests, and a cache of partition counts; creates producers, consumers and admins, each
//! with its own connection.

use crate::admin::Admin;
use crate::config::{ClientBuilder, ClientConfig, ConsumerConfig, ProducerConfig};
use crate::connection::ConnSlot;
use crate::consumer::Consumer;
use crate::error::{Error, Result};
use crate::partition_consumer::{PartitionConsumer, StartOffset};
use crate::producer::Producer;
use parking_lot::Mutex;
use rustlog_protocol::messages::api_versions::{ApiVersionsRequest, ApiVersionsResponse};
use rustlog_protocol::messages::describe_topic::DescribeTopicRequest;
use rustlog_protocol::messages::list_offsets::{
    ListOffsetsPartition, ListOffsetsRequest, OffsetSpec,
};
use rustlog_protocol::messages::ping::PingRequest;
use rustlog_protocol::{ErrorCode, Request, Response};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Takes the expected variant out of a [`Response`], or reports a protocol violation.
macro_rules! expect_response {
    ($response:expr, $variant:ident) => {
        match $response {
            rustlog_protocol::Response::$variant(body) => Ok(body),
            other => Err($crate::error::Error::violation(format!(
                "expected a {} response, got {}",
                stringify!($variant),
                other.api_key()
            ))),
        }
    };
}
pub(crate) use expect_response;

/// A handle to one broker. Cheap to clone; clones share connections and caches.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

#[derive(Debug)]
struct ClientInner {
    config: Arc<ClientConfig>,
    /// Admin, metadata and offset lookups.
    slot: ConnSlot,
    /// Partition count by topic, filled on first use.
    partitions: Mutex<HashMap<String, u32>>,
    /// Bumped whenever `partitions` changes, so a producer may keep a count it read without
    /// taking the lock and hashing the topic on every send.
    partitions_generation: AtomicU64,
    /// Set once the partition-count refresh task runs.
    refreshing: std::sync::Once,
    /// A RustLog broker answered `ApiVersions` once (see `ensure_connected`).
    verified: AtomicBool,
}

impl Client {
    /// Connects to the broker at `addr` (`host:port`) with default settings.
    pub async fn connect(addr: impl Into<String>) -> Result<Client> {
        ClientBuilder::new(addr).connect().await
    }

    /// A builder for non-default settings.
    pub fn builder(addr: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(addr)
    }

    /// Validates `config`, opens the first connection (retrying until `connect_timeout`) and
    /// checks with `ApiVersions` that a RustLog broker answers there.
    pub async fn connect_with(config: ClientConfig) -> Result<Client> {
        let client = Client::lazy(config)?;
        client.ensure_connected().await?;
        Ok(client)
    }

    /// A client that connects on its first request: validates `config` and touches no socket,
    /// so a binding can make one (from a synchronous constructor, without a runtime) and share
    /// it among the producers, consumers and admins it creates later.
    pub fn lazy(config: ClientConfig) -> Result<Client> {
        config.validate()?;
        let config = Arc::new(config);
        Ok(Client {
            inner: Arc::new(ClientInner {
                slot: ConnSlot::new(config.clone()),
                config,
                partitions: Mutex::new(HashMap::new()),
                partitions_generation: AtomicU64::new(0),
                refreshing: std::sync::Once::new(),
                verified: AtomicBool::new(false),
            }),
        })
    }

    /// Opens the client's connection now (retrying until `connect_timeout`) and checks with
    /// `ApiVersions` that a RustLog broker answers. Once that succeeded it returns at once:
    /// later requests reconnect by themselves.
    pub async fn ensure_connected(&self) -> Result<()> {
        if self.inner.verified.load(Ordering::Acquire) {
            return Ok(());
        }
        let deadline = Instant::now() + self.inner.config.connect_timeout;
        self.inner.slot.connection(deadline).await?;
        self.api_versions().await?;
        self.inner.verified.store(true, Ordering::Release);
        Ok(())
    }

    /// Starts the partition-count refresh once, from the first async use of the client (a lazy
    /// client may be made outside any runtime).
    fn start_refreshing(&self) {
        self.inner.refreshing.call_once(|| {
            tokio::spawn(refresh_partition_counts(
                Arc::downgrade(&self.inner),
                self.inner.config.metadata_max_age,
            ));
        });
    }

    /// The settings this client uses.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// A new producer with its own connection.
    pub fn producer(&self, config: ProducerConfig) -> Result<Producer> {
        Producer::new(self.clone(), config)
    }

    /// A new group consumer. It joins the group on the first `poll`.
    pub fn consumer(&self, config: ConsumerConfig) -> Result<Consumer> {
        Consumer::new(self.clone(), config)
    }

    /// A group-less consumer of one partition.
    pub fn partition_consumer(
        &self,
        topic: impl Into<String>,
        partition: u32,
        start: StartOffset,
    ) -> Result<PartitionConsumer> {
        PartitionConsumer::new(self.clone(), topic.into(), partition, start)
    }

    /// Topic and group administration over this client's connection.
    pub fn admin(&self) -> Admin {
        Admin::new(self.clone())
    }

    /// One round trip; returns its duration.
    pub async fn ping(&self) -> Result<Duration> {
        let started = std::time::Instant::now();
        let response = self.call(&Request::Ping(PingRequest {})).await?;
        expect_response!(response, Ping)?;
        Ok(started.elapsed())
    }

    /// The apis and versions the broker speaks.
    pub async fn api_versions(&self) -> Result<ApiVersionsResponse> {
        let request = Request::ApiVersions(ApiVersionsRequest {
            client_software: Some(format!(
                "{} rustlog-rs/{}",
                self.inner.config.client_id,
                env!("CARGO_PKG_VERSION")
            )),
        });
        expect_response!(self.call(&request).await?, ApiVersions)
    }

    /// The number of partitions of `topic` (cached after the first lookup).
    pub async fn partition_count(&self, topic: &str) -> Result<u32> {
        if let Some(count) = self.cached_partitions(topic) {
            return Ok(count);
        }
        self.refresh_partition_count(topic).await
    }

    pub(crate) fn cached_partitions(&self, topic: &str) -> Option<u32> {
        let cache = self.inner.partitions.lock();
        cache.get(topic).copied()
    }

    /// Changes whenever a cached partition count is added, changed or forgotten.
    pub(crate) fn partitions_generation(&self) -> u64 {
        self.inner.partitions_generation.load(Ordering::Acquire)
    }

    /// Looks the partition count up again (after a topic was recreated or not found).
    pub(crate) async fn refresh_partition_count(&self, topic: &str) -> Result<u32> {
        rustlog_protocol::names::validate_topic_name(topic).map_err(|e| Error::rejected(&e))?;
        let request = Request::DescribeTopic(DescribeTopicRequest {
            name: topic.to_string(),
        });
        let described = expect_response!(self.call(&request).await?, DescribeTopic)?;
        let count = u32::try_from(described.partitions.len()).unwrap_or(u32::MAX);
        let previous = self
            .inner
            .partitions
            .lock()
            .insert(topic.to_string(), count);
        if previous != Some(count) {
            self.inner
                .partitions_generation
                .fetch_add(1, Ordering::AcqRel);
        }
        Ok(count)
    }

    pub(crate) fn forget_topic(&self, topic: &str) {
        if self.inner.partitions.lock().remove(topic).is_some() {
            self.inner
                .partitions_generation
                .fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Looks up an offset of one partition: earliest, latest, or first at/after a timestamp.
    /// `None` when a timestamp lookup finds no record at or after it.
    pub async fn list_offset(
        &self,
        topic: &str,
        partition: u32,
        spec: OffsetSpec,
    ) -> Result<Option<u64>> {
        let found = self
            .list_offsets(vec![ListOffsetsPartition {
                topic: topic.to_string(),
                partition,
                spec,
            }])
            .await?;
        found
            .into_iter()
            .next()
            .ok_or_else(|| Error::violation("ListOffsets answered without the partition"))?
    }

    /// Looks up offsets of many partitions in one request; one result per entry, in order (the
    /// broker answers entry by entry, so one partition may be asked with several specs).
    pub async fn list_offsets(
        &self,
        partitions: Vec<ListOffsetsPartition>,
    ) -> Result<Vec<Result<Option<u64>>>> {
        let asked: Vec<(String, u32)> = partitions
            .iter()
            .map(|p| (p.topic.clone(), p.partition))
            .collect();
        let request = Request::ListOffsets(ListOffsetsRequest { partitions });
        let response = expect_response!(self.call(&request).await?, ListOffsets)?;
        if response.partitions.len() != asked.len() {
            return Err(Error::violation(format!(
                "ListOffsets answered {} entries to {}",
                response.partitions.len(),
                asked.len()
            )));
        }
        let mut out = Vec::with_capacity(asked.len());
        for ((topic, partition), entry) in asked.into_iter().zip(response.partitions) {
            if entry.topic != topic || entry.partition != partition {
                return Err(Error::violation(format!(
                    "ListOffsets answered {}/{} where {topic}/{partition} was asked",
                    entry.topic, entry.partition
                )));
            }
            out.push(if entry.error_code == ErrorCode::None {
                Ok(entry.offset)
            } else {
                Err(Error::broker(
                    entry.error_code,
                    format!("list offsets of {topic}/{partition}"),
                ))
            });
        }
        Ok(out)
    }

    /// Sends a request on the client's own connection with retries until the request timeout.
    pub(crate) async fn call(&self, request: &Request) -> Result<Response> {
        self.start_refreshing();
        self.inner.slot.call(request, self.deadline()).await
    }

    /// A fresh reconnecting connection for a producer or consumer.
    pub(crate) fn new_slot(&self) -> ConnSlot {
        ConnSlot::new(self.inner.config.clone())
    }

    /// Now plus the request timeout.
    pub(crate) fn deadline(&self) -> Instant {
        Instant::now() + self.inner.config.request_timeout
    }
}

/// Every `every`, looks each cached partition count up again (a changed one bumps the
/// generation, so producers pick it up at their next send); ends with the client.
async fn refresh_partition_counts(weak: std::sync::Weak<ClientInner>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = weak.upgrade() else { return };
        let client = Client { inner };
        let topics: Vec<String> = client.inner.partitions.lock().keys().cloned().collect();
        for topic in topics {
            match client.refresh_partition_count(&topic).await {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorCode::TopicNotFound => client.forget_topic(&topic),
                Err(e) => tracing::debug!(topic, error = %e, "partition count refresh failed"),
            }
        }
    }
}
