//! DescribeCluster through the Kafka listener: cluster id `rustlog`, controller 0, the one
//! broker at its advertised address; controller endpoints (v1 `endpoint_type` 2) are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use kafka_protocol::messages::describe_cluster_request::DescribeClusterRequest;
use kafka_protocol::messages::describe_cluster_response::DescribeClusterResponse;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::ResponseError;
use kafka_support::{kafka_broker, KafkaRaw};

#[test]
fn the_cluster_is_one_broker_at_its_advertised_address() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &["--kafka-advertised-listener", "kafka.test:19092"]);
    let mut client = KafkaRaw::connect(&kafka);
    for version in 0..=1 {
        let response: DescribeClusterResponse = client.call(
            ApiKey::DescribeCluster,
            version,
            &DescribeClusterRequest::default(),
        );
        assert_eq!(response.error_code, 0, "v{version}");
        assert_eq!(response.cluster_id.as_str(), "rustlog");
        assert_eq!(response.controller_id.0, 0);
        assert_eq!(response.endpoint_type, 1);
        let brokers: Vec<(i32, &str, i32)> = response
            .brokers
            .iter()
            .map(|b| (b.broker_id.0, b.host.as_str(), b.port))
            .collect();
        assert_eq!(brokers, [(0, "kafka.test", 19092)], "v{version}");
    }
}

#[test]
fn controller_endpoints_are_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let request = DescribeClusterRequest::default().with_endpoint_type(2);
    let response: DescribeClusterResponse = client.call(ApiKey::DescribeCluster, 1, &request);
    assert_eq!(
        response.error_code,
        ResponseError::UnsupportedEndpointType.code()
    );
    assert!(response
        .error_message
        .is_some_and(|m| m.contains("endpoint type 2")));
    assert!(response.brokers.is_empty());
}
