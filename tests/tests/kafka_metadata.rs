//! kcat's view of the cluster through the Kafka listener: one broker, node 0, at the advertised
//! address, controller and leader of every partition of every topic; an unknown topic is
//! reported as such and not auto-created.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use kafka_support::{kafka_broker, kcat_ok};
use serde_json::Value;

fn metadata(bootstrap: &str, extra: &[&str]) -> Value {
    let mut args = vec!["-L", "-J", "-m", "10"];
    args.extend_from_slice(extra);
    serde_json::from_str(&kcat_ok(bootstrap, &args, "")).unwrap()
}

#[test]
fn kcat_lists_the_topic_its_partitions_and_broker_0_at_the_bound_address() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("orders", 3, &[]);

    let meta = metadata(&kafka, &[]);
    assert_eq!(meta["controllerid"], 0);
    let brokers = meta["brokers"].as_array().unwrap();
    assert_eq!(brokers.len(), 1);
    assert_eq!(brokers[0]["id"], 0);
    assert_eq!(brokers[0]["name"], kafka.as_str());
    let topics = meta["topics"].as_array().unwrap();
    let orders = topics.iter().find(|t| t["topic"] == "orders").unwrap();
    let partitions = orders["partitions"].as_array().unwrap();
    assert_eq!(partitions.len(), 3);
    for (index, p) in partitions.iter().enumerate() {
        assert_eq!(p["partition"], index);
        assert_eq!(p["leader"], 0);
        assert_eq!(p["replicas"][0]["id"], 0);
        assert_eq!(p["isrs"][0]["id"], 0);
    }
}

#[test]
fn the_advertised_listener_is_what_clients_are_told() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let advertised = format!("localhost:{port}");
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(
        &dir,
        &[
            "--kafka-listen",
            &listen,
            "--kafka-advertised-listener",
            &advertised,
        ],
    );
    assert_eq!(kafka, listen);
    let meta = metadata(&kafka, &[]);
    assert_eq!(meta["brokers"][0]["name"], advertised.as_str());
}

#[test]
fn an_unknown_topic_is_reported_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    let meta = metadata(&kafka, &["-t", "nowhere"]);
    let topic = &meta["topics"][0];
    assert_eq!(topic["topic"], "nowhere");
    assert!(
        topic["error"]
            .as_str()
            .unwrap_or_default()
            .contains("Unknown topic"),
        "{topic}"
    );
    // Still absent from the native side.
    let all = metadata(&kafka, &[]);
    assert!(all["topics"].as_array().unwrap().is_empty(), "{all}");
    drop(broker);
}
