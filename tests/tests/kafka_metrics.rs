//! Per-Kafka-API metrics: requests, request and response bytes and latency by Kafka API
//! (`kafka_api` label), scraped from the broker's /metrics endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use kafka_support::admin::{metadata, partition_count};
use kafka_support::{kafka_broker, KafkaRaw};
use rustlog_tests::{http_get, metric_value};

fn scrape(broker: &rustlog_tests::BrokerProcess) -> String {
    let (status, body) = http_get(broker.metrics_addr().unwrap(), "/metrics").unwrap();
    assert_eq!(status, 200);
    body
}

fn value(text: &str, series: &str, api: &str) -> f64 {
    metric_value(text, &format!("{series}{{kafka_api=\"{api}\"}}"))
        .unwrap_or_else(|| panic!("no {series} for {api}"))
}

#[test]
fn every_kafka_request_is_counted_with_its_bytes_and_latency() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("m", 1, &[]);
    let before = scrape(&broker);
    assert_eq!(
        value(&before, "rustlog_kafka_requests_total", "Metadata"),
        0.0
    );

    let mut client = KafkaRaw::connect(&kafka);
    partition_count(&mut client, "m").unwrap();
    let response = metadata(&mut client, 12, &["m", "other"], false);
    assert_eq!(response.topics.len(), 2);

    let text = scrape(&broker);
    assert_eq!(
        value(&text, "rustlog_kafka_requests_total", "Metadata"),
        2.0
    );
    let request_bytes = value(&text, "rustlog_kafka_request_bytes_total", "Metadata");
    let response_bytes = value(&text, "rustlog_kafka_response_bytes_total", "Metadata");
    // Two requests of at least a header each; responses carry the broker and the topics.
    assert!(request_bytes >= 2.0 * 12.0, "{request_bytes}");
    assert!(
        response_bytes > request_bytes,
        "{response_bytes} vs {request_bytes}"
    );
    assert_eq!(
        value(
            &text,
            "rustlog_kafka_request_duration_seconds_count",
            "Metadata"
        ),
        2.0
    );
    assert_eq!(
        metric_value(
            &text,
            "rustlog_kafka_request_duration_seconds_bucket{le=\"+Inf\",kafka_api=\"Metadata\"}"
        ),
        Some(2.0)
    );
    assert_eq!(value(&text, "rustlog_kafka_requests_total", "Produce"), 0.0);
    // The native listener's series count only native requests (the one CreateTopic).
    assert_eq!(
        metric_value(&text, "rustlog_requests_total{api=\"CreateTopic\"}"),
        Some(1.0)
    );
}
