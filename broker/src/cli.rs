//! The `rustlog-broker` command line: its flags ([`Args`]), its subcommands ([`Command`]) and
//! how they combine with the config file ([`Args::into_config`]). In the library so the
//! settings table test (`broker/tests/docs_settings_table.rs`) can walk every flag.

use crate::config::{parse_addr, parse_optional_addr, FileConfig, KafkaEndpoint, Limits};
use crate::storage::StorageError;
use crate::{BrokerConfig, BrokerError};
use clap::Parser;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "rustlog-broker",
    version,
    about = "RustLog broker: a single-node log-structured message broker",
    // A flag given twice takes its last value (wrappers may append overrides).
    args_override_self = true
)]
pub struct Args {
    /// Protocol address [default: 127.0.0.1:7400]
    #[arg(long, env = "RUSTLOG_LISTEN")]
    pub listen: Option<String>,
    /// Metrics address (/metrics, /healthz, /readyz), or `off` [default: 127.0.0.1:7401]
    #[arg(long, env = "RUSTLOG_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Kafka-protocol address, or `off` [default: 127.0.0.1:9092]
    #[arg(long, env = "RUSTLOG_KAFKA_LISTEN")]
    pub kafka_listen: Option<String>,
    /// HOST:PORT Kafka clients are told to connect to [default: the bound Kafka address]
    #[arg(long, env = "RUSTLOG_KAFKA_ADVERTISED_LISTENER")]
    pub kafka_advertised_listener: Option<String>,
    /// Data directory [default: ./rustlog-data]
    #[arg(long, env = "RUSTLOG_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// TOML config file (flags override its values)
    #[arg(long, env = "RUSTLOG_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Let a Kafka Metadata request naming a missing topic create it with the broker defaults,
    /// when the request allows it (Kafka's `allow_auto_topic_creation`). Off by default:
    /// Produce to a missing topic always answers UNKNOWN_TOPIC_OR_PARTITION [TOML:
    /// auto_create_topics]
    #[arg(long)]
    pub auto_create_topics: bool,
    /// Partitions of a topic created with 0 partitions [default: 1]
    #[arg(long)]
    pub default_partitions: Option<u32>,
    /// Default topic config, repeatable: `--topic-config retention.ms=3600000`
    #[arg(long = "topic-config", value_name = "KEY=VALUE")]
    pub topic_config: Vec<String>,
    /// Most open client connections
    #[arg(long)]
    pub connections_max: Option<usize>,
    /// Most requests handled at once per connection
    #[arg(long)]
    pub in_flight_requests_max: Option<usize>,
    /// Request plus response bytes all connections together may hold in the broker
    /// [default: 268435456]
    #[arg(long)]
    pub queued_response_bytes_max: Option<usize>,
    /// Request plus response bytes one connection may hold in the broker [default: 67108864]
    #[arg(long)]
    pub connection_queued_bytes_max: Option<usize>,
    /// Pending connections queued by the kernel per listener [default: 4096]
    #[arg(long)]
    pub listen_backlog: Option<u32>,
    /// Most sealed segments memory-mapped at once, over every partition [default: 16384]
    #[arg(long)]
    pub open_segments_max: Option<usize>,
    /// Memory of one compaction pass's key map, bytes [default: 67108864]
    #[arg(long)]
    pub compaction_map_bytes_max: Option<usize>,
    /// How long SIGTERM waits for read requests to be answered before closing (ms)
    /// [default: 30000]
    #[arg(long)]
    pub shutdown_timeout_ms: Option<u64>,
    /// Largest request frame in bytes
    #[arg(long)]
    pub frame_bytes_max: Option<u32>,
    /// Close connections idle, or not reading their answers, this long (ms)
    #[arg(long)]
    pub idle_timeout_ms: Option<u64>,
    /// Close connections whose started frame stalls this long (ms)
    #[arg(long)]
    pub read_timeout_ms: Option<u64>,
    /// Most partitions per topic [default: 1024]
    #[arg(long)]
    pub partitions_per_topic_max: Option<u32>,
    /// Smallest session timeout a consumer may ask for (ms) [default: 100]
    #[arg(long)]
    pub session_timeout_ms_min: Option<u32>,
    /// Largest session timeout a consumer may ask for (ms) [default: 300000]
    #[arg(long)]
    pub session_timeout_ms_max: Option<u32>,
    /// Period of the storage maintenance pass: retention, compaction, age rolls, interval
    /// fsync (ms) [default: 100]
    #[arg(long)]
    pub maintenance_interval_ms: Option<u64>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Offline: cut a quarantined partition at its first damaged byte, keeping the cut bytes in
    /// `<segment>.log.corrupt-<byte>.bin` files beside it. Refuses while a broker holds the
    /// data directory.
    Repair {
        #[arg(long)]
        topic: String,
        #[arg(long)]
        partition: u32,
        /// Print what would be cut; change nothing
        #[arg(long)]
        dry_run: bool,
    },
}

impl Args {
    /// Defaults, then the file, then flags; validated.
    pub fn into_config(self) -> Result<BrokerConfig, BrokerError> {
        let mut config = BrokerConfig::default();
        if let Some(path) = &self.config {
            config.apply_file(FileConfig::load(path)?)?;
        }
        self.apply_addresses(&mut config)?;
        self.apply_topic_defaults(&mut config)?;
        self.apply_limits(&mut config.limits);
        if let Some(dir) = self.data_dir {
            config.data_dir = dir;
        }
        config.validate()?;
        Ok(config)
    }

    fn apply_addresses(&self, config: &mut BrokerConfig) -> Result<(), BrokerError> {
        if let Some(listen) = &self.listen {
            config.listen = parse_addr("--listen", listen)?;
        }
        if let Some(metrics) = &self.metrics_listen {
            config.metrics_listen = parse_optional_addr("--metrics-listen", metrics)?;
        }
        if let Some(kafka) = &self.kafka_listen {
            config.kafka_listen = parse_optional_addr("--kafka-listen", kafka)?;
        }
        if let Some(advertised) = &self.kafka_advertised_listener {
            config.kafka_advertised_listener = Some(KafkaEndpoint::parse(
                "--kafka-advertised-listener",
                advertised,
            )?);
        }
        Ok(())
    }

    /// `--auto-create-topics`, `--default-partitions` and every `--topic-config KEY=VALUE`.
    fn apply_topic_defaults(&self, config: &mut BrokerConfig) -> Result<(), BrokerError> {
        if self.auto_create_topics {
            config.auto_create_topics = true;
        }
        if let Some(n) = self.default_partitions {
            config.topic_partitions_default = n;
        }
        let mut overrides = BTreeMap::new();
        for pair in &self.topic_config {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(BrokerError::InvalidConfig {
                    key: "--topic-config".into(),
                    reason: format!("{pair:?} is not KEY=VALUE"),
                });
            };
            overrides.insert(key.trim().to_string(), value.trim().to_string());
        }
        config.topic_defaults =
            config
                .topic_defaults
                .with_overrides(&overrides)
                .map_err(|err| match err {
                    StorageError::InvalidConfig { key, reason } => BrokerError::InvalidConfig {
                        key: format!("--topic-config {key}"),
                        reason,
                    },
                    other => BrokerError::InvalidConfig {
                        key: "--topic-config".into(),
                        reason: other.to_string(),
                    },
                })?;
        Ok(())
    }

    fn apply_limits(&self, limits: &mut Limits) {
        override_with(self.frame_bytes_max, &mut limits.frame_bytes_max);
        override_with(self.connections_max, &mut limits.connections_max);
        override_with(
            self.in_flight_requests_max,
            &mut limits.in_flight_requests_max,
        );
        override_with(
            self.connection_queued_bytes_max,
            &mut limits.connection_queued_bytes_max,
        );
        override_with(
            self.queued_response_bytes_max,
            &mut limits.queued_response_bytes_max,
        );
        override_with(self.listen_backlog, &mut limits.listen_backlog);
        override_with(self.open_segments_max, &mut limits.open_segments_max);
        override_with(
            self.compaction_map_bytes_max,
            &mut limits.compaction_map_bytes_max,
        );
        override_with(self.idle_timeout_ms, &mut limits.idle_timeout_ms);
        override_with(self.read_timeout_ms, &mut limits.read_timeout_ms);
        override_with(self.shutdown_timeout_ms, &mut limits.shutdown_timeout_ms);
        override_with(
            self.partitions_per_topic_max,
            &mut limits.partitions_per_topic_max,
        );
        override_with(
            self.session_timeout_ms_min,
            &mut limits.session_timeout_ms_min,
        );
        override_with(
            self.session_timeout_ms_max,
            &mut limits.session_timeout_ms_max,
        );
        override_with(
            self.maintenance_interval_ms,
            &mut limits.maintenance_interval_ms,
        );
    }
}

/// A flag that was given replaces the value from the file or the default.
fn override_with<T>(flag: Option<T>, field: &mut T) {
    if let Some(value) = flag {
        *field = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn config_from(flags: &[&str]) -> Result<BrokerConfig, BrokerError> {
        let argv = std::iter::once("rustlog-broker").chain(flags.iter().copied());
        Args::try_parse_from(argv).unwrap().into_config()
    }

    #[test]
    fn clap_definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn flags_override_the_file_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broker.toml");
        std::fs::write(
            &path,
            "[limits]\nconnections_max = 5\nidle_timeout_ms = 9\n",
        )
        .unwrap();
        let config = config_from(&[
            "--config",
            path.to_str().unwrap(),
            "--connections-max",
            "7",
            "--topic-config",
            "retention.ms=3600000",
        ])
        .unwrap();
        assert_eq!(config.limits.connections_max, 7, "the flag wins");
        assert_eq!(
            config.limits.idle_timeout_ms, 9,
            "the file wins over the default"
        );
        assert_eq!(config.topic_defaults.to_map()["retention.ms"], "3600000");
    }

    #[test]
    fn every_limit_has_a_flag_that_sets_it() {
        let config = config_from(&[
            "--partitions-per-topic-max",
            "64",
            "--session-timeout-ms-min",
            "500",
            "--session-timeout-ms-max",
            "60000",
            "--maintenance-interval-ms",
            "250",
        ])
        .unwrap();
        assert_eq!(config.limits.partitions_per_topic_max, 64);
        assert_eq!(config.limits.session_timeout_ms_min, 500);
        assert_eq!(config.limits.session_timeout_ms_max, 60_000);
        assert_eq!(config.limits.maintenance_interval_ms, 250);
        let err = config_from(&[
            "--session-timeout-ms-min",
            "70000",
            "--session-timeout-ms-max",
            "60000",
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("limits.session_timeout_ms_min"),
            "{err}"
        );
    }

    #[test]
    fn bad_flags_are_named() {
        let err = config_from(&["--topic-config", "retention.ms"]).unwrap_err();
        assert!(err.to_string().contains("--topic-config"), "{err}");
        let err = config_from(&["--listen-backlog", "0"]).unwrap_err();
        assert!(err.to_string().contains("limits.listen_backlog"), "{err}");
    }
}
