//! Configuration and builders: [`ClientConfig`] (via [`ClientBuilder`]), [`ProducerConfig`],
//! [`ConsumerConfig`]. Fields are public and every field also has a chained setter of the same
//! name, so `ProducerConfig::default().linger_ms(5).acks(Acks::Durable)` reads like a builder.

use crate::error::{Error, Result};
use rustlog_protocol::Compression;
use std::str::FromStr;
use std::time::Duration;

/// Default broker address.
pub const DEFAULT_BROKER_ADDR: &str = "127.0.0.1:7400";
/// Default per-request timeout.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Default time to open a connection (all reconnect attempts of one call together).
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 10_000;
/// First reconnect delay; doubles per failed attempt up to the max, with jitter.
pub const DEFAULT_RECONNECT_BACKOFF_MS: u64 = 50;
/// Largest reconnect delay.
pub const DEFAULT_RECONNECT_BACKOFF_MAX_MS: u64 = 2_000;
/// How often cached partition counts are looked up again: Kafka's `metadata.max.age.ms`.
pub const DEFAULT_METADATA_MAX_AGE_MS: u64 = 300_000;
/// Default bound on requests awaiting a response on one connection.
pub const DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION: usize = 64;
/// Upper bound accepted for `max_in_flight_per_connection`.
pub const MAX_IN_FLIGHT_PER_CONNECTION_MAX: usize = 4096;

macro_rules! setters {
    ($ty:ty { $( $(#[$doc:meta])* $field:ident : $fty:ty ),* $(,)? }) => {
        impl $ty {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $field(mut self, value: $fty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

/// How the client talks to the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `host:port` of the broker, or several separated by commas (Kafka's `bootstrap.servers`):
    /// each connection attempt takes the next one, so a client reaches whichever answers.
    pub broker_addr: String,
    /// Sent in `ApiVersions` and `JoinGroup`, for the broker's logs and group descriptions.
    pub client_id: String,
    /// How long one request may wait for its response.
    pub request_timeout: Duration,
    /// How long opening a connection may take, reconnect attempts included.
    pub connect_timeout: Duration,
    /// First reconnect delay (doubles per failed attempt, with ±50% jitter).
    pub reconnect_backoff: Duration,
    /// Largest reconnect delay.
    pub reconnect_backoff_max: Duration,
    /// Most requests awaiting a response on one connection; more callers wait for a slot.
    pub max_in_flight_per_connection: usize,
    /// How often the partition counts the client cached are looked up again, so producers see
    /// partitions another client added (Kafka's `metadata.max.age.ms`).
    pub metadata_max_age: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            broker_addr: DEFAULT_BROKER_ADDR.to_string(),
            client_id: "rustlog-rs".to_string(),
            request_timeout: Duration::from_millis(DEFAULT_REQUEST_TIMEOUT_MS),
            connect_timeout: Duration::from_millis(DEFAULT_CONNECT_TIMEOUT_MS),
            reconnect_backoff: Duration::from_millis(DEFAULT_RECONNECT_BACKOFF_MS),
            reconnect_backoff_max: Duration::from_millis(DEFAULT_RECONNECT_BACKOFF_MAX_MS),
            max_in_flight_per_connection: DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION,
            metadata_max_age: Duration::from_millis(DEFAULT_METADATA_MAX_AGE_MS),
        }
    }
}

impl ClientConfig {
    /// Checks every value; called by `connect`.
    pub fn validate(&self) -> Result<()> {
        self.broker_addrs()?;
        if self.client_id.len() > rustlog_protocol::limits::CLIENT_ID_BYTES_MAX {
            return Err(Error::invalid(format!(
                "client id is {} bytes, the limit is {}",
                self.client_id.len(),
                rustlog_protocol::limits::CLIENT_ID_BYTES_MAX
            )));
        }
        positive("request_timeout", self.request_timeout)?;
        positive("connect_timeout", self.connect_timeout)?;
        positive("metadata_max_age", self.metadata_max_age)?;
        if self.reconnect_backoff > self.reconnect_backoff_max {
            return Err(Error::invalid(format!(
                "reconnect_backoff {:?} is above reconnect_backoff_max {:?}",
                self.reconnect_backoff, self.reconnect_backoff_max
            )));
        }
        if self.max_in_flight_per_connection == 0
            || self.max_in_flight_per_connection > MAX_IN_FLIGHT_PER_CONNECTION_MAX
        {
            return Err(Error::invalid(format!(
                "max_in_flight_per_connection {} is outside 1..={MAX_IN_FLIGHT_PER_CONNECTION_MAX}",
                self.max_in_flight_per_connection
            )));
        }
        Ok(())
    }
}

impl ClientConfig {
    /// The addresses of `broker_addr`, in order; an empty entry or a `kafka://` bootstrap (the
    /// Kafka transport, not built yet) is an argument error.
    pub fn broker_addrs(&self) -> Result<Vec<&str>> {
        if self.broker_addr.trim().starts_with("kafka://") {
            return Err(Error::invalid(format!(
                "broker address {:?}: the kafka:// transport is not supported yet; give host:port of a RustLog broker",
                self.broker_addr
            )));
        }
        let addrs: Vec<&str> = self.broker_addr.split(',').map(str::trim).collect();
        if addrs.iter().any(|a| a.is_empty()) {
            return Err(Error::invalid(format!(
                "broker address {:?} is empty or has an empty entry (host:port[,host:port...])",
                self.broker_addr
            )));
        }
        Ok(addrs)
    }
}

fn positive(name: &str, value: Duration) -> Result<()> {
    if value.is_zero() {
        return Err(Error::invalid(format!("{name} must be above zero")));
    }
    Ok(())
}

/// Builds a [`crate::Client`]: `Client::builder("127.0.0.1:7400").client_id("app").connect()`.
#[derive(Debug, Clone, Default)]
pub struct ClientBuilder {
    /// The configuration being built.
    pub config: ClientConfig,
}

impl ClientBuilder {
    /// A builder for the broker at `broker_addr` with default settings.
    pub fn new(broker_addr: impl Into<String>) -> Self {
        ClientBuilder {
            config: ClientConfig {
                broker_addr: broker_addr.into(),
                ..ClientConfig::default()
            },
        }
    }
    /// Client id sent to the broker.
    #[must_use]
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.config.client_id = client_id.into();
        self
    }
    /// How often cached partition counts are refreshed.
    #[must_use]
    pub fn metadata_max_age(mut self, every: Duration) -> Self {
        self.config.metadata_max_age = every;
        self
    }
    /// Per-request timeout.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }
    /// Time allowed to open a connection (reconnect attempts included).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }
    /// Reconnect backoff: first delay and largest delay (jittered ±50%).
    #[must_use]
    pub fn reconnect_backoff(mut self, first: Duration, max: Duration) -> Self {
        self.config.reconnect_backoff = first;
        self.config.reconnect_backoff_max = max;
        self
    }
    /// Most requests awaiting a response on one connection.
    #[must_use]
    pub fn max_in_flight_per_connection(mut self, max: usize) -> Self {
        self.config.max_in_flight_per_connection = max;
        self
    }
    /// Connects (see [`crate::Client::connect_with`]).
    pub async fn connect(self) -> Result<crate::Client> {
        crate::Client::connect_with(self.config).await
    }
}

/// When the broker acknowledges a produce.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Acks {
    /// Do not wait for the append (offsets in the metadata are still reported when the broker
    /// sends them).
    None,
    /// After the append to the log (page cache).
    #[default]
    Leader,
    /// After the append is fsynced.
    Durable,
}

impl Acks {
    pub(crate) fn wire(self) -> rustlog_protocol::messages::produce::Acks {
        use rustlog_protocol::messages::produce::Acks as Wire;
        match self {
            Acks::None => Wire::None,
            Acks::Leader => Wire::Leader,
            Acks::Durable => Wire::Durable,
        }
    }
}

impl FromStr for Acks {
    type Err = Error;
    /// `none`/`0`, `leader`/`1`, `durable`/`all`/`2`.
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "0" => Ok(Acks::None),
            "leader" | "1" => Ok(Acks::Leader),
            "durable" | "all" | "2" => Ok(Acks::Durable),
            other => Err(Error::invalid(format!(
                "acks {other:?} is not one of none, leader, durable"
            ))),
        }
    }
}

/// Default time a batch waits for more records before it is sent.
pub const DEFAULT_LINGER_MS: u64 = 5;
/// Default target size of one batch.
pub const DEFAULT_BATCH_BYTES: usize = 256 * 1024;
/// Default bound on bytes buffered in the producer (send waits beyond it).
pub const DEFAULT_BUFFER_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Default number of produce requests in flight per producer.
pub const DEFAULT_MAX_IN_FLIGHT_REQUESTS: usize = 8;
/// Default time a record may take from `send` to its acknowledgement, retries included.
pub const DEFAULT_DELIVERY_TIMEOUT_MS: u64 = 30_000;
/// Default pause before a failed batch is retried.
pub const DEFAULT_RETRY_BACKOFF_MS: u64 = 100;

/// How a [`crate::Producer`] batches and acknowledges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerConfig {
    /// How long a batch waits for more records before it is sent (0: send as soon as the
    /// previous batch of the partition is acknowledged).
    pub linger_ms: u64,
    /// A batch is sent once it reaches this many bytes (at most the protocol's batch limit).
    pub batch_bytes: usize,
    /// Acknowledgement level.
    pub acks: Acks,
    /// Produce requests in flight at once (each holds at most one batch per partition, so
    /// ordering per partition survives retries).
    pub max_in_flight_requests: usize,
    /// Bytes the producer may buffer; `send` waits (up to `delivery_timeout_ms`) beyond it.
    pub buffer_bytes_max: usize,
    /// Time a record may take from `send` to acknowledgement, retries included.
    pub delivery_timeout_ms: u64,
    /// Pause before a batch that failed with a retriable error is sent again.
    pub retry_backoff_ms: u64,
    /// Codec of every batch this producer sends (Kafka's `compression.type`). The broker stores
    /// a batch as sent and consumers decompress it; `batch_bytes` counts uncompressed bytes.
    pub compression: Compression,
    /// Codec level; `None` takes the codec's default. gzip takes 0..=9, zstd -7..=22, and none,
    /// snappy and lz4 take no level (creating the producer fails with `InvalidArgument`).
    pub compression_level: Option<i32>,
    /// Idempotent delivery (Kafka's `enable.idempotence`, on by default as in Kafka 3): the
    /// producer gets a producer id from the broker and numbers its batches per partition, so a
    /// batch retried after a lost response is stored once. It applies only when `acks` is not
    /// [`Acks::None`]: with acks none the producer never learns the outcome, so, as in Kafka,
    /// batches go out without a producer id.
    pub idempotence: bool,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            linger_ms: DEFAULT_LINGER_MS,
            batch_bytes: DEFAULT_BATCH_BYTES,
            acks: Acks::default(),
            max_in_flight_requests: DEFAULT_MAX_IN_FLIGHT_REQUESTS,
            buffer_bytes_max: DEFAULT_BUFFER_BYTES_MAX,
            delivery_timeout_ms: DEFAULT_DELIVERY_TIMEOUT_MS,
            retry_backoff_ms: DEFAULT_RETRY_BACKOFF_MS,
            compression: Compression::None,
            compression_level: None,
            idempotence: true,
        }
    }
}

setters!(ProducerConfig {
    /// See the field.
    linger_ms: u64,
    /// See the field.
    batch_bytes: usize,
    /// See the field.
    acks: Acks,
    /// See the field.
    max_in_flight_requests: usize,
    /// See the field.
    buffer_bytes_max: usize,
    /// See the field.
    delivery_timeout_ms: u64,
    /// See the field.
    retry_backoff_ms: u64,
    /// See the field.
    compression: Compression,
    /// See the field.
    compression_level: Option<i32>,
    /// See the field.
    idempotence: bool,
});

/// Longest accepted linger.
pub const LINGER_MS_MAX: u64 = 60_000;

impl ProducerConfig {
    /// Checks every value; called when the producer is created.
    pub fn validate(&self) -> Result<()> {
        let batch_max = rustlog_protocol::limits::BATCH_BYTES_MAX as usize;
        if self.batch_bytes == 0 || self.batch_bytes > batch_max {
            return Err(Error::invalid(format!(
                "batch_bytes {} is outside 1..={batch_max}",
                self.batch_bytes
            )));
        }
        if self.linger_ms > LINGER_MS_MAX {
            return Err(Error::invalid(format!(
                "linger_ms {} is above {LINGER_MS_MAX}",
                self.linger_ms
            )));
        }
        if self.max_in_flight_requests == 0
            || self.max_in_flight_requests > MAX_IN_FLIGHT_PER_CONNECTION_MAX
        {
            return Err(Error::invalid(format!(
                "max_in_flight_requests {} is outside 1..={MAX_IN_FLIGHT_PER_CONNECTION_MAX}",
                self.max_in_flight_requests
            )));
        }
        if self.buffer_bytes_max < batch_max
            || self.buffer_bytes_max > tokio::sync::Semaphore::MAX_PERMITS
        {
            return Err(Error::invalid(format!(
                "buffer_bytes_max {} must be at least the batch limit {batch_max}",
                self.buffer_bytes_max
            )));
        }
        if self.delivery_timeout_ms == 0 {
            return Err(Error::invalid("delivery_timeout_ms must be above zero"));
        }
        self.compression
            .check_level(self.compression_level)
            .map_err(|e| Error::invalid(format!("compression_level: {e}")))
    }

    /// `delivery_timeout_ms` as a duration: also how long `flush` and `close` wait by default.
    pub fn delivery_timeout(&self) -> Duration {
        Duration::from_millis(self.delivery_timeout_ms)
    }

    /// Whether batches carry a producer id and sequences: `idempotence` and acks not none.
    pub fn uses_idempotence(&self) -> bool {
        self.idempotence && self.acks != Acks::None
    }
}

/// Where a consumer starts in a partition that has no committed offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum AutoOffsetReset {
    /// The oldest retained record.
    Earliest,
    /// Only records produced from now on.
    #[default]
    Latest,
    /// Fail with `OffsetOutOfRange` instead of guessing.
    None,
}

impl FromStr for AutoOffsetReset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "earliest" | "smallest" | "beginning" => Ok(AutoOffsetReset::Earliest),
            "latest" | "largest" | "end" => Ok(AutoOffsetReset::Latest),
            "none" | "error" => Ok(AutoOffsetReset::None),
            other => Err(Error::invalid(format!(
                "auto_offset_reset {other:?} is not one of earliest, latest, none"
            ))),
        }
    }
}

/// Partition assignment strategy, computed by the broker.
pub use rustlog_protocol::messages::join_group::Assignor;

/// Default session timeout: the broker drops a member silent for this long.
pub const DEFAULT_SESSION_TIMEOUT_MS: u32 = 10_000;
/// Default rebalance timeout: how long a rebalance waits for members to rejoin.
pub const DEFAULT_REBALANCE_TIMEOUT_MS: u32 = 10_000;
/// Kafka's `max.poll.interval.ms` default: five minutes.
pub const DEFAULT_MAX_POLL_INTERVAL_MS: u64 = 300_000;
/// Default long-poll wait of one fetch.
pub const DEFAULT_FETCH_MAX_WAIT_MS: u32 = 500;
/// Default bytes per fetch response.
pub const DEFAULT_FETCH_MAX_BYTES: u32 = 8 * 1024 * 1024;
/// Default bytes per partition in one fetch.
pub const DEFAULT_PARTITION_FETCH_BYTES: u32 = 1024 * 1024;
/// Default auto-commit period (when enabled).
pub const DEFAULT_AUTO_COMMIT_INTERVAL_MS: u64 = 5_000;

/// How a group [`crate::Consumer`] behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerConfig {
    /// The consumer group.
    pub group_id: String,
    /// Topics to subscribe to (also settable with `Consumer::subscribe`).
    pub topics: Vec<String>,
    /// Start position for partitions without a committed offset.
    pub auto_offset_reset: AutoOffsetReset,
    /// Commit the positions of messages already returned to the caller every
    /// `auto_commit_interval_ms`, before a rebalance and on close. Off by default.
    pub enable_auto_commit: bool,
    /// Auto-commit period.
    pub auto_commit_interval_ms: u64,
    /// The broker removes the member after this long without a heartbeat.
    pub session_timeout_ms: u32,
    /// How long a rebalance waits for members to rejoin.
    pub rebalance_timeout_ms: u32,
    /// Longest time between two polls before the consumer counts as hung: it leaves the group
    /// (the others take its partitions) and its next poll rejoins; commits in between fail.
    /// Kafka's `max.poll.interval.ms`.
    pub max_poll_interval_ms: u64,
    /// Assignment strategy.
    pub assignor: Assignor,
    /// Long-poll wait of one fetch.
    pub fetch_max_wait_ms: u32,
    /// Bytes per fetch response.
    pub fetch_max_bytes: u32,
    /// Bytes per partition per fetch.
    pub partition_fetch_bytes: u32,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            group_id: String::new(),
            topics: Vec::new(),
            auto_offset_reset: AutoOffsetReset::default(),
            enable_auto_commit: false,
            auto_commit_interval_ms: DEFAULT_AUTO_COMMIT_INTERVAL_MS,
            session_timeout_ms: DEFAULT_SESSION_TIMEOUT_MS,
            rebalance_timeout_ms: DEFAULT_REBALANCE_TIMEOUT_MS,
            max_poll_interval_ms: DEFAULT_MAX_POLL_INTERVAL_MS,
            assignor: Assignor::default(),
            fetch_max_wait_ms: DEFAULT_FETCH_MAX_WAIT_MS,
            fetch_max_bytes: DEFAULT_FETCH_MAX_BYTES,
            partition_fetch_bytes: DEFAULT_PARTITION_FETCH_BYTES,
        }
    }
}

impl ConsumerConfig {
    /// A config for `group_id` with defaults.
    pub fn new(group_id: impl Into<String>) -> Self {
        ConsumerConfig {
            group_id: group_id.into(),
            ..ConsumerConfig::default()
        }
    }

    /// Adds a topic to the subscription.
    #[must_use]
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topics.push(topic.into());
        self
    }

    /// Checks every value; called when the consumer is created.
    pub fn validate(&self) -> Result<()> {
        if self.group_id.is_empty() {
            // No group: a consumer of the partitions given to `Consumer::assign` only.
            if !self.topics.is_empty() || self.enable_auto_commit {
                return Err(Error::Rejected {
                    code: rustlog_protocol::ErrorCode::InvalidGroupId,
                    message: "topics and enable_auto_commit need a group id; a consumer without one reads assigned partitions only".into(),
                });
            }
        } else {
            rustlog_protocol::names::validate_group_id(&self.group_id).map_err(|_| {
                Error::Rejected {
                    code: rustlog_protocol::ErrorCode::InvalidGroupId,
                    message: format!(
                        "group id {:?} must be 1..=255 bytes without control characters",
                        self.group_id
                    ),
                }
            })?;
        }
        for topic in &self.topics {
            rustlog_protocol::names::validate_topic_name(topic).map_err(|e| Error::rejected(&e))?;
        }
        validate_fetch(
            self.fetch_max_wait_ms,
            self.fetch_max_bytes,
            self.partition_fetch_bytes,
        )?;
        if self.session_timeout_ms == 0 || self.rebalance_timeout_ms == 0 {
            return Err(Error::invalid(
                "session_timeout_ms and rebalance_timeout_ms must be above zero",
            ));
        }
        if self.max_poll_interval_ms == 0 {
            return Err(Error::invalid("max_poll_interval_ms must be above zero"));
        }
        if self.enable_auto_commit && self.auto_commit_interval_ms == 0 {
            return Err(Error::invalid("auto_commit_interval_ms must be above zero"));
        }
        Ok(())
    }
}

pub(crate) fn validate_fetch(wait_ms: u32, max_bytes: u32, partition_bytes: u32) -> Result<()> {
    use rustlog_protocol::limits::{FETCH_BYTES_MAX, FETCH_WAIT_MS_MAX};
    if wait_ms > FETCH_WAIT_MS_MAX {
        return Err(Error::invalid(format!(
            "fetch_max_wait_ms {wait_ms} is above {FETCH_WAIT_MS_MAX}"
        )));
    }
    if max_bytes == 0 || max_bytes > FETCH_BYTES_MAX {
        return Err(Error::invalid(format!(
            "fetch_max_bytes {max_bytes} is outside 1..={FETCH_BYTES_MAX}"
        )));
    }
    if partition_bytes == 0 || partition_bytes > FETCH_BYTES_MAX {
        return Err(Error::invalid(format!(
            "partition_fetch_bytes {partition_bytes} is outside 1..={FETCH_BYTES_MAX}"
        )));
    }
    Ok(())
}

setters!(ConsumerConfig {
    /// See the field.
    group_id: String,
    /// See the field.
    topics: Vec<String>,
    /// See the field.
    auto_offset_reset: AutoOffsetReset,
    /// See the field.
    enable_auto_commit: bool,
    /// See the field.
    auto_commit_interval_ms: u64,
    /// See the field.
    session_timeout_ms: u32,
    /// See the field.
    rebalance_timeout_ms: u32,
    /// See the field.
    max_poll_interval_ms: u64,
    /// See the field.
    assignor: Assignor,
    /// See the field.
    fetch_max_wait_ms: u32,
    /// See the field.
    fetch_max_bytes: u32,
    /// See the field.
    partition_fetch_bytes: u32,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        ClientConfig::default().validate().unwrap();
        ProducerConfig::default().validate().unwrap();
        ConsumerConfig::new("g").topic("t").validate().unwrap();
    }

    #[test]
    fn bad_values_are_rejected_with_their_name() {
        let err = ProducerConfig::default()
            .batch_bytes(0)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("batch_bytes"));
        let err = ProducerConfig::default()
            .batch_bytes(64 * 1024 * 1024)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("batch_bytes"));
        let err = ProducerConfig::default()
            .compression(Compression::Gzip)
            .compression_level(Some(10))
            .validate()
            .unwrap_err();
        assert_eq!(err.kind(), rustlog_protocol::ErrorCode::InvalidArgument);
        assert!(err.to_string().contains("compression_level"), "{err}");
        let err = ProducerConfig::default()
            .compression(Compression::Snappy)
            .compression_level(Some(1))
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("snappy"), "{err}");
        ProducerConfig::default()
            .compression(Compression::Zstd)
            .compression_level(Some(-3))
            .validate()
            .unwrap();
        let err = ConsumerConfig::new("").topic("t").validate().unwrap_err();
        assert_eq!(err.kind(), rustlog_protocol::ErrorCode::InvalidGroupId);
        // Without a group: assigned partitions only, so no topics and no auto-commit.
        ConsumerConfig::new("").validate().unwrap();
        let err = ConsumerConfig::new("")
            .enable_auto_commit(true)
            .validate()
            .unwrap_err();
        assert_eq!(err.kind(), rustlog_protocol::ErrorCode::InvalidGroupId);
        let err = ConsumerConfig::new("g")
            .topic("a/b")
            .validate()
            .unwrap_err();
        assert_eq!(err.kind(), rustlog_protocol::ErrorCode::InvalidTopicName);
        let err = ClientBuilder::new("x:1")
            .max_in_flight_per_connection(0)
            .config
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("max_in_flight_per_connection"));
    }

    #[test]
    fn enums_parse_from_strings() {
        assert_eq!("durable".parse::<Acks>().unwrap(), Acks::Durable);
        assert_eq!("0".parse::<Acks>().unwrap(), Acks::None);
        assert!("sometimes".parse::<Acks>().is_err());
        assert_eq!(
            "earliest".parse::<AutoOffsetReset>().unwrap(),
            AutoOffsetReset::Earliest
        );
        assert!("middle".parse::<AutoOffsetReset>().is_err());
    }
}
