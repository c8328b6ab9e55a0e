//! One data directory belongs to one broker: a second broker pointed at it refuses to start with
//! a message naming the lock, and the first keeps serving.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::messages::produce::Acks;
use rustlog_tests::{broker_binary, BrokerProcess};
use std::process::Command;

#[test]
fn a_second_broker_on_the_same_data_dir_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut first = BrokerProcess::start(&data_dir, &[]);
    let mut client = first.client();
    client.create_topic("owned", 1, &[]);
    client.produce("owned", 0, Acks::Leader, &[b"before"]);

    let output = Command::new(broker_binary())
        .args(["--data-dir", data_dir.to_str().unwrap()])
        .args(["--listen", "127.0.0.1:0", "--metrics-listen", "off"])
        .args(["--kafka-listen", "off"])
        .output()
        .unwrap();
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(".lock"), "{stderr}");

    client.produce("owned", 0, Acks::Leader, &[b"after"]);
    assert_eq!(
        client.fetch_all_values("owned", 0, 0),
        vec![b"before".to_vec(), b"after".to_vec()]
    );
    first.terminate();
}
