//! `rustlog-broker`: the RustLog broker.
//!
//! Module map:
//! - [`storage`]: the storage engine — segmented, checksummed, crash-safe partition logs of
//!   Kafka RecordBatch v2 with retention, key compaction and idempotent-producer deduplication
//!   (`storage::producers`), the broker-wide producer id allocator (`storage::producer_ids`), and
//!   the [`storage::LogManager`] that owns every topic's logs under one data directory.
//!   Synchronous (std threads), no networking.
//! - [`cli`]: the `rustlog-broker` flags and subcommands, and how they override the file.
//! - [`config`]: [`BrokerConfig`], the TOML file format and every server limit by name.
//! - [`error`]: [`BrokerError`] (start-up, config) and [`HandlerError`] (one request's wire error).
//! - [`server`]: [`Broker::start`] and [`BrokerHandle`] — listeners, accept loop with the
//!   connection cap, maintenance task, graceful shutdown.
//! - [`connection`]: one client connection — frame check before allocation, pipelined requests
//!   answered in order, per-connection in-flight and byte bounds, idle and stalled-frame timeouts.
//! - [`core`]: what both listeners call (append and durable wait, the fetch long poll, offset
//!   lookup, topic create/delete, producer ids) with plain arguments, so no logic is written twice.
//! - [`handlers`]: native dispatch, and one file per request kind.
//! - [`kafka`]: the Kafka-protocol listener (`--kafka-listen`): codec by the `kafka-protocol`
//!   crate, one file per Kafka API, the same connection loop and limits as the native listener.
//! - [`groups`]: consumer groups — coordinator (generations, rebalances, session timeouts) for
//!   native (broker-assigned) and Kafka classic (leader-assigned) groups, range / round-robin
//!   assignors, crash-safe committed offsets under `<data_dir>/groups/`.
//! - [`notify`]: per-partition append notifications that wake long-polling fetches.
//! - [`metrics`] and [`metrics_http`]: the metrics registry (OpenMetrics) and the `/metrics`,
//!   `/healthz`, `/readyz` endpoint.
//! - [`settings`]: every broker setting (TOML key, flag, env, default, range) in one registry,
//!   rendered into docs/OPERATIONS.md.
//! - [`state`]: what connections and handlers share.
//! - [`embedded`]: [`EmbeddedBroker`], a broker on its own runtime thread for blocking callers.
//!
//! The binary (`src/main.rs`) parses flags and the config file and runs until SIGTERM / Ctrl-C.

pub mod cli;
pub mod config;
pub mod connection;
pub mod core;
pub mod embedded;
pub mod error;
pub mod groups;
pub mod handlers;
pub mod kafka;
pub mod metrics;
pub mod metrics_http;
pub mod notify;
pub mod server;
pub mod settings;
pub mod state;
pub mod storage;

pub use config::BrokerConfig;
pub use embedded::EmbeddedBroker;
pub use error::{BrokerError, HandlerError};
pub use server::{Broker, BrokerHandle};
