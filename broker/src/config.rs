//! Broker configuration: [`BrokerConfig`] (programmatic), the TOML file format ([`FileConfig`]),
//! and every server limit by name ([`Limits`]). Flags win over the file, the file over defaults.

use crate::error::BrokerError;
use crate::storage::config::{COMPACTION_MAP_BYTES_MAX_DEFAULT, COMPACTION_MAP_ENTRY_BYTES};
use crate::storage::open_segments::OPEN_SEGMENTS_MAX_DEFAULT;
use crate::storage::LogConfig;
use rustlog_protocol::limits::{FRAME_BYTES_MAX, PARTITIONS_PER_TOPIC_MAX};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Default protocol address (loopback: binding elsewhere is an explicit choice).
pub const LISTEN_DEFAULT: &str = "127.0.0.1:7400";
/// Default Prometheus address.
pub const METRICS_LISTEN_DEFAULT: &str = "127.0.0.1:7401";
/// Default Kafka-protocol address (Kafka's usual port, on loopback).
pub const KAFKA_LISTEN_DEFAULT: &str = "127.0.0.1:9092";
/// Default data directory.
pub const DATA_DIR_DEFAULT: &str = "./rustlog-data";
/// Partitions of a topic created with `partitions = 0` (i.e. "broker default").
pub const TOPIC_PARTITIONS_DEFAULT: u32 = 1;

/// Every server-side limit. Each has a named default below.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest request frame (without its length prefix), checked before allocating.
    pub frame_bytes_max: u32,
    /// Most open client connections, native and Kafka together; one more is closed (a native
    /// client is first answered `TooManyConnections`).
    pub connections_max: usize,
    /// Most requests of one connection being handled at once; the broker stops reading the
    /// connection (TCP back-pressure) while at the limit.
    pub in_flight_requests_max: usize,
    /// Bytes of request frames plus (estimated, then actual) responses one connection may hold
    /// queued in the broker; the broker stops reading the connection while at the limit. A
    /// value above `queued_response_bytes_max` acts as that.
    pub connection_queued_bytes_max: usize,
    /// The same bytes summed over every connection of both listeners. A connection whose next
    /// request would pass it stops being read until bytes are freed; a connection holding
    /// nothing may still start one request (its minimum share), so a client that reads its
    /// answers always progresses while others hog the pool.
    pub queued_response_bytes_max: usize,
    /// Pending connections the kernel queues for each listener before accepting (the
    /// `listen(2)` backlog, capped by the kernel's `net.core.somaxconn`).
    pub listen_backlog: u32,
    /// A connection with nothing in flight and no new request for this long is closed; so is
    /// one whose client takes no byte of its answers for this long (it stopped reading).
    pub idle_timeout_ms: u64,
    /// A frame whose first byte arrived must be complete within this long, or the connection
    /// is closed (slowloris protection).
    pub read_timeout_ms: u64,
    /// Most partitions per topic (at most the protocol's ceiling).
    pub partitions_per_topic_max: u32,
    /// Smallest session timeout a consumer may ask for.
    pub session_timeout_ms_min: u32,
    /// Largest session timeout a consumer may ask for.
    pub session_timeout_ms_max: u32,
    /// Period of the storage maintenance task (retention, compaction, rolls, interval fsync);
    /// interval fsyncs happen at most this often.
    pub maintenance_interval_ms: u64,
    /// How long a graceful shutdown waits for in-flight requests before closing anyway.
    pub shutdown_timeout_ms: u64,
    /// Most sealed segments memory-mapped at once, over every partition; past it the least
    /// recently read are unmapped (and mapped again on their next read). Sealed segments hold
    /// no file descriptor.
    pub open_segments_max: usize,
    /// Memory of one compaction pass's key map (about 32 bytes a key); a partition with more
    /// dirty keys is compacted over several passes.
    pub compaction_map_bytes_max: usize,
}

/// Default of [`Limits::connections_max`].
pub const CONNECTIONS_MAX_DEFAULT: usize = 4096;
/// Default of [`Limits::in_flight_requests_max`].
pub const IN_FLIGHT_REQUESTS_MAX_DEFAULT: usize = 128;
/// Default of [`Limits::connection_queued_bytes_max`].
pub const CONNECTION_QUEUED_BYTES_MAX_DEFAULT: usize = 64 * 1024 * 1024;
/// Default of [`Limits::queued_response_bytes_max`]: four connections' worth.
pub const QUEUED_RESPONSE_BYTES_MAX_DEFAULT: usize = 256 * 1024 * 1024;
/// Smallest queued-bytes limit: one request and its small response.
pub const QUEUED_BYTES_MIN: usize = 4096;
/// Default of [`Limits::listen_backlog`] (was the standard library's fixed 128, which stalled
/// bursts of connects for a SYN retransmit, 1-3 s).
pub const LISTEN_BACKLOG_DEFAULT: u32 = 4096;
/// Largest [`Limits::listen_backlog`] (the kernel caps it at `somaxconn` anyway).
pub const LISTEN_BACKLOG_MAX: u32 = 65535;
/// Default of [`Limits::idle_timeout_ms`] (10 minutes, like Kafka's `connections.max.idle.ms`).
pub const IDLE_TIMEOUT_MS_DEFAULT: u64 = 600_000;
/// Default of [`Limits::read_timeout_ms`].
pub const READ_TIMEOUT_MS_DEFAULT: u64 = 30_000;
/// Default of [`Limits::session_timeout_ms_min`].
pub const SESSION_TIMEOUT_MS_MIN_DEFAULT: u32 = 100;
/// Default of [`Limits::session_timeout_ms_max`].
pub const SESSION_TIMEOUT_MS_MAX_DEFAULT: u32 = 300_000;
/// Default of [`Limits::maintenance_interval_ms`]. It is also the granularity of
/// `fsync.policy=interval` (storage flushes from its maintenance pass), so it matches the
/// default `fsync.interval.ms` of 100.
pub const MAINTENANCE_INTERVAL_MS_DEFAULT: u64 = 100;
/// Default of [`Limits::shutdown_timeout_ms`].
pub const SHUTDOWN_TIMEOUT_MS_DEFAULT: u64 = 30_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            frame_bytes_max: FRAME_BYTES_MAX,
            connections_max: CONNECTIONS_MAX_DEFAULT,
            in_flight_requests_max: IN_FLIGHT_REQUESTS_MAX_DEFAULT,
            connection_queued_bytes_max: CONNECTION_QUEUED_BYTES_MAX_DEFAULT,
            queued_response_bytes_max: QUEUED_RESPONSE_BYTES_MAX_DEFAULT,
            listen_backlog: LISTEN_BACKLOG_DEFAULT,
            idle_timeout_ms: IDLE_TIMEOUT_MS_DEFAULT,
            read_timeout_ms: READ_TIMEOUT_MS_DEFAULT,
            partitions_per_topic_max: PARTITIONS_PER_TOPIC_MAX,
            session_timeout_ms_min: SESSION_TIMEOUT_MS_MIN_DEFAULT,
            session_timeout_ms_max: SESSION_TIMEOUT_MS_MAX_DEFAULT,
            maintenance_interval_ms: MAINTENANCE_INTERVAL_MS_DEFAULT,
            shutdown_timeout_ms: SHUTDOWN_TIMEOUT_MS_DEFAULT,
            open_segments_max: OPEN_SEGMENTS_MAX_DEFAULT,
            compaction_map_bytes_max: COMPACTION_MAP_BYTES_MAX_DEFAULT,
        }
    }
}

impl Limits {
    /// Checks every limit against its bounds; the error names the bad key (`limits.<name>`).
    pub fn validate(&self) -> Result<(), BrokerError> {
        let checks = [
            (
                "frame_bytes_max",
                u64::from(self.frame_bytes_max),
                FRAME_BYTES_MAX_BOUNDS,
            ),
            ("connections_max", self.connections_max as u64, AT_LEAST_ONE),
            (
                "open_segments_max",
                self.open_segments_max as u64,
                AT_LEAST_ONE,
            ),
            (
                "compaction_map_bytes_max",
                self.compaction_map_bytes_max as u64,
                COMPACTION_MAP_BYTES_BOUNDS,
            ),
            (
                "in_flight_requests_max",
                self.in_flight_requests_max as u64,
                AT_LEAST_ONE,
            ),
            (
                "connection_queued_bytes_max",
                self.connection_queued_bytes_max as u64,
                QUEUED_BYTES_BOUNDS,
            ),
            (
                "queued_response_bytes_max",
                self.queued_response_bytes_max as u64,
                QUEUED_BYTES_BOUNDS,
            ),
            (
                "listen_backlog",
                u64::from(self.listen_backlog),
                LISTEN_BACKLOG_BOUNDS,
            ),
            ("idle_timeout_ms", self.idle_timeout_ms, AT_LEAST_ONE),
            ("read_timeout_ms", self.read_timeout_ms, AT_LEAST_ONE),
            (
                "partitions_per_topic_max",
                u64::from(self.partitions_per_topic_max),
                PARTITIONS_PER_TOPIC_MAX_BOUNDS,
            ),
            (
                "session_timeout_ms_min",
                u64::from(self.session_timeout_ms_min),
                AT_LEAST_ONE,
            ),
            (
                "maintenance_interval_ms",
                self.maintenance_interval_ms,
                AT_LEAST_ONE,
            ),
            (
                "shutdown_timeout_ms",
                self.shutdown_timeout_ms,
                AT_LEAST_ONE,
            ),
        ];
        for (key, value, bounds) in checks {
            bounds.check(&format!("limits.{key}"), value)?;
        }
        if self.session_timeout_ms_min > self.session_timeout_ms_max {
            return Err(BrokerError::InvalidConfig {
                key: "limits.session_timeout_ms_min".into(),
                reason: format!(
                    "{} is above session_timeout_ms_max ({})",
                    self.session_timeout_ms_min, self.session_timeout_ms_max
                ),
            });
        }
        Ok(())
    }
}

/// Inclusive bounds of a numeric setting: what validation enforces and what the settings table
/// (`crate::settings`) shows, so the two cannot differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub min: u64,
    /// `u64::MAX` means no upper bound beyond the field's type.
    pub max: u64,
}

impl Bounds {
    /// `value` within the bounds, or an error naming `key`.
    pub fn check(self, key: &str, value: u64) -> Result<(), BrokerError> {
        if value >= self.min && value <= self.max {
            return Ok(());
        }
        let reason = if self.max == u64::MAX {
            format!("{value} is below {}", self.min)
        } else {
            format!("{value} is outside {}..={}", self.min, self.max)
        };
        Err(BrokerError::InvalidConfig {
            key: key.to_string(),
            reason,
        })
    }
}

impl std::fmt::Display for Bounds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.max == u64::MAX {
            write!(f, ">= {}", self.min)
        } else {
            write!(f, "{}..={}", self.min, self.max)
        }
    }
}

/// Counts, sizes and durations that only need to be positive.
pub const AT_LEAST_ONE: Bounds = Bounds {
    min: 1,
    max: u64::MAX,
};
/// Smallest [`Limits::frame_bytes_max`]: room for a request header and a small body.
pub const FRAME_BYTES_MIN: u32 = 64;
/// Bounds of [`Limits::frame_bytes_max`] (at most the protocol's ceiling).
pub const FRAME_BYTES_MAX_BOUNDS: Bounds = Bounds {
    min: FRAME_BYTES_MIN as u64,
    max: FRAME_BYTES_MAX as u64,
};
/// Bounds of both queued-bytes limits.
pub const QUEUED_BYTES_BOUNDS: Bounds = Bounds {
    min: QUEUED_BYTES_MIN as u64,
    max: u64::MAX,
};
/// Bounds of [`Limits::compaction_map_bytes_max`]: room for one key at least.
pub const COMPACTION_MAP_BYTES_BOUNDS: Bounds = Bounds {
    min: COMPACTION_MAP_ENTRY_BYTES as u64,
    max: u64::MAX,
};
/// Bounds of [`Limits::listen_backlog`].
pub const LISTEN_BACKLOG_BOUNDS: Bounds = Bounds {
    min: 1,
    max: LISTEN_BACKLOG_MAX as u64,
};
/// Bounds of [`Limits::partitions_per_topic_max`] (at most the protocol's ceiling).
pub const PARTITIONS_PER_TOPIC_MAX_BOUNDS: Bounds = Bounds {
    min: 1,
    max: PARTITIONS_PER_TOPIC_MAX as u64,
};

/// Everything a broker needs to start. `Default` gives the documented defaults; tests set
/// `listen` to `127.0.0.1:0` and a temp `data_dir`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BrokerConfig {
    /// Protocol listener.
    pub listen: SocketAddr,
    /// Metrics listener (`/metrics`, `/healthz`, `/readyz`); `None` turns it off.
    pub metrics_listen: Option<SocketAddr>,
    /// Kafka-protocol listener; `None` turns it off.
    pub kafka_listen: Option<SocketAddr>,
    /// `HOST:PORT` the Kafka listener tells clients to connect to (Metadata); `None` advertises
    /// the bound address.
    pub kafka_advertised_listener: Option<KafkaEndpoint>,
    /// Where topics and group offsets live.
    pub data_dir: PathBuf,
    /// Server limits.
    pub limits: Limits,
    /// Config of new topics (each CreateTopic may override keys).
    pub topic_defaults: LogConfig,
    /// Partitions of a topic created with `partitions = 0`.
    pub topic_partitions_default: u32,
    /// A Kafka Metadata request naming a missing topic (with `allow_auto_topic_creation`)
    /// creates it with the broker defaults. Off by default: RustLog creates topics only when
    /// asked to, so a typo in a topic name is an error, not a new topic.
    pub auto_create_topics: bool,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 7400)),
            metrics_listen: Some(SocketAddr::from(([127, 0, 0, 1], 7401))),
            kafka_listen: Some(SocketAddr::from(([127, 0, 0, 1], 9092))),
            kafka_advertised_listener: None,
            data_dir: PathBuf::from(DATA_DIR_DEFAULT),
            limits: Limits::default(),
            topic_defaults: LogConfig::default(),
            topic_partitions_default: TOPIC_PARTITIONS_DEFAULT,
            auto_create_topics: false,
        }
    }
}

impl BrokerConfig {
    /// Defaults with a data dir, listening on free loopback ports (protocol and metrics). The
    /// Kafka listener is off: many ephemeral brokers run side by side (tests, embedded brokers)
    /// and a fixed port 9092 would collide; set `kafka_listen` to turn it on.
    pub fn ephemeral(data_dir: impl Into<PathBuf>) -> Self {
        BrokerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            metrics_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            kafka_listen: None,
            data_dir: data_dir.into(),
            ..BrokerConfig::default()
        }
    }

    /// Checks limits and topic defaults; the error names the bad key.
    pub fn validate(&self) -> Result<(), BrokerError> {
        self.limits.validate()?;
        if self.topic_partitions_default == 0
            || self.topic_partitions_default > self.limits.partitions_per_topic_max
        {
            return Err(BrokerError::InvalidConfig {
                key: "topic_defaults.partitions".into(),
                reason: format!(
                    "{} is outside 1..={}",
                    self.topic_partitions_default, self.limits.partitions_per_topic_max
                ),
            });
        }
        Ok(())
    }

    /// Applies a parsed config file on top of `self`.
    pub fn apply_file(&mut self, file: FileConfig) -> Result<(), BrokerError> {
        if let Some(listen) = file.listen {
            self.listen = parse_addr("listen", &listen)?;
        }
        if let Some(metrics) = file.metrics_listen {
            self.metrics_listen = parse_optional_addr("metrics_listen", &metrics)?;
        }
        if let Some(kafka) = file.kafka_listen {
            self.kafka_listen = parse_optional_addr("kafka_listen", &kafka)?;
        }
        if let Some(advertised) = file.kafka_advertised_listener {
            self.kafka_advertised_listener = Some(KafkaEndpoint::parse(
                "kafka_advertised_listener",
                &advertised,
            )?);
        }
        if let Some(dir) = file.data_dir {
            self.data_dir = dir;
        }
        if let Some(auto_create) = file.auto_create_topics {
            self.auto_create_topics = auto_create;
        }
        if let Some(limits) = file.limits {
            self.limits = limits;
        }
        let mut overrides = BTreeMap::new();
        for (key, value) in file.topic_defaults {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(BrokerError::InvalidConfig {
                        key: format!("topic_defaults.{key}"),
                        reason: format!("expected a string or integer, got {}", other.type_str()),
                    })
                }
            };
            if key == "partitions" {
                self.topic_partitions_default =
                    text.parse().map_err(|_| BrokerError::InvalidConfig {
                        key: "topic_defaults.partitions".into(),
                        reason: format!("{text:?} is not a partition count"),
                    })?;
            } else {
                overrides.insert(key, text);
            }
        }
        self.topic_defaults = self
            .topic_defaults
            .with_overrides(&overrides)
            .map_err(|err| match err {
                crate::storage::StorageError::InvalidConfig { key, reason } => {
                    BrokerError::InvalidConfig {
                        key: format!("topic_defaults.{key}"),
                        reason,
                    }
                }
                other => BrokerError::InvalidConfig {
                    key: "topic_defaults".into(),
                    reason: other.to_string(),
                },
            })?;
        Ok(())
    }
}

/// The TOML config file. Unknown keys are errors that name the key.
///
/// ```toml
/// listen = "127.0.0.1:7400"
/// metrics_listen = "127.0.0.1:7401"   # or "off"
/// kafka_listen = "127.0.0.1:9092"     # or "off"
/// kafka_advertised_listener = "broker.example:9092"
/// data_dir = "./rustlog-data"
/// auto_create_topics = false          # Kafka Metadata may create missing topics
///
/// [limits]
/// connections_max = 4096
///
/// [topic_defaults]
/// partitions = 3
/// "retention.ms" = 604800000
/// "fsync.policy" = "always"
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub metrics_listen: Option<String>,
    pub kafka_listen: Option<String>,
    pub kafka_advertised_listener: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub auto_create_topics: Option<bool>,
    pub limits: Option<Limits>,
    #[serde(default)]
    pub topic_defaults: BTreeMap<String, toml::Value>,
}

impl FileConfig {
    /// Reads and parses a config file; errors name the file and the bad key.
    pub fn load(path: &Path) -> Result<FileConfig, BrokerError> {
        let text = std::fs::read_to_string(path).map_err(|source| BrokerError::Io {
            op: "read config file",
            path: path.to_path_buf(),
            source,
        })?;
        FileConfig::parse(&text).map_err(|err| match err {
            BrokerError::InvalidConfig { key, reason } => BrokerError::InvalidConfig {
                key,
                reason: format!("{reason} (in {})", path.display()),
            },
            other => other,
        })
    }

    /// Parses TOML text. A bad key or value is named by its full dotted path
    /// (`limits.idle_timeout_ms`), with serde's reason and the line.
    pub fn parse(text: &str) -> Result<FileConfig, BrokerError> {
        serde_path_to_error::deserialize(toml::Deserializer::new(text)).map_err(|err| {
            // An empty path (a TOML syntax error) displays as ".".
            let key = match err.path().iter().next() {
                Some(_) => err.path().to_string(),
                None => "<file>".to_string(),
            };
            let inner = err.into_inner();
            let reason = match inner.span() {
                Some(span) => format!("{} (line {})", inner.message(), line_of(text, span.start)),
                None => inner.message().to_string(),
            };
            BrokerError::InvalidConfig { key, reason }
        })
    }
}

/// The 1-based line number of byte `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).map_or(0, |head| head.matches('\n').count()) + 1
}

/// Parses a socket address; the error names `key`.
pub fn parse_addr(key: &str, value: &str) -> Result<SocketAddr, BrokerError> {
    value.parse().map_err(|_| BrokerError::InvalidConfig {
        key: key.to_string(),
        reason: format!("{value:?} is not an address like 127.0.0.1:7400"),
    })
}

/// A `HOST:PORT` a Kafka client can connect to: what Metadata advertises as broker 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaEndpoint {
    pub host: String,
    pub port: u16,
}

impl KafkaEndpoint {
    /// Parses `HOST:PORT` (`[v6]:PORT` for IPv6); the error names `key`. A wildcard address
    /// (`0.0.0.0`, `::`) is refused: a client told to connect there cannot.
    pub fn parse(key: &str, value: &str) -> Result<KafkaEndpoint, BrokerError> {
        let bad = |reason: String| BrokerError::InvalidConfig {
            key: key.to_string(),
            reason,
        };
        let (host, port) = value
            .rsplit_once(':')
            .ok_or_else(|| bad(format!("{value:?} is not HOST:PORT like localhost:9092")))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port: u16 = port
            .parse()
            .ok()
            .filter(|port| *port != 0)
            .ok_or_else(|| bad(format!("{value:?} has no port in 1..=65535")))?;
        if host.is_empty() {
            return Err(bad(format!("{value:?} has no host")));
        }
        if host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_unspecified())
        {
            return Err(bad(format!(
                "{value:?} is a wildcard address; advertise one clients can connect to"
            )));
        }
        Ok(KafkaEndpoint {
            host: host.to_string(),
            port,
        })
    }

    /// What to advertise for a listener bound to `bound`: the configured endpoint, else the bound
    /// address itself; `None` when that is a wildcard (the caller reports the missing setting).
    pub fn for_bound(configured: Option<&KafkaEndpoint>, bound: SocketAddr) -> Option<Self> {
        if let Some(endpoint) = configured {
            return Some(endpoint.clone());
        }
        (!bound.ip().is_unspecified()).then(|| KafkaEndpoint {
            host: bound.ip().to_string(),
            port: bound.port(),
        })
    }
}

impl std::fmt::Display for KafkaEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Parses an address or `off`.
pub fn parse_optional_addr(key: &str, value: &str) -> Result<Option<SocketAddr>, BrokerError> {
    if value.eq_ignore_ascii_case("off") || value.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    parse_addr(key, value).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        BrokerConfig::default().validate().unwrap();
        assert_eq!(BrokerConfig::default().listen.to_string(), LISTEN_DEFAULT);
        assert_eq!(
            BrokerConfig::default().metrics_listen.unwrap().to_string(),
            METRICS_LISTEN_DEFAULT
        );
    }

    /// The key an invalid file or config is reported under.
    fn bad_key(err: BrokerError) -> String {
        match err {
            BrokerError::InvalidConfig { key, .. } => key,
            other => panic!("not a config error: {other:?}"),
        }
    }

    #[test]
    fn unknown_top_level_key_is_named() {
        let err = FileConfig::parse("listen = \"127.0.0.1:1\"\nbogus_key = 3\n").unwrap_err();
        let text = err.to_string();
        assert_eq!(bad_key(err), "bogus_key");
        assert!(
            text.contains("unknown field") && text.contains("line 2"),
            "{text}"
        );
    }

    #[test]
    fn unknown_nested_key_is_named_by_its_path() {
        let err = FileConfig::parse("[limits]\nconnections_maxx = 3\n").unwrap_err();
        let text = err.to_string();
        assert_eq!(bad_key(err), "limits.connections_maxx");
        assert!(
            text.contains("connections_max"),
            "serde lists the known keys: {text}"
        );
    }

    #[test]
    fn wrong_type_nested_is_named_by_its_path() {
        let err = FileConfig::parse("[limits]\nidle_timeout_ms = \"soon\"\n").unwrap_err();
        let text = err.to_string();
        assert_eq!(bad_key(err), "limits.idle_timeout_ms");
        assert!(text.contains("invalid type"), "{text}");
    }

    #[test]
    fn bad_value_in_the_file_is_named_by_validation() {
        let file = FileConfig::parse("[limits]\nlisten_backlog = 0\n").unwrap();
        let mut config = BrokerConfig::default();
        config.apply_file(file).unwrap();
        assert_eq!(
            bad_key(config.validate().unwrap_err()),
            "limits.listen_backlog"
        );
    }

    #[test]
    fn syntax_error_names_the_line() {
        let err = FileConfig::parse("listen = \"127.0.0.1:1\"\n[limits\n").unwrap_err();
        let text = err.to_string();
        assert_eq!(bad_key(err), "<file>");
        assert!(text.contains("line 2"), "{text}");
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broker.toml");
        std::fs::write(&path, "[limits]\nconnections_maxx = 3\n").unwrap();
        let err = FileConfig::load(&path).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("limits.connections_maxx"), "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
    }

    #[test]
    fn bad_limit_is_named() {
        let mut config = BrokerConfig::default();
        config.limits.in_flight_requests_max = 0;
        let err = config.validate().unwrap_err();
        assert!(
            err.to_string().contains("limits.in_flight_requests_max"),
            "{err}"
        );
        assert!(err.to_string().ends_with("0 is below 1"), "{err}");
        config.limits.in_flight_requests_max = 1;
        config.limits.listen_backlog = 70_000;
        let err = config.validate().unwrap_err().to_string();
        assert!(err.ends_with("70000 is outside 1..=65535"), "{err}");
    }

    #[test]
    fn file_applies_addresses_and_partitions() {
        let file = FileConfig::parse(
            "listen = \"127.0.0.1:9000\"\nmetrics_listen = \"off\"\n[topic_defaults]\npartitions = 3\n",
        )
        .unwrap();
        let mut config = BrokerConfig::default();
        config.apply_file(file).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.metrics_listen, None);
        assert_eq!(config.topic_partitions_default, 3);
    }

    #[test]
    fn auto_create_topics_is_off_unless_the_file_turns_it_on() {
        let mut config = BrokerConfig::default();
        assert!(!config.auto_create_topics);
        config
            .apply_file(FileConfig::parse("auto_create_topics = true\n").unwrap())
            .unwrap();
        assert!(config.auto_create_topics);
        let err = FileConfig::parse("auto_create_topics = \"yes\"\n").unwrap_err();
        assert_eq!(bad_key(err), "auto_create_topics");
    }

    #[test]
    fn kafka_listener_keys_apply_and_validate() {
        let file = FileConfig::parse(
            "kafka_listen = \"off\"\nkafka_advertised_listener = \"broker.example:19092\"\n",
        )
        .unwrap();
        let mut config = BrokerConfig::default();
        assert_eq!(
            config.kafka_listen.unwrap().to_string(),
            KAFKA_LISTEN_DEFAULT
        );
        config.apply_file(file).unwrap();
        assert_eq!(config.kafka_listen, None);
        let advertised = config.kafka_advertised_listener.unwrap();
        assert_eq!(advertised.to_string(), "broker.example:19092");
        for bad in ["0.0.0.0:9092", "[::]:9092", "host", "host:0", ":9092"] {
            let err = KafkaEndpoint::parse("kafka_advertised_listener", bad).unwrap_err();
            assert!(
                err.to_string().contains("kafka_advertised_listener"),
                "{err}"
            );
        }
        let wildcard = SocketAddr::from(([0, 0, 0, 0], 9092));
        assert_eq!(KafkaEndpoint::for_bound(None, wildcard), None);
        let bound = SocketAddr::from(([127, 0, 0, 1], 9092));
        let endpoint = KafkaEndpoint::for_bound(None, bound).unwrap();
        assert_eq!(endpoint.to_string(), "127.0.0.1:9092");
    }

    #[test]
    fn bad_address_is_named() {
        let file = FileConfig::parse("listen = \"nowhere\"\n").unwrap();
        let err = BrokerConfig::default().apply_file(file).unwrap_err();
        assert!(err.to_string().contains("listen"), "{err}");
    }
}
