//! SIGTERM with requests in flight (issue 13, gap 7): every request the broker had read gets
//! its answer (a success, or `BrokerShuttingDown`), the broker exits 0, and every acknowledged
//! record is there after a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::BytesMut;
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::{ErrorCode, Request, Response, ResponseBody};
use rustlog_tests::{fetch_request, http_get, metric_value, produce_request, BrokerProcess};
use std::time::{Duration, Instant};

/// Produce requests pipelined behind the long poll: more than the in-flight limit (128), so
/// most of them are still buffered, read but not started, when SIGTERM comes.
const PRODUCES: usize = 300;

/// Waits until the broker has read at least `bytes` from its clients (its own counter), so the
/// test knows the pipelined requests were read before it sends SIGTERM.
fn wait_until_read(broker: &BrokerProcess, bytes: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = http_get(broker.metrics_addr().unwrap(), "/metrics")
            .unwrap()
            .1;
        let read = metric_value(&text, "rustlog_bytes_in_total").unwrap_or(0.0);
        if read >= bytes as f64 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "broker read {read} of {bytes} bytes"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_answers_every_request_already_read_and_keeps_every_acknowledged_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut client = broker.client();
    client.create_topic("waits", 1, &[]);
    client.create_topic("acked", 1, &[]);
    let setup_bytes = {
        let text = http_get(broker.metrics_addr().unwrap(), "/metrics")
            .unwrap()
            .1;
        metric_value(&text, "rustlog_bytes_in_total").unwrap() as usize
    };
    // A long poll on an empty partition first: every answer queues behind it, in order.
    let mut requests: Vec<Request> = vec![fetch_request("waits", 0, 0, 30_000, 1).into()];
    for i in 0..PRODUCES {
        let value = format!("value-{i}");
        requests.push(produce_request("acked", 0, Acks::Durable, &[value.as_bytes()]).into());
    }
    let mut bytes = BytesMut::new();
    for (i, request) in requests.iter().enumerate() {
        request.encode_frame(i as u32 + 1, &mut bytes).unwrap();
    }
    client.send_raw(&bytes).unwrap();
    wait_until_read(&broker, setup_bytes + bytes.len());

    broker.send_sigterm();
    let mut acked = Vec::new();
    for (i, request) in requests.iter().enumerate() {
        let frame = client
            .read_frame()
            .unwrap_or_else(|e| panic!("request {i} of {} got no answer: {e}", requests.len()));
        assert_eq!(frame.header.correlation_id, i as u32 + 1, "in order");
        match Response::decode(request.api_key(), &frame).unwrap() {
            ResponseBody::Ok(Response::Fetch(_)) => assert_eq!(i, 0),
            ResponseBody::Ok(Response::Produce(p)) => {
                let partition = &p.partitions[0];
                if partition.error_code == ErrorCode::None {
                    acked.push((partition.base_offset, format!("value-{}", i - 1)));
                } else {
                    assert_eq!(partition.error_code, ErrorCode::BrokerShuttingDown);
                }
            }
            ResponseBody::Err { code, .. } => assert_eq!(code, ErrorCode::BrokerShuttingDown),
            other => panic!("unexpected answer to {:?}: {other:?}", request.api_key()),
        }
    }
    assert!(client.is_closed_by_broker(), "closed after the last answer");
    let status = broker.wait_exit();
    assert!(status.success(), "exit status {status:?}");

    broker.restart();
    let mut client = broker.client();
    let stored = client.fetch_all_values("acked", 0, 0);
    for (offset, value) in &acked {
        assert_eq!(
            stored.get(*offset as usize).map(Vec::as_slice),
            Some(value.as_bytes()),
            "acknowledged offset {offset}"
        );
    }
    assert!(!acked.is_empty());
}
