//! A small lock-free metrics registry rendered as Prometheus text (exposition format 0.0.4).
//!
//! Hand-written rather than a crate: the set of series is fixed (per api key, a handful of
//! broker-wide counters) plus gauges computed at scrape time from storage and groups, so plain
//! atomics indexed by api key are all that is needed, with no allocation or lock on the request
//! path.

use kafka_protocol::messages::ApiKey as KafkaApiKey;
use rustlog_protocol::ApiKey;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
pub const LATENCY_BUCKETS_SECONDS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// A cumulative histogram over [`LATENCY_BUCKETS_SECONDS`].
#[derive(Debug)]
pub struct Histogram {
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: LATENCY_BUCKETS_SECONDS
                .iter()
                .map(|_| AtomicU64::new(0))
                .collect(),
            count: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(index) = LATENCY_BUCKETS_SECONDS.iter().position(|b| seconds <= *b) {
            if let Some(bucket) = self.buckets.get(index) {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0u64;
        for (bound, bucket) in LATENCY_BUCKETS_SECONDS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count();
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// Per api key: request count, error count, latency.
#[derive(Debug, Default)]
struct ApiMetrics {
    requests: AtomicU64,
    errors: AtomicU64,
    latency: Histogram,
}

/// Per served Kafka API: requests, request and response bytes, latency.
#[derive(Debug, Default)]
struct KafkaApiCounters {
    requests: AtomicU64,
    request_bytes: AtomicU64,
    response_bytes: AtomicU64,
    latency: Histogram,
}

/// The Kafka listener's per-API series, labelled `kafka_api="<Kafka's API name>"` (the
/// native listener's are labelled `api`): one set per API in [`crate::kafka::SERVED`], so the
/// request path only adds to atomics.
#[derive(Debug)]
pub struct KafkaApiMetrics {
    apis: Vec<(KafkaApiKey, KafkaApiCounters)>,
}

impl Default for KafkaApiMetrics {
    fn default() -> Self {
        KafkaApiMetrics {
            apis: crate::kafka::SERVED
                .iter()
                .map(|(api, _, _)| (*api, KafkaApiCounters::default()))
                .collect(),
        }
    }
}

impl KafkaApiMetrics {
    /// Records one handled Kafka request (`response_bytes` 0 when no response is sent).
    pub fn record(
        &self,
        api: KafkaApiKey,
        request_bytes: usize,
        response_bytes: usize,
        elapsed: Duration,
    ) {
        let Some((_, m)) = self.apis.iter().find(|(key, _)| *key == api) else {
            return;
        };
        m.requests.fetch_add(1, Ordering::Relaxed);
        m.request_bytes
            .fetch_add(request_bytes as u64, Ordering::Relaxed);
        m.response_bytes
            .fetch_add(response_bytes as u64, Ordering::Relaxed);
        m.latency.observe(elapsed);
    }

    fn render(&self, out: &mut String) {
        type Counter = fn(&KafkaApiCounters) -> &AtomicU64;
        let counters: [(&str, &str, Counter); 3] = [
            (
                "rustlog_kafka_requests_total",
                "Kafka-protocol requests handled, by Kafka API.",
                |m| &m.requests,
            ),
            (
                "rustlog_kafka_request_bytes_total",
                "Bytes of Kafka-protocol request frames, by Kafka API.",
                |m| &m.request_bytes,
            ),
            (
                "rustlog_kafka_response_bytes_total",
                "Bytes of Kafka-protocol response frames, by Kafka API.",
                |m| &m.response_bytes,
            ),
        ];
        for (name, help, value) in counters {
            header(out, name, "counter", help);
            for (api, m) in &self.apis {
                let n = value(m).load(Ordering::Relaxed);
                let _ = writeln!(out, "{name}{{kafka_api=\"{api:?}\"}} {n}");
            }
        }
        let name = "rustlog_kafka_request_duration_seconds";
        header(
            out,
            name,
            "histogram",
            "Time from a Kafka-protocol request's arrival to its response being ready, by Kafka API.",
        );
        for (api, m) in &self.apis {
            m.latency
                .render(out, name, &format!("kafka_api=\"{api:?}\""));
        }
    }
}

/// Every counter the request path updates.
#[derive(Debug)]
pub struct Metrics {
    apis: Vec<ApiMetrics>,
    /// The Kafka listener's per-API series.
    pub kafka: KafkaApiMetrics,
    /// Requests with an unknown api key or version.
    pub unknown_requests: AtomicU64,
    /// Bytes read from client sockets.
    pub bytes_in: AtomicU64,
    /// Bytes written to client sockets.
    pub bytes_out: AtomicU64,
    /// Currently open client connections.
    pub connections_open: AtomicU64,
    /// Connections accepted since start.
    pub connections_accepted: AtomicU64,
    /// Connections refused at the connection limit.
    pub connections_rejected: AtomicU64,
    /// Connections closed for a framing error, a stalled frame or idleness.
    pub connections_closed_bad_input: AtomicU64,
    /// Records appended by Produce.
    pub records_in: AtomicU64,
    /// Broker-side fsync waits (`acks=durable` and shutdown flush).
    pub fsync_latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            apis: ApiKey::ALL.iter().map(|_| ApiMetrics::default()).collect(),
            kafka: KafkaApiMetrics::default(),
            unknown_requests: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            connections_open: AtomicU64::new(0),
            connections_accepted: AtomicU64::new(0),
            connections_rejected: AtomicU64::new(0),
            connections_closed_bad_input: AtomicU64::new(0),
            records_in: AtomicU64::new(0),
            fsync_latency: Histogram::default(),
        }
    }
}

/// One gauge sample computed at scrape time.
#[derive(Debug, Clone)]
pub struct GaugeSample {
    pub labels: Vec<(&'static str, String)>,
    pub value: u64,
}

/// Scrape-time gauges from storage and the group coordinator.
#[derive(Debug, Default, Clone)]
pub struct ScrapeGauges {
    pub partition_high_watermark: Vec<GaugeSample>,
    pub partition_log_start_offset: Vec<GaugeSample>,
    pub partition_size_bytes: Vec<GaugeSample>,
    pub partition_segments: Vec<GaugeSample>,
    /// 1 per quarantined partition (failed recovery with corruption).
    pub partition_quarantined: Vec<GaugeSample>,
    pub group_lag: Vec<GaugeSample>,
    pub group_members: Vec<GaugeSample>,
    /// Partitions whose disk is full right now.
    pub partitions_disk_full: u64,
    /// Request and response bytes queued by all connections (`queued_response_bytes_max`).
    pub queued_response_bytes: u64,
}

impl Metrics {
    /// Records one handled request of kind `api`.
    pub fn record_request(&self, api: ApiKey, elapsed: Duration, ok: bool) {
        if let Some(m) = self.apis.get(usize::from(api.code())) {
            m.requests.fetch_add(1, Ordering::Relaxed);
            if !ok {
                m.errors.fetch_add(1, Ordering::Relaxed);
            }
            m.latency.observe(elapsed);
        }
    }

    /// Requests of kind `api` handled so far.
    pub fn requests(&self, api: ApiKey) -> u64 {
        self.apis
            .get(usize::from(api.code()))
            .map_or(0, |m| m.requests.load(Ordering::Relaxed))
    }

    /// Adds to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Renders every series as Prometheus text.
    pub fn render(&self, gauges: &ScrapeGauges) -> String {
        let mut out = String::with_capacity(16 * 1024);
        header(
            &mut out,
            "rustlog_requests_total",
            "counter",
            "Requests handled, by api.",
        );
        for (api, m) in ApiKey::ALL.iter().zip(&self.apis) {
            let n = m.requests.load(Ordering::Relaxed);
            let _ = writeln!(out, "rustlog_requests_total{{api=\"{api}\"}} {n}");
        }
        header(
            &mut out,
            "rustlog_request_errors_total",
            "counter",
            "Requests answered with an error code, by api.",
        );
        for (api, m) in ApiKey::ALL.iter().zip(&self.apis) {
            let n = m.errors.load(Ordering::Relaxed);
            let _ = writeln!(out, "rustlog_request_errors_total{{api=\"{api}\"}} {n}");
        }
        header(
            &mut out,
            "rustlog_request_duration_seconds",
            "histogram",
            "Time from a request's arrival to its response being ready, by api.",
        );
        for (api, m) in ApiKey::ALL.iter().zip(&self.apis) {
            m.latency.render(
                &mut out,
                "rustlog_request_duration_seconds",
                &format!("api=\"{api}\""),
            );
        }
        counter(
            &mut out,
            "rustlog_unknown_requests_total",
            "Requests with an unknown api key or version.",
            &self.unknown_requests,
        );
        counter(
            &mut out,
            "rustlog_bytes_in_total",
            "Bytes read from client connections.",
            &self.bytes_in,
        );
        counter(
            &mut out,
            "rustlog_bytes_out_total",
            "Bytes written to client connections.",
            &self.bytes_out,
        );
        counter(
            &mut out,
            "rustlog_records_in_total",
            "Records appended by Produce.",
            &self.records_in,
        );
        header(
            &mut out,
            "rustlog_connections_open",
            "gauge",
            "Open client connections.",
        );
        let open = self.connections_open.load(Ordering::Relaxed);
        let _ = writeln!(out, "rustlog_connections_open {open}");
        header(
            &mut out,
            "rustlog_queued_response_bytes",
            "gauge",
            "Request and response bytes queued by all connections (bound: queued_response_bytes_max).",
        );
        let queued = gauges.queued_response_bytes;
        let _ = writeln!(out, "rustlog_queued_response_bytes {queued}");
        counter(
            &mut out,
            "rustlog_connections_accepted_total",
            "Client connections accepted.",
            &self.connections_accepted,
        );
        counter(
            &mut out,
            "rustlog_connections_rejected_total",
            "Client connections refused at the connection limit.",
            &self.connections_rejected,
        );
        counter(
            &mut out,
            "rustlog_connections_closed_bad_input_total",
            "Connections closed for a framing error, a stalled frame or idleness.",
            &self.connections_closed_bad_input,
        );
        self.kafka.render(&mut out);
        header(
            &mut out,
            "rustlog_fsync_duration_seconds",
            "histogram",
            "Broker-side waits for fsync (acks=durable group commits, shutdown flush).",
        );
        self.fsync_latency
            .render(&mut out, "rustlog_fsync_duration_seconds", "");
        gauge_family(
            &mut out,
            "rustlog_partition_high_watermark",
            "The offset the next record of the partition will get.",
            &gauges.partition_high_watermark,
        );
        gauge_family(
            &mut out,
            "rustlog_partition_log_start_offset",
            "The oldest offset still stored.",
            &gauges.partition_log_start_offset,
        );
        gauge_family(
            &mut out,
            "rustlog_partition_size_bytes",
            "Bytes of the partition's segments.",
            &gauges.partition_size_bytes,
        );
        gauge_family(
            &mut out,
            "rustlog_partition_segments",
            "Segments of the partition.",
            &gauges.partition_segments,
        );
        header(
            &mut out,
            "rustlog_partitions_disk_full",
            "gauge",
            "Partitions whose last write found the disk full (appends answer DiskFull until space returns).",
        );
        let _ = writeln!(
            out,
            "rustlog_partitions_disk_full {}",
            gauges.partitions_disk_full
        );
        gauge_family(
            &mut out,
            "rustlog_partition_quarantined",
            "1 for a partition quarantined at start-up for corruption (see `rustlog-broker repair`).",
            &gauges.partition_quarantined,
        );
        gauge_family(
            &mut out,
            "rustlog_group_lag",
            "High watermark minus the group's committed offset.",
            &gauges.group_lag,
        );
        gauge_family(
            &mut out,
            "rustlog_group_members",
            "Members of the consumer group.",
            &gauges.group_members,
        );
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn counter(out: &mut String, name: &str, help: &str, value: &AtomicU64) {
    header(out, name, "counter", help);
    let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
}

fn gauge_family(out: &mut String, name: &str, help: &str, samples: &[GaugeSample]) {
    header(out, name, "gauge", help);
    for sample in samples {
        let labels: Vec<String> = sample
            .labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
            .collect();
        let _ = writeln!(out, "{name}{{{}}} {}", labels.join(","), sample.value);
    }
}

/// Escapes a label value (group ids may hold quotes and backslashes).
pub fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_histograms() {
        let metrics = Metrics::default();
        metrics.record_request(ApiKey::Produce, Duration::from_micros(300), true);
        metrics.record_request(ApiKey::Produce, Duration::from_secs(2), false);
        let text = metrics.render(&ScrapeGauges::default());
        assert!(text.contains("rustlog_requests_total{api=\"Produce\"} 2"));
        assert!(text.contains("rustlog_request_errors_total{api=\"Produce\"} 1"));
        assert!(text
            .contains("rustlog_request_duration_seconds_bucket{api=\"Produce\",le=\"0.0005\"} 1"));
        assert!(
            text.contains("rustlog_request_duration_seconds_bucket{api=\"Produce\",le=\"+Inf\"} 2")
        );
        assert!(text.contains("rustlog_fsync_duration_seconds_count 0"));
    }

    #[test]
    fn renders_kafka_series_by_kafka_api() {
        let metrics = Metrics::default();
        metrics
            .kafka
            .record(KafkaApiKey::Metadata, 40, 120, Duration::from_micros(80));
        // Not served: not recorded, no series.
        metrics
            .kafka
            .record(KafkaApiKey::SaslHandshake, 40, 0, Duration::ZERO);
        let text = metrics.render(&ScrapeGauges::default());
        assert!(text.contains("rustlog_kafka_requests_total{kafka_api=\"Metadata\"} 1"));
        assert!(text.contains("rustlog_kafka_request_bytes_total{kafka_api=\"Metadata\"} 40"));
        assert!(text.contains("rustlog_kafka_response_bytes_total{kafka_api=\"Metadata\"} 120"));
        assert!(text.contains(
            "rustlog_kafka_request_duration_seconds_bucket{kafka_api=\"Metadata\",le=\"0.0001\"} 1"
        ));
        assert!(text.contains("rustlog_kafka_requests_total{kafka_api=\"Produce\"} 0"));
        assert!(!text.contains("SaslHandshake"));
    }

    #[test]
    fn escapes_labels() {
        assert_eq!(escape_label("a\"b\\c"), "a\\\"b\\\\c");
    }
}
