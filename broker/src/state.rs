//! [`BrokerState`]: what every connection and handler shares (config, storage, groups, metrics,
//! the append notifier and the shutdown signal), and [`ScrapeGauges`], the collector that reads
//! storage and the group coordinator at each scrape.

use crate::config::{BrokerConfig, KafkaEndpoint};
use crate::connection::QueuedBytesPool;
use crate::groups::Coordinator;
use crate::metrics::{self, Metrics, NoGauges};
use crate::notify::AppendNotifier;
use crate::storage::LogManager;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use std::sync::{Arc, Weak};
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

    /// OpenMetrics text: the request path's series plus the partition and group gauges read now.
    pub fn render_metrics(&self) -> String {
        self.metrics.render()
    }
}

/// The scrape-time gauges ([`metrics::COLLECTED`]): registered once in the state's own
/// registry, so it holds the state weakly (no cycle) and reads it at each scrape.
#[derive(Debug)]
pub struct ScrapeGauges(Weak<BrokerState>);

impl ScrapeGauges {
    /// For `Arc::new_cyclic` while the state is being built.
    pub fn new(state: Weak<BrokerState>) -> Self {
        ScrapeGauges(state)
    }
}

impl Collector for ScrapeGauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        match self.0.upgrade() {
            Some(state) => encode_gauges(&state, &mut encoder),
            None => NoGauges.encode(encoder),
        }
    }
}

fn encode_gauges(state: &BrokerState, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
    let queued = state.queued_bytes.used_bytes() as u64;
    metrics::encode_gauge(encoder, &metrics::QUEUED_RESPONSE_BYTES, queued)?;
    let open_segments = state.logs.open_segments().open_count() as u64;
    metrics::encode_gauge(encoder, &metrics::OPEN_SEGMENTS, open_segments)?;
    encode_partitions(state, encoder)?;
    encode_groups(state, encoder)?;
    metrics::encode_process_cpu(encoder)
}

/// Per partition: high watermark, log start, size, segments; then disk-full and quarantine.
fn encode_partitions(state: &BrokerState, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
    let mut infos = Vec::new();
    let mut disk_full = 0u64;
    for topic in state.logs.topics() {
        for partition in 0..topic.partitions {
            let Ok(log) = state.logs.partition(&topic.name, partition) else {
                continue;
            };
            disk_full += u64::from(log.is_disk_full());
            infos.push(([topic.name.clone(), partition.to_string()], log.info()));
        }
    }
    let each = |value: fn(&crate::storage::PartitionInfo) -> u64| {
        infos
            .iter()
            .map(move |(labels, info)| (labels.clone(), value(info)))
    };
    metrics::encode_gauges(
        encoder,
        &metrics::PARTITION_HIGH_WATERMARK,
        each(|i| i.high_watermark),
    )?;
    metrics::encode_gauges(
        encoder,
        &metrics::PARTITION_LOG_START_OFFSET,
        each(|i| i.log_start_offset),
    )?;
    metrics::encode_gauges(
        encoder,
        &metrics::PARTITION_SIZE_BYTES,
        each(|i| i.size_bytes),
    )?;
    metrics::encode_gauges(
        encoder,
        &metrics::PARTITION_SEGMENTS,
        each(|i| i.segments.len() as u64),
    )?;
    metrics::encode_gauge(encoder, &metrics::PARTITIONS_DISK_FULL, disk_full)?;
    let quarantined = state
        .logs
        .quarantined()
        .into_iter()
        .map(|q| ([q.topic.clone(), q.partition.to_string()], 1));
    metrics::encode_gauges(encoder, &metrics::PARTITION_QUARANTINED, quarantined)
}

/// Per group: lag per committed partition, members.
fn encode_groups(state: &BrokerState, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
    let snapshots = state.groups.snapshots();
    let mut lag = Vec::new();
    for (group_id, snapshot) in &snapshots {
        for ((topic, partition), committed) in &snapshot.offsets {
            let Ok(log) = state.logs.partition(topic, *partition) else {
                continue;
            };
            let labels = [group_id.clone(), topic.clone(), partition.to_string()];
            lag.push((labels, log.high_watermark().saturating_sub(*committed)));
        }
    }
    metrics::encode_gauges(encoder, &metrics::GROUP_LAG, lag)?;
    let members = snapshots
        .iter()
        .map(|(group_id, snapshot)| ([group_id.clone()], snapshot.members.len() as u64));
    metrics::encode_gauges(encoder, &metrics::GROUP_MEMBERS, members)
}
