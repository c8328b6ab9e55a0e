//! `rustlog`: the Rust client of RustLog, and the core the Python and Node bindings wrap.
//!
//! Module map:
//! - [`client`]: [`Client`], the entry point (connect, create producers/consumers/admins,
//!   partition counts, offset lookups).
//! - [`config`]: [`ClientConfig`] / [`ClientBuilder`], [`ProducerConfig`], [`ConsumerConfig`],
//!   [`Acks`], [`AutoOffsetReset`], and every default by name.
//! - [`options`]: the one table of options (names per language, kinds, docs) and
//!   [`Settings`], which the bindings fill by name; defaults come from the config types.
//! - `connection` (private): one pipelined TCP connection (responses matched by correlation
//!   id) and the reconnecting slot with backoff and retries.
//! - [`producer`]: [`Producer`], per-partition batching, compression, idempotent sequences,
//!   [`DeliveryHandle`], [`ProducerStats`].
//! - [`consumer`]: [`Consumer`], group membership, heartbeats, commits.
//! - [`rebalance`]: [`RebalanceListener`] hooks around a rebalance (or one [`RebalanceHook`]
//!   function of the [`HookKind`]) and [`ConsumerEvent`]s.
//! - [`partition_consumer`]: [`PartitionConsumer`], one partition without a group.
//! - `fetcher` (private): fetch requests and batch decoding shared by both consumers.
//! - [`admin`]: [`Admin`], topics, groups and their offsets.
//! - [`group_offsets`]: the offset types of the admin and the arithmetic of a reset
//!   ([`OffsetReset`]), shared by the CLI and both bindings.
//! - [`record`]: [`Record`], [`RecordMetadata`], [`Message`] (header values are nullable and
//!   keys may repeat).
//! - [`error`]: [`Error`], one type for every failure, with `kind()` in the shared code table.
//! - `log_bridge` (feature `log-bridge`): tracing events forwarded to a host language's logger.
//! - [`blocking`]: the same API for non-async callers, owning its tokio runtime.
//!
//! Compression and idempotence: a producer compresses each batch with
//! `ProducerConfig::compression` (gzip, snappy, lz4 or zstd, level in
//! `ProducerConfig::compression_level`, checked when the producer is created); the broker
//! stores the batch as sent and consumers decompress it. Producers are idempotent by default
//! (`ProducerConfig::idempotence`, as in Kafka 3, off with [`Acks::None`]): a batch retried
//! after a lost response is stored once, at the offsets first acknowledged.
//!
//! ```no_run
//! # async fn demo() -> rustlog::Result<()> {
//! use rustlog::{AutoOffsetReset, Client, Compression, ConsumerConfig, ProducerConfig, Record};
//! let client = Client::connect("127.0.0.1:7400").await?;
//! let producer = client.producer(ProducerConfig::default().compression(Compression::Zstd))?;
//! let meta = producer.send(Record::new("orders").key("u1").value("hello")).await?.await?;
//! println!("stored at {}/{}", meta.partition, meta.offset);
//! let consumer = client.consumer(
//!     ConsumerConfig::new("billing").topic("orders").auto_offset_reset(AutoOffsetReset::Earliest),
//! )?;
//! if let Some(msg) = consumer.poll(std::time::Duration::from_secs(1)).await? {
//!     consumer.commit(&msg).await?;
//! }
//! consumer.close().await?;
//! # Ok(()) }
//! ```

pub mod admin;
pub mod blocking;
pub mod client;
pub mod config;
mod connection;
pub mod consumer;
pub mod error;
mod fetcher;
pub mod group_offsets;
#[cfg(feature = "log-bridge")]
pub mod log_bridge;
pub mod options;
pub mod partition_consumer;
pub mod producer;
pub mod rebalance;
pub mod record;

pub use admin::Admin;
pub use client::Client;
pub use config::{
    Acks, Assignor, AutoOffsetReset, ClientBuilder, ClientConfig, ConsumerConfig, ProducerConfig,
};
pub use consumer::Consumer;
pub use error::{Error, Result};
pub use group_offsets::{
    CommittedOffset, OffsetChange, OffsetReset, PartitionOffset, TopicPartitionOffset,
};
pub use options::{OptionValue, Scope, Settings};
pub use partition_consumer::{PartitionConsumer, StartOffset};
pub use producer::{DeliveryHandle, Producer, ProducerStats, SendOverrides};
pub use rebalance::{ConsumerEvent, HookKind, RebalanceHook, RebalanceListener};
pub use record::{Message, Record, RecordMetadata};
pub use rustlog_protocol::messages::list_offsets::OffsetSpec;
pub use rustlog_protocol::{Compression, ErrorCode, TopicPartition};

#[cfg(test)]
mod mock_broker;
#[cfg(test)]
mod tests;
