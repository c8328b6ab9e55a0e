//! What the three config APIs (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs) share:
//! Kafka's resource types, config sources and config types, and RustLog's topic config keys
//! (`rustlog_protocol::config_keys`, already spelled as Kafka spells the ones Kafka has) and
//! broker settings described as Kafka config entries.
//!
//! A topic key's source is TOPIC_CONFIG when the topic sets it, STATIC_BROKER_CONFIG when the
//! broker's `topic_defaults` (`--topic-config`, TOML) differ from RustLog's built-in default, and
//! DEFAULT_CONFIG otherwise; the synonyms list those layers from the most specific on. Broker
//! settings are read-only (they come from flags and the TOML file, read at start-up).

use super::errors::kafka_error_code;
use crate::core::topics;
use crate::state::BrokerState;
use crate::storage::{LogConfig, TopicMeta};
use kafka_protocol::ResponseError;
use rustlog_protocol::config_keys as keys;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Kafka's `ConfigResource.Type`.
pub const RESOURCE_TOPIC: i8 = 2;
pub const RESOURCE_BROKER: i8 = 4;

/// The only broker resource name there is: this broker's node id.
pub const BROKER_RESOURCE_NAME: &str = "0";

/// Kafka's `ConfigSource`.
pub const SOURCE_TOPIC_CONFIG: i8 = 1;
pub const SOURCE_STATIC_BROKER_CONFIG: i8 = 4;
pub const SOURCE_DEFAULT_CONFIG: i8 = 5;

/// Kafka's `ConfigType` (DescribeConfigs v3+).
pub const TYPE_BOOLEAN: i8 = 1;
pub const TYPE_STRING: i8 = 2;
pub const TYPE_INT: i8 = 3;
pub const TYPE_LONG: i8 = 5;
pub const TYPE_LIST: i8 = 7;

/// One config entry as DescribeConfigs reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: String,
    pub value: String,
    pub source: i8,
    pub read_only: bool,
    pub config_type: i8,
    pub documentation: String,
    /// (value, source) from the most specific layer on, the entry's own first.
    pub synonyms: Vec<(String, i8)>,
}

/// Kafka's type of a topic config key. `segment.bytes` is an INT in Kafka, but RustLog allows
/// up to 2 GiB, one past `i32::MAX`: it is reported as the LONG it is.
pub fn topic_config_type(key: &str) -> i8 {
    match key {
        keys::CLEANUP_POLICY => TYPE_LIST,
        keys::FSYNC_POLICY | keys::MESSAGE_TIMESTAMP_TYPE => TYPE_STRING,
        keys::INDEX_INTERVAL_BYTES => TYPE_INT,
        _ => TYPE_LONG,
    }
}

/// True for the keys whose values are comma-separated lists (APPEND/SUBTRACT apply).
pub fn is_list_key(key: &str) -> bool {
    topic_config_type(key) == TYPE_LIST
}

/// Every topic config key of `meta` with its value and where it comes from.
pub fn topic_entries(defaults: &LogConfig, meta: &TopicMeta) -> Vec<ConfigEntry> {
    let effective = meta.config.to_map();
    let broker = defaults.to_map();
    let builtin = LogConfig::default().to_map();
    keys::ALL
        .iter()
        .map(|key| {
            let layers = [
                (meta.overrides.get(*key), SOURCE_TOPIC_CONFIG),
                (
                    broker.get(*key).filter(|v| builtin.get(*key) != Some(*v)),
                    SOURCE_STATIC_BROKER_CONFIG,
                ),
                (builtin.get(*key), SOURCE_DEFAULT_CONFIG),
            ];
            let synonyms: Vec<(String, i8)> = layers
                .iter()
                .filter_map(|(value, source)| value.map(|v| (v.clone(), *source)))
                .collect();
            let source = synonyms
                .first()
                .map_or(SOURCE_DEFAULT_CONFIG, |(_, source)| *source);
            ConfigEntry {
                name: (*key).to_string(),
                value: effective.get(*key).cloned().unwrap_or_default(),
                source,
                read_only: false,
                config_type: topic_config_type(key),
                documentation: keys::documentation(key).unwrap_or_default().to_string(),
                synonyms,
            }
        })
        .collect()
}

/// The broker's settings, read-only, under Kafka's names where Kafka has the setting and the
/// TOML file's names otherwise.
pub fn broker_entries(state: &BrokerState) -> Vec<ConfigEntry> {
    let config = &state.config;
    let limits = &config.limits;
    let optional =
        |addr: Option<std::net::SocketAddr>| addr.map_or("off".into(), |a| a.to_string());
    let advertised = state
        .kafka_advertised
        .as_ref()
        .map_or(String::new(), |e| format!("{}:{}", e.host, e.port));
    let settings: Vec<(&str, String, i8, &str)> = vec![
        (
            "broker.id",
            "0".into(),
            TYPE_INT,
            "This broker's node id (one node)",
        ),
        (
            "auto.create.topics.enable",
            config.auto_create_topics.to_string(),
            TYPE_BOOLEAN,
            "Kafka Metadata requests may create missing topics (--auto-create-topics)",
        ),
        (
            "num.partitions",
            config.topic_partitions_default.to_string(),
            TYPE_INT,
            "Partitions of a topic created with the broker default (--default-partitions)",
        ),
        (
            "log.dirs",
            config.data_dir.display().to_string(),
            TYPE_STRING,
            "The data directory (--data-dir)",
        ),
        (
            "listeners",
            optional(config.kafka_listen),
            TYPE_STRING,
            "The Kafka listener's address (--kafka-listen)",
        ),
        (
            "advertised.listeners",
            advertised,
            TYPE_STRING,
            "The address Kafka clients are told to connect to (--kafka-advertised-listener)",
        ),
        (
            "listen",
            config.listen.to_string(),
            TYPE_STRING,
            "The native protocol's address (--listen)",
        ),
        (
            "metrics_listen",
            optional(config.metrics_listen),
            TYPE_STRING,
            "The Prometheus /metrics address (--metrics-listen)",
        ),
        (
            "frame_bytes_max",
            limits.frame_bytes_max.to_string(),
            TYPE_INT,
            "Largest request frame (bytes)",
        ),
        (
            "connections_max",
            limits.connections_max.to_string(),
            TYPE_INT,
            "Most open client connections, both listeners together",
        ),
        (
            "partitions_per_topic_max",
            limits.partitions_per_topic_max.to_string(),
            TYPE_INT,
            "Most partitions of one topic",
        ),
    ];
    settings
        .into_iter()
        .map(|(name, value, config_type, documentation)| ConfigEntry {
            name: name.to_string(),
            synonyms: vec![(value.clone(), SOURCE_STATIC_BROKER_CONFIG)],
            value,
            source: SOURCE_STATIC_BROKER_CONFIG,
            read_only: true,
            config_type,
            documentation: documentation.to_string(),
        })
        .collect()
}

/// A per-resource failure: the Kafka error code and its message.
pub type ResourceError = (i16, String);

/// The topic an alter names, or why the resource cannot be altered: broker settings are
/// read-only here (INVALID_REQUEST, as Kafka answers for settings it cannot change at run time).
pub fn alterable_topic(
    state: &BrokerState,
    resource_type: i8,
    name: &str,
) -> Result<TopicMeta, ResourceError> {
    match resource_type {
        RESOURCE_TOPIC => state.logs.topic(name).ok_or_else(|| {
            (
                ResponseError::UnknownTopicOrPartition.code(),
                format!("topic {name:?} does not exist"),
            )
        }),
        RESOURCE_BROKER => Err((
            ResponseError::InvalidRequest.code(),
            "broker settings are read-only: set them with flags or the TOML file and restart"
                .into(),
        )),
        other => Err((
            ResponseError::InvalidRequest.code(),
            format!("resource type {other} cannot be altered: only topics (2)"),
        )),
    }
}

/// INVALID_CONFIG unless `key` is a RustLog topic config key.
pub fn known_key(key: &str) -> Result<(), ResourceError> {
    if keys::ALL.contains(&key) {
        return Ok(());
    }
    Err((
        ResponseError::InvalidConfig.code(),
        format!(
            "unknown config key {key:?}: topic keys are {}",
            keys::ALL.join(", ")
        ),
    ))
}

/// Stores `overrides` as the topic's whole set of overrides through storage (or only checks
/// them, `validate_only`); a bad value is INVALID_CONFIG naming the key.
pub async fn store_overrides(
    state: &Arc<BrokerState>,
    topic: &str,
    overrides: BTreeMap<String, String>,
    validate_only: bool,
) -> Result<(), ResourceError> {
    topics::replace_config(state, topic.to_string(), overrides, validate_only)
        .await
        .map(|_| ())
        .map_err(|err| (kafka_error_code(err.code), err.message))
}
