//! Long-polling fetches: woken early by a new append, answered empty at `max_wait_ms`, and
//! a waiting fetch does not hold up reading the requests behind it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::{ApiKey, Response, ResponseBody};
use rustlog_tests::{fetch_request, records_of, BrokerProcess};
use std::time::{Duration, Instant};

/// Far longer than any test waits: a fetch answering before it proves it was woken.
const LONG_WAIT_MS: u32 = 30_000;

#[test]
fn waiting_fetch_returns_as_soon_as_a_record_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut admin = broker.client();
    admin.create_topic("lp", 1, &[]);
    let addr = broker.addr();
    let waiter = std::thread::spawn(move || {
        let mut client = rustlog_tests::RawClient::connect(addr);
        let started = Instant::now();
        let p = client.fetch_wait("lp", 0, 0, LONG_WAIT_MS, 1);
        (started.elapsed(), p)
    });
    std::thread::sleep(Duration::from_millis(300));
    admin.produce("lp", 0, Acks::Leader, &[b"wake up"]);
    let (elapsed, p) = waiter.join().unwrap();
    assert!(
        elapsed < Duration::from_millis(u64::from(LONG_WAIT_MS)),
        "{elapsed:?}"
    );
    let records = records_of(&p.records);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].2.as_deref(), Some(&b"wake up"[..]));
}

#[test]
fn waiting_fetch_times_out_empty() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut client = broker.client();
    client.create_topic("lp", 1, &[]);
    let started = Instant::now();
    let p = client.fetch_wait("lp", 0, 0, 300, 1);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(p.records.is_empty());
    assert_eq!(p.high_watermark, 0);
}

#[test]
fn a_waiting_fetch_does_not_block_later_requests_on_the_same_connection() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut client = broker.client();
    client.create_topic("lp", 1, &[]);
    // A long poll, then a produce on the same connection: the produce must be read and applied
    // while the fetch waits (it is what wakes the fetch), and answers still come in order.
    let fetch_id = client.send(&fetch_request("lp", 0, 0, LONG_WAIT_MS, 1).into());
    let produce = rustlog_tests::produce_request("lp", 0, Acks::Leader, &[b"same conn"]);
    let produce_id = client.send(&produce.into());
    let started = Instant::now();
    let ResponseBody::Ok(Response::Fetch(fetch)) = client.receive(ApiKey::Fetch, fetch_id) else {
        panic!()
    };
    assert!(started.elapsed() < Duration::from_millis(u64::from(LONG_WAIT_MS)));
    assert_eq!(records_of(&fetch.partitions[0].records).len(), 1);
    assert!(matches!(
        client.receive(ApiKey::Produce, produce_id),
        ResponseBody::Ok(Response::Produce(_))
    ));
}
