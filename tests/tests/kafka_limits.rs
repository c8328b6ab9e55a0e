//! The native listener's limits hold on the Kafka listener by the same names: one connection
//! cap for both, the frame size limit, the idle timeout; pipelined requests are answered in
//! order even when the first is a long poll; an in-process broker turns the listener on only
//! when asked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchRequest, FetchTopic};
use kafka_protocol::messages::fetch_response::FetchResponse;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_support::{kafka_broker, KafkaRaw};
use std::time::{Duration, Instant};

#[test]
fn one_connection_cap_covers_both_listeners() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &["--connections-max", "1"]);
    let mut native = broker.client();
    native.create_topic("held", 1, &[]);
    let mut refused = KafkaRaw::connect(&kafka);
    assert!(refused.is_closed_by_broker());
    drop(native);
    // The slot is free again once the native connection is gone (its task ends shortly after).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut client = KafkaRaw::connect(&kafka);
        client.send(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default());
        if client.recv_frame().is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the Kafka listener never got the slot back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_frame_above_frame_bytes_max_closes_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &["--frame-bytes-max", "1024"]);
    let mut client = KafkaRaw::connect(&kafka);
    let big = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_string("x".repeat(2000)))
        .with_client_software_version(StrBytes::from_static_str("1"));
    client.send(ApiKey::ApiVersions, 3, &big);
    assert!(client.is_closed_by_broker());
}

#[test]
fn an_idle_kafka_connection_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &["--idle-timeout-ms", "300"]);
    let mut client = KafkaRaw::connect(&kafka);
    let started = Instant::now();
    assert!(client.is_closed_by_broker());
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[test]
fn pipelined_requests_are_answered_in_order_behind_a_long_poll() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("quiet", 1, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let fetch = FetchRequest::default()
        .with_replica_id((-1).into())
        .with_max_wait_ms(500)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_topics(vec![FetchTopic::default()
            .with_topic(TopicName(StrBytes::from_static_str("quiet")))
            .with_partitions(vec![FetchPartition::default()
                .with_partition(0)
                .with_fetch_offset(0)
                .with_partition_max_bytes(1 << 20)])]);
    let started = Instant::now();
    let fetch_id = client.send(ApiKey::Fetch, 12, &fetch);
    let versions_id = client.send(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default());
    let fetched: FetchResponse = client.recv(ApiKey::Fetch, 12, fetch_id);
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "the fetch waited"
    );
    assert_eq!(fetched.responses[0].partitions[0].high_watermark, 0);
    let versions: ApiVersionsResponse = client.recv(ApiKey::ApiVersions, 3, versions_id);
    assert_eq!(versions.error_code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_process_broker_has_the_kafka_listener_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let off = rustlog_tests::start_in_process(&dir.path().join("off")).await;
    assert_eq!(off.kafka_addr(), None);
    let mut config = rustlog_broker::BrokerConfig::ephemeral(dir.path().join("on"));
    config.kafka_listen = Some("127.0.0.1:0".parse().unwrap());
    let on = rustlog_broker::Broker::start(config).await.unwrap();
    let addr = on.kafka_addr().unwrap();
    assert_ne!(addr.port(), 0);
    assert_eq!(on.kafka_advertised().unwrap().to_string(), addr.to_string());
    let versions = tokio::task::spawn_blocking(move || {
        let mut client = KafkaRaw::connect(&addr.to_string());
        client.call::<_, ApiVersionsResponse>(
            ApiKey::ApiVersions,
            3,
            &ApiVersionsRequest::default(),
        )
    })
    .await
    .unwrap();
    assert_eq!(versions.error_code, 0);
    on.shutdown().await.unwrap();
    off.shutdown().await.unwrap();
}
