//! Consumer groups over TCP: join, rebalance when a member joins or times out, stale-generation
//! commits rejected, offsets isolated per group, ListGroups / DescribeGroup with lag.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::messages::describe_group::DescribeGroupRequest;
use rustlog_protocol::messages::heartbeat::HeartbeatRequest;
use rustlog_protocol::messages::join_group::{Assignor, JoinGroupRequest, JoinGroupResponse};
use rustlog_protocol::messages::leave_group::LeaveGroupRequest;
use rustlog_protocol::messages::list_groups::ListGroupsRequest;
use rustlog_protocol::messages::offset_commit::{OffsetCommitEntry, OffsetCommitRequest};
use rustlog_protocol::messages::offset_fetch::OffsetFetchRequest;
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::{ErrorCode, Response, TopicPartition};
use rustlog_tests::{BrokerProcess, RawClient};
use std::net::SocketAddr;

/// Short session so the timeout scenario is quick.
const SESSION_TIMEOUT_MS: u32 = 600;

fn join_request(group: &str, member_id: Option<String>, assignor: Assignor) -> JoinGroupRequest {
    JoinGroupRequest {
        group_id: group.into(),
        member_id,
        client_id: "test".into(),
        topics: vec!["events".into()],
        session_timeout_ms: SESSION_TIMEOUT_MS,
        rebalance_timeout_ms: 5_000,
        assignor,
    }
}

fn join(client: &mut RawClient, request: JoinGroupRequest) -> JoinGroupResponse {
    let Response::JoinGroup(r) = client.call_ok(request) else {
        panic!()
    };
    r
}

fn join_in_thread(
    addr: SocketAddr,
    request: JoinGroupRequest,
) -> std::thread::JoinHandle<JoinGroupResponse> {
    std::thread::spawn(move || join(&mut RawClient::connect(addr), request))
}

fn owned(r: &JoinGroupResponse) -> Vec<u32> {
    r.assignment
        .iter()
        .flat_map(|tp| tp.partitions.clone())
        .collect()
}

fn commit(
    group: &str,
    generation: Option<i32>,
    member: Option<String>,
    offset: u64,
) -> OffsetCommitRequest {
    OffsetCommitRequest {
        group_id: group.into(),
        generation_id: generation,
        member_id: member,
        only_if_empty: false,
        offsets: vec![OffsetCommitEntry {
            topic: "events".into(),
            partition: 0,
            offset,
            metadata: Some("note".into()),
        }],
    }
}

fn start() -> (tempfile::TempDir, BrokerProcess) {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    broker.client().create_topic("events", 4, &[]);
    (dir, broker)
}

#[test]
fn second_member_triggers_a_rebalance_and_partitions_are_split() {
    let (_dir, broker) = start();
    let mut a = broker.client();
    let first = join(&mut a, join_request("g", None, Assignor::Range));
    assert_eq!(first.generation_id, 1);
    assert_eq!(owned(&first), vec![0, 1, 2, 3]);
    assert_eq!(first.member_count, 1);

    let b_join = join_in_thread(broker.addr(), join_request("g", None, Assignor::Range));
    // A learns of the rebalance from its heartbeat, then rejoins.
    let code = loop {
        let (code, _) = match a.call(HeartbeatRequest {
            group_id: "g".into(),
            member_id: first.member_id.clone(),
            generation_id: first.generation_id,
        }) {
            rustlog_protocol::ResponseBody::Ok(_) => (ErrorCode::None, String::new()),
            rustlog_protocol::ResponseBody::Err { code, message } => (code, message),
        };
        if code != ErrorCode::None {
            break code;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(code, ErrorCode::RebalanceInProgress);
    let a2 = join(
        &mut a,
        join_request("g", Some(first.member_id.clone()), Assignor::Range),
    );
    let b = b_join.join().unwrap();
    assert_eq!(a2.generation_id, 2);
    assert_eq!(b.generation_id, 2);
    assert_eq!(a2.member_count, 2);
    let mut all = owned(&a2);
    all.extend(owned(&b));
    all.sort();
    assert_eq!(all, vec![0, 1, 2, 3], "every partition owned exactly once");
    assert_eq!(owned(&a2).len(), 2);

    // The old generation can no longer commit; the current one can.
    let (code, message) = a.call_err(commit("g", Some(1), Some(first.member_id.clone()), 5));
    assert_eq!(code, ErrorCode::IllegalGeneration, "{message}");
    a.call_ok(commit("g", Some(2), Some(first.member_id.clone()), 5));
    let (code, _) = a.call_err(commit("g", Some(2), Some("stranger".into()), 5));
    assert_eq!(code, ErrorCode::UnknownMemberId);

    // B leaves: A must rejoin and then owns everything again.
    a.call_ok(LeaveGroupRequest {
        group_id: "g".into(),
        member_id: b.member_id.clone(),
    });
    let a3 = join(
        &mut a,
        join_request("g", Some(first.member_id.clone()), Assignor::Range),
    );
    assert_eq!(a3.generation_id, 3);
    assert_eq!(owned(&a3), vec![0, 1, 2, 3]);
}

#[test]
fn a_member_that_stops_heartbeating_is_removed_and_the_rest_rebalance() {
    let (_dir, broker) = start();
    let mut a = broker.client();
    let first = join(&mut a, join_request("g", None, Assignor::RoundRobin));
    let b_join = join_in_thread(broker.addr(), join_request("g", None, Assignor::RoundRobin));
    // A never rejoins nor heartbeats: after its session times out, B completes alone.
    let b = b_join.join().unwrap();
    assert_eq!(b.member_count, 1);
    assert_eq!(owned(&b), vec![0, 1, 2, 3]);
    assert!(b.generation_id > first.generation_id);
    let (code, _) = a.call_err(HeartbeatRequest {
        group_id: "g".into(),
        member_id: first.member_id.clone(),
        generation_id: first.generation_id,
    });
    assert_eq!(code, ErrorCode::UnknownMemberId);
}

#[test]
fn invalid_group_requests_get_clear_errors() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    let mut bad = join_request("", None, Assignor::Range);
    assert_eq!(client.call_err(bad.clone()).0, ErrorCode::InvalidGroupId);
    bad.group_id = "g".into();
    bad.session_timeout_ms = 1;
    assert_eq!(
        client.call_err(bad.clone()).0,
        ErrorCode::InvalidSessionTimeout
    );
    bad.session_timeout_ms = SESSION_TIMEOUT_MS;
    bad.member_id = Some("made-up".into());
    assert_eq!(client.call_err(bad).0, ErrorCode::UnknownMemberId);
    let (code, _) = client.call_err(DescribeGroupRequest {
        group_id: "nobody".into(),
    });
    assert_eq!(code, ErrorCode::GroupNotFound);
}

#[test]
fn offsets_are_isolated_per_group_and_lag_is_reported() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    for _ in 0..10 {
        client.produce("events", 0, Acks::Leader, &[b"x"]);
    }
    client.call_ok(commit("alpha", None, None, 3));
    client.call_ok(commit("beta", None, None, 8));
    let Response::OffsetFetch(alpha) = client.call_ok(OffsetFetchRequest {
        group_id: "alpha".into(),
        partitions: Some(vec![
            TopicPartition {
                topic: "events".into(),
                partition: 0,
            },
            TopicPartition {
                topic: "events".into(),
                partition: 1,
            },
        ]),
    }) else {
        panic!()
    };
    assert_eq!(alpha.offsets[0].offset, Some(3));
    assert_eq!(alpha.offsets[0].metadata.as_deref(), Some("note"));
    assert_eq!(alpha.offsets[1].offset, None);
    let Response::OffsetFetch(beta) = client.call_ok(OffsetFetchRequest {
        group_id: "beta".into(),
        partitions: None,
    }) else {
        panic!()
    };
    assert_eq!(beta.offsets.len(), 1);
    assert_eq!(beta.offsets[0].offset, Some(8));
    let Response::DescribeGroup(d) = client.call_ok(DescribeGroupRequest {
        group_id: "alpha".into(),
    }) else {
        panic!()
    };
    assert_eq!(d.offsets[0].lag, 7);
    assert_eq!(d.offsets[0].high_watermark, 10);
    let Response::ListGroups(list) = client.call_ok(ListGroupsRequest {}) else {
        panic!()
    };
    let ids: Vec<&str> = list.groups.iter().map(|g| g.group_id.as_str()).collect();
    assert_eq!(ids, vec!["alpha", "beta"]);
    // Committing to a partition that does not exist is refused for that entry.
    let mut bad = commit("alpha", None, None, 1);
    bad.offsets[0].partition = 99;
    let Response::OffsetCommit(r) = client.call_ok(bad) else {
        panic!()
    };
    assert_eq!(r.partitions[0].error_code, ErrorCode::PartitionNotFound);
}

#[test]
fn a_commit_past_the_high_watermark_is_refused_beside_a_good_one() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    client.fill("events", 0, 5);
    client.fill("events", 1, 5);
    let entry = |partition, offset| OffsetCommitEntry {
        topic: "events".into(),
        partition,
        offset,
        metadata: None,
    };
    // Partition 0 at its end (5: consumed everything) is good; 6 on partition 1 is past it.
    let Response::OffsetCommit(r) = client.call_ok(OffsetCommitRequest {
        group_id: "past".into(),
        generation_id: None,
        member_id: None,
        only_if_empty: false,
        offsets: vec![entry(0, 5), entry(1, 6)],
    }) else {
        panic!("OffsetCommit answers OffsetCommit")
    };
    let codes: Vec<ErrorCode> = r.partitions.iter().map(|p| p.error_code).collect();
    assert_eq!(codes, vec![ErrorCode::None, ErrorCode::OffsetOutOfRange]);
    let Response::OffsetFetch(fetched) = client.call_ok(OffsetFetchRequest {
        group_id: "past".into(),
        partitions: None,
    }) else {
        panic!("OffsetFetch answers OffsetFetch")
    };
    let stored: Vec<(u32, Option<u64>)> = fetched
        .offsets
        .iter()
        .map(|o| (o.partition, o.offset))
        .collect();
    assert_eq!(
        stored,
        vec![(0, Some(5))],
        "the refused commit stored nothing"
    );
}
