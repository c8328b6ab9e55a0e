//! Every broker setting in one registry: TOML key, `rustlog-broker` flag, environment variable,
//! default, allowed values and meaning. docs/OPERATIONS.md's settings table is rendered from it,
//! and `broker/tests/docs_settings_table.rs` checks that the registry holds exactly the
//! [`Limits`] fields, the [`crate::config::FileConfig`] keys and the [`crate::cli::Args`] flags.
//!
//! Defaults are read from [`BrokerConfig::default`] and bounds from the constants that
//! [`Limits::validate`] checks, so neither can be written twice.

use crate::config::{
    Bounds, Limits, AT_LEAST_ONE, COMPACTION_MAP_BYTES_BOUNDS, DATA_DIR_DEFAULT,
    FRAME_BYTES_MAX_BOUNDS, KAFKA_LISTEN_DEFAULT, LISTEN_BACKLOG_BOUNDS, LISTEN_DEFAULT,
    METRICS_LISTEN_DEFAULT, PARTITIONS_PER_TOPIC_MAX_BOUNDS, QUEUED_BYTES_BOUNDS,
};
use crate::BrokerConfig;
use rustlog_protocol::config_keys;

/// Where the allowed values of topic config keys are specified.
pub const TOPIC_CONFIG_SPEC: &str = "protocol-spec/SPEC.md §11.3";

/// One setting as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// Dotted key in the config file (`limits.connections_max`), if the file has it.
    pub toml_key: Option<String>,
    /// The `rustlog-broker` flag (`--connections-max`), if any.
    pub flag: Option<&'static str>,
    /// The environment variable the flag also reads, if any.
    pub env: Option<&'static str>,
    /// The value when nothing sets it (empty: none); a literal, or a description with spaces.
    pub default: String,
    /// Allowed values.
    pub range: String,
    /// What it does, in one sentence.
    pub meaning: &'static str,
}

impl Setting {
    fn new(toml_key: Option<&str>, flag: Option<&'static str>, meaning: &'static str) -> Self {
        Setting {
            toml_key: toml_key.map(str::to_string),
            flag,
            env: None,
            default: String::new(),
            range: String::new(),
            meaning,
        }
    }

    fn env(mut self, env: &'static str) -> Self {
        self.env = Some(env);
        self
    }

    fn default(mut self, default: impl ToString) -> Self {
        self.default = default.to_string();
        self
    }

    fn range(mut self, range: impl ToString) -> Self {
        self.range = range.to_string();
        self
    }
}

/// Every setting of the `rustlog-broker` run command, in table order.
pub fn settings() -> Vec<Setting> {
    let mut all = listeners_and_files();
    all.extend(limits(&Limits::default()));
    all.extend(topic_defaults());
    all
}

fn listeners_and_files() -> Vec<Setting> {
    const ADDR: &str = "IP:PORT";
    const ADDR_OR_OFF: &str = "IP:PORT or `off`";
    vec![
        Setting::new(Some("listen"), Some("--listen"), "Native protocol listener")
            .env("RUSTLOG_LISTEN")
            .default(LISTEN_DEFAULT)
            .range(ADDR),
        Setting::new(
            Some("metrics_listen"),
            Some("--metrics-listen"),
            "Metrics listener: `/metrics` (OpenMetrics), `/healthz`, `/readyz`",
        )
        .env("RUSTLOG_METRICS_LISTEN")
        .default(METRICS_LISTEN_DEFAULT)
        .range(ADDR_OR_OFF),
        Setting::new(
            Some("kafka_listen"),
            Some("--kafka-listen"),
            "Kafka-protocol listener",
        )
        .env("RUSTLOG_KAFKA_LISTEN")
        .default(KAFKA_LISTEN_DEFAULT)
        .range(ADDR_OR_OFF),
        Setting::new(
            Some("kafka_advertised_listener"),
            Some("--kafka-advertised-listener"),
            "Address Kafka clients are told to connect to (Metadata); needed when the Kafka listener binds a wildcard address",
        )
        .env("RUSTLOG_KAFKA_ADVERTISED_LISTENER")
        .default("the bound Kafka address")
        .range("HOST:PORT, not a wildcard"),
        Setting::new(
            Some("data_dir"),
            Some("--data-dir"),
            "Directory of topics, group offsets and the lock file",
        )
        .env("RUSTLOG_DATA_DIR")
        .default(DATA_DIR_DEFAULT)
        .range("a path"),
        Setting::new(None, Some("--config"), "TOML config file; flags override its values")
            .env("RUSTLOG_CONFIG")
            .range("a path"),
        Setting::new(
            Some("auto_create_topics"),
            Some("--auto-create-topics"),
            "A Kafka Metadata request naming a missing topic creates it with the broker defaults (when the request allows it)",
        )
        .default(BrokerConfig::default().auto_create_topics)
        .range("`true` or `false`"),
    ]
}

/// One row per [`Limits`] field.
fn limits(d: &Limits) -> Vec<Setting> {
    let limit = |name: &str, flag, default: u64, bounds: Bounds, meaning| {
        Setting::new(Some(&format!("limits.{name}")), flag, meaning)
            .default(default)
            .range(bounds)
    };
    vec![
        limit(
            "frame_bytes_max",
            Some("--frame-bytes-max"),
            u64::from(d.frame_bytes_max),
            FRAME_BYTES_MAX_BOUNDS,
            "Largest request frame (bytes, without the length prefix), checked before allocating",
        ),
        limit(
            "connections_max",
            Some("--connections-max"),
            d.connections_max as u64,
            AT_LEAST_ONE,
            "Most open client connections, both listeners together",
        ),
        limit(
            "in_flight_requests_max",
            Some("--in-flight-requests-max"),
            d.in_flight_requests_max as u64,
            AT_LEAST_ONE,
            "Most requests of one connection handled at once; at the limit the broker stops reading it",
        ),
        limit(
            "connection_queued_bytes_max",
            Some("--connection-queued-bytes-max"),
            d.connection_queued_bytes_max as u64,
            QUEUED_BYTES_BOUNDS,
            "Request plus response bytes one connection may hold in the broker; at the limit the broker stops reading it",
        ),
        limit(
            "queued_response_bytes_max",
            Some("--queued-response-bytes-max"),
            d.queued_response_bytes_max as u64,
            QUEUED_BYTES_BOUNDS,
            "The same bytes summed over every connection of both listeners",
        ),
        limit(
            "listen_backlog",
            Some("--listen-backlog"),
            u64::from(d.listen_backlog),
            LISTEN_BACKLOG_BOUNDS,
            "Pending connections the kernel queues per listener (capped by `net.core.somaxconn`)",
        ),
        limit(
            "idle_timeout_ms",
            Some("--idle-timeout-ms"),
            d.idle_timeout_ms,
            AT_LEAST_ONE,
            "A connection with nothing in flight and no new request, or whose client takes none of its answers, for this long (ms) is closed",
        ),
        limit(
            "read_timeout_ms",
            Some("--read-timeout-ms"),
            d.read_timeout_ms,
            AT_LEAST_ONE,
            "A frame whose first byte arrived must be complete within this long (ms), or the connection is closed",
        ),
        limit(
            "partitions_per_topic_max",
            Some("--partitions-per-topic-max"),
            u64::from(d.partitions_per_topic_max),
            PARTITIONS_PER_TOPIC_MAX_BOUNDS,
            "Most partitions per topic",
        ),
        limit(
            "session_timeout_ms_min",
            Some("--session-timeout-ms-min"),
            u64::from(d.session_timeout_ms_min),
            AT_LEAST_ONE,
            "Smallest consumer-group session timeout a member may ask for (ms)",
        )
        .range(format!("{AT_LEAST_ONE}, <= `limits.session_timeout_ms_max`")),
        limit(
            "session_timeout_ms_max",
            Some("--session-timeout-ms-max"),
            u64::from(d.session_timeout_ms_max),
            AT_LEAST_ONE,
            "Largest consumer-group session timeout a member may ask for (ms)",
        )
        .range(">= `limits.session_timeout_ms_min`"),
        limit(
            "maintenance_interval_ms",
            Some("--maintenance-interval-ms"),
            d.maintenance_interval_ms,
            AT_LEAST_ONE,
            "Period of the storage maintenance pass (retention, compaction, rolls, interval fsync), ms",
        ),
        limit(
            "shutdown_timeout_ms",
            Some("--shutdown-timeout-ms"),
            d.shutdown_timeout_ms,
            AT_LEAST_ONE,
            "How long a graceful shutdown waits for in-flight requests before closing anyway (ms)",
        ),
        limit(
            "open_segments_max",
            Some("--open-segments-max"),
            d.open_segments_max as u64,
            AT_LEAST_ONE,
            "Most sealed segments memory-mapped at once over every partition; past it the least recently read are unmapped until read again",
        ),
        limit(
            "compaction_map_bytes_max",
            Some("--compaction-map-bytes-max"),
            d.compaction_map_bytes_max as u64,
            COMPACTION_MAP_BYTES_BOUNDS,
            "Memory of one compaction pass's key map (about 32 bytes a key); more dirty keys take several passes",
        ),
    ]
}

/// `[topic_defaults]`: the partition count, then one row per topic config key of the protocol
/// crate, with the broker's default value.
fn topic_defaults() -> Vec<Setting> {
    let defaults = BrokerConfig::default();
    let values = defaults.topic_defaults.to_map();
    let mut rows = vec![Setting::new(
        Some("topic_defaults.partitions"),
        Some("--default-partitions"),
        "Partitions of a topic created with 0 partitions",
    )
    .default(defaults.topic_partitions_default)
    .range("1..=`limits.partitions_per_topic_max`")];
    for key in config_keys::ALL {
        rows.push(
            Setting::new(
                Some(&format!("topic_defaults.\"{key}\"")),
                Some("--topic-config"),
                config_keys::documentation(key).unwrap_or("a topic config key"),
            )
            .default(values.get(*key).map_or("", String::as_str))
            .range(TOPIC_CONFIG_SPEC),
        );
    }
    rows
}
