//! Restarts: kill -9 during durable produce loses nothing acknowledged; SIGTERM exits 0 after a
//! flush; segments, committed offsets and group generations survive a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::messages::join_group::{Assignor, JoinGroupRequest};
use rustlog_protocol::messages::list_groups::ListGroupsRequest;
use rustlog_protocol::messages::offset_commit::{OffsetCommitEntry, OffsetCommitRequest};
use rustlog_protocol::messages::offset_fetch::OffsetFetchRequest;
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::{ErrorCode, Response, ResponseBody};
use rustlog_tests::{produce_request, BrokerProcess, RawClient};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn kill_9_during_durable_produce_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    broker
        .client()
        .create_topic("durable", 1, &[("segment.bytes", "65536")]);
    let addr = broker.addr();
    let stop = Arc::new(AtomicBool::new(false));
    let acked_count = Arc::new(AtomicUsize::new(0));
    let producer = {
        let stop = stop.clone();
        let acked_count = acked_count.clone();
        std::thread::spawn(move || {
            let mut client = RawClient::connect(addr);
            let mut acked: Vec<(u64, String)> = Vec::new();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let value = format!("record-{i}");
                let request = produce_request("durable", 0, Acks::Durable, &[value.as_bytes()]);
                let id = client.send(&request.into());
                // The broker may die at any moment: only a received ack counts.
                let Ok(frame) = client.read_frame() else {
                    break;
                };
                assert_eq!(frame.header.correlation_id, id);
                let Ok(ResponseBody::Ok(Response::Produce(p))) =
                    Response::decode(rustlog_protocol::ApiKey::Produce, &frame)
                else {
                    break;
                };
                assert_eq!(p.partitions[0].error_code, ErrorCode::None);
                acked.push((p.partitions[0].base_offset, value));
                acked_count.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            acked
        })
    };
    // Kill while produces are in flight, once a fair number were acknowledged.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while acked_count.load(Ordering::Relaxed) < 50 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    broker.kill9();
    stop.store(true, Ordering::Relaxed);
    let acked = producer.join().unwrap();
    assert!(
        !acked.is_empty(),
        "some produces were acknowledged before the kill"
    );
    broker.restart();
    let mut client = broker.client();
    let values = client.fetch_all_values("durable", 0, 0);
    for (offset, value) in &acked {
        assert_eq!(
            values.get(*offset as usize).map(Vec::as_slice),
            Some(value.as_bytes()),
            "acknowledged record at offset {offset} is missing after kill -9"
        );
    }
}

#[test]
fn sigterm_exits_zero_and_a_restart_sees_every_acknowledged_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut client = broker.client();
    // fsync.policy=never: only the shutdown flush makes the data durable.
    client.create_topic(
        "t",
        2,
        &[("segment.bytes", "4096"), ("fsync.policy", "never")],
    );
    let mut expected = Vec::new();
    for i in 0..300 {
        let value = format!("value-{i}").into_bytes();
        client.produce("t", 1, Acks::Leader, &[&value]);
        expected.push(value);
    }
    drop(client);
    let status = broker.terminate();
    assert!(status.success(), "exit status {status:?}");
    assert!(
        broker.logs().contains("shutdown complete"),
        "{}",
        broker.logs()
    );
    broker.restart();
    let mut client = broker.client();
    assert_eq!(client.fetch_all_values("t", 1, 0), expected);
    // New records continue at the next offset.
    assert_eq!(client.produce("t", 1, Acks::Leader, &[b"after"]), 300);
}

#[test]
fn committed_offsets_and_group_generations_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut client = broker.client();
    client.create_topic("events", 2, &[]);
    client.fill("events", 1, 42);
    let join = |client: &mut RawClient, member_id: Option<String>| {
        let Response::JoinGroup(r) = client.call_ok(JoinGroupRequest {
            group_id: "g".into(),
            member_id,
            client_id: "c".into(),
            topics: vec!["events".into()],
            session_timeout_ms: 10_000,
            rebalance_timeout_ms: 10_000,
            assignor: Assignor::Range,
        }) else {
            panic!()
        };
        r
    };
    let before = join(&mut client, None);
    client.call_ok(OffsetCommitRequest {
        group_id: "g".into(),
        generation_id: Some(before.generation_id),
        member_id: Some(before.member_id.clone()),
        only_if_empty: false,
        offsets: vec![OffsetCommitEntry {
            topic: "events".into(),
            partition: 1,
            offset: 42,
            metadata: None,
        }],
    });
    broker.kill9();
    broker.restart();
    let mut client = broker.client();
    let Response::OffsetFetch(offsets) = client.call_ok(OffsetFetchRequest {
        group_id: "g".into(),
        partitions: None,
    }) else {
        panic!()
    };
    assert_eq!(offsets.offsets.len(), 1);
    assert_eq!(offsets.offsets[0].offset, Some(42));
    let Response::ListGroups(list) = client.call_ok(ListGroupsRequest {}) else {
        panic!()
    };
    assert_eq!(list.groups[0].group_id, "g");
    assert_eq!(list.groups[0].generation_id, before.generation_id);
    assert_eq!(
        list.groups[0].member_count, 0,
        "members rejoin after a restart"
    );
    // The old member is unknown now; a fresh join gets a newer generation.
    let (code, _) = client.call_err(OffsetCommitRequest {
        group_id: "g".into(),
        generation_id: Some(before.generation_id),
        member_id: Some(before.member_id.clone()),
        only_if_empty: false,
        offsets: vec![],
    });
    assert_eq!(code, ErrorCode::UnknownMemberId);
    let after = join(&mut client, None);
    assert!(after.generation_id > before.generation_id);
}
