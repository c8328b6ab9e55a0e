//! [`BrokerState`]: what every connection and handler shares (config, storage, groups, metrics,
//! the append notifier and the shutdown signal).

use crate::config::{BrokerConfig, KafkaEndpoint};
use crate::connection::QueuedBytesPool;
use crate::groups::Coordinator;
use crate::metrics::{GaugeSample, Metrics, ScrapeGauges};
use crate::notify::AppendNotifier;
use crate::storage::LogManager;
use std::sync::Arc;
use tokio::sync::watch;

/// Shared broker state, behind an `Arc`.
#[derive(Debug)]
pub struct BrokerState {
    pub config: BrokerConfig,
    pub logs: Arc<LogManager>,
    pub groups: Coordinator,
    pub metrics: Metrics,
    pub notifier: AppendNotifier,
    /// Flips to `true` once when shutdown starts.
    pub shutdown: watch::Receiver<bool>,
    /// Broker 0's address in Kafka Metadata, when the Kafka listener is on.
    pub kafka_advertised: Option<KafkaEndpoint>,
    /// Request and response bytes queued by every connection (`queued_response_bytes_max`).
    pub queued_bytes: Arc<QueuedBytesPool>,
}

impl BrokerState {
    /// True once shutdown started.
    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Prometheus text: counters plus per-partition and per-group gauges read now.
    pub fn render_metrics(&self) -> String {
        let mut gauges = ScrapeGauges::default();
        for topic in self.logs.topics() {
            for partition in 0..topic.partitions {
                let Ok(log) = self.logs.partition(&topic.name, partition) else {
                    continue;
                };
                if log.is_disk_full() {
                    gauges.partitions_disk_full += 1;
                }
                let info = log.info();
                let labels = vec![
                    ("topic", topic.name.clone()),
                    ("partition", partition.to_string()),
                ];
                let sample = |value| GaugeSample {
                    labels: labels.clone(),
                    value,
                };
                gauges
                    .partition_high_watermark
                    .push(sample(info.high_watermark));
                gauges
                    .partition_log_start_offset
                    .push(sample(info.log_start_offset));
                gauges.partition_size_bytes.push(sample(info.size_bytes));
                gauges
                    .partition_segments
                    .push(sample(info.segments.len() as u64));
            }
        }
        for q in self.logs.quarantined() {
            gauges.partition_quarantined.push(GaugeSample {
                labels: vec![
                    ("topic", q.topic.clone()),
                    ("partition", q.partition.to_string()),
                ],
                value: 1,
            });
        }
        for (group_id, snapshot) in self.groups.snapshots() {
            gauges.group_members.push(GaugeSample {
                labels: vec![("group", group_id.clone())],
                value: snapshot.members.len() as u64,
            });
            for ((topic, partition), committed) in &snapshot.offsets {
                let Ok(log) = self.logs.partition(topic, *partition) else {
                    continue;
                };
                gauges.group_lag.push(GaugeSample {
                    labels: vec![
                        ("group", group_id.clone()),
                        ("topic", topic.clone()),
                        ("partition", partition.to_string()),
                    ],
                    value: log.high_watermark().saturating_sub(*committed),
                });
            }
        }
        gauges.queued_response_bytes = self.queued_bytes.used_bytes() as u64;
        self.metrics.render(&gauges)
    }
}
