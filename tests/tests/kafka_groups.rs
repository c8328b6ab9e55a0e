//! Kafka consumer-group membership through the raw kafka-protocol client: JoinGroup, SyncGroup,
//! Heartbeat and LeaveGroup at every served version, FindCoordinator, the leader/follower
//! exchange, static members, and the refusals (unknown member, stale generation, inconsistent
//! protocol, a native member in a Kafka group and the other way round).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use kafka_protocol::messages::find_coordinator_request::FindCoordinatorRequest;
use kafka_protocol::messages::find_coordinator_response::FindCoordinatorResponse;
use kafka_protocol::messages::heartbeat_request::HeartbeatRequest;
use kafka_protocol::messages::heartbeat_response::HeartbeatResponse;
use kafka_protocol::messages::join_group_response::JoinGroupResponse;
use kafka_protocol::messages::leave_group_request::{LeaveGroupRequest, MemberIdentity};
use kafka_protocol::messages::leave_group_response::LeaveGroupResponse;
use kafka_protocol::messages::sync_group_response::SyncGroupResponse;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::ResponseError;
use kafka_support::groups::{
    group, join_request, protocols, s, subscription, wait_until, HEARTBEAT_MAX, JOIN_MAX,
    LEAVE_MAX, SYNC_MAX,
};
use kafka_support::{kafka_broker, KafkaRaw};
use rustlog_protocol::messages::join_group::{Assignor, JoinGroupRequest as NativeJoin};
use rustlog_protocol::messages::leave_group::LeaveGroupRequest as NativeLeave;
use rustlog_protocol::{ErrorCode, Response};

fn native_join(group_id: &str) -> NativeJoin {
    NativeJoin {
        group_id: group_id.into(),
        member_id: None,
        client_id: "native".into(),
        topics: vec!["t".into()],
        session_timeout_ms: 10_000,
        rebalance_timeout_ms: 10_000,
        assignor: Assignor::Range,
    }
}

/// A one-member group "g" that completed its sync: (member id, generation).
fn stable_member(
    client: &mut KafkaRaw,
    group_id: &str,
) -> (kafka_protocol::protocol::StrBytes, i32) {
    let joined = client.join_new(JOIN_MAX, &join_request(group_id, ""));
    assert_eq!(joined.error_code, 0);
    let id = joined.member_id.clone();
    let sync = KafkaRaw::sync_request(group_id, joined.generation_id, &id, &[(&id, b"mine")]);
    assert_eq!(client.sync(SYNC_MAX, &sync).error_code, 0);
    (id, joined.generation_id)
}

#[test]
fn join_sync_heartbeat_leave_at_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    for version in 0..=JOIN_MAX {
        let group_id = format!("every-v{version}");
        let joined = client.join_new(version, &join_request(&group_id, ""));
        assert_eq!(joined.error_code, 0, "JoinGroup v{version}");
        assert!(joined.generation_id >= 1, "v{version}");
        assert_eq!(
            joined.leader, joined.member_id,
            "v{version}: the only member leads"
        );
        assert_eq!(joined.members.len(), 1, "v{version}");
        assert_eq!(
            joined.members[0].metadata,
            subscription(&["t"]),
            "v{version}"
        );
        assert_eq!(joined.protocol_name.as_ref().unwrap().as_str(), "range");
        if version >= 7 {
            assert_eq!(joined.protocol_type.as_ref().unwrap().as_str(), "consumer");
        }
        let id = joined.member_id.clone();
        let sync_version = version.min(SYNC_MAX);
        let sync = KafkaRaw::sync_request(&group_id, joined.generation_id, &id, &[(&id, b"p0")]);
        let synced: SyncGroupResponse = client.sync(sync_version, &sync);
        assert_eq!(synced.error_code, 0, "SyncGroup v{sync_version}");
        assert_eq!(&synced.assignment[..], b"p0", "SyncGroup v{sync_version}");
        if sync_version >= 5 {
            assert_eq!(synced.protocol_name.as_ref().unwrap().as_str(), "range");
        }
        let hb_version = version.min(HEARTBEAT_MAX);
        let code = client.heartbeat(hb_version, &group_id, joined.generation_id, &id);
        assert_eq!(code, 0, "Heartbeat v{hb_version}");
        let leave_version = version.min(LEAVE_MAX);
        assert_eq!(
            client.leave(leave_version, &group_id, &id),
            0,
            "LeaveGroup v{leave_version}"
        );
        let code = client.heartbeat(hb_version, &group_id, joined.generation_id, &id);
        assert_eq!(code, ResponseError::UnknownMemberId.code(), "after leaving");
    }
}

#[test]
fn followers_wait_in_sync_group_for_the_leaders_assignment() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let mut leader = KafkaRaw::connect(&kafka);
    let mut follower = KafkaRaw::connect(&kafka);
    let (leader_id, generation) = stable_member(&mut leader, "pair");
    // The follower's second join waits until the leader rejoined.
    let first = follower.join(JOIN_MAX, &join_request("pair", ""));
    assert_eq!(first.error_code, ResponseError::MemberIdRequired.code());
    let pending = follower.send_join(
        JOIN_MAX,
        &join_request("pair", "").with_member_id(first.member_id.clone()),
    );
    // The follower's join travels on its own connection: poll until the broker saw it.
    wait_until("the leader hears of the rebalance", || {
        let code = leader.heartbeat(HEARTBEAT_MAX, "pair", generation, &leader_id);
        code == ResponseError::RebalanceInProgress.code()
    });
    let rejoined = leader.join(
        JOIN_MAX,
        &join_request("pair", "").with_member_id(leader_id.clone()),
    );
    let joined: JoinGroupResponse = follower.recv(ApiKey::JoinGroup, JOIN_MAX, pending);
    assert_eq!(rejoined.generation_id, generation + 1);
    assert_eq!(joined.generation_id, generation + 1);
    assert_eq!(rejoined.leader, leader_id, "the leader stays leader");
    assert_eq!(rejoined.members.len(), 2, "the leader sees every member");
    assert!(joined.members.is_empty(), "a follower sees none");
    // Heartbeats are fine while the assignment is awaited (Kafka's CompletingRebalance).
    let code = follower.heartbeat(
        HEARTBEAT_MAX,
        "pair",
        joined.generation_id,
        &joined.member_id,
    );
    assert_eq!(code, 0);
    let follower_sync =
        KafkaRaw::sync_request("pair", joined.generation_id, &joined.member_id, &[]);
    let waiting = follower.send(ApiKey::SyncGroup, SYNC_MAX, &follower_sync);
    let assignments = [(&leader_id, &b"L"[..]), (&joined.member_id, &b"F"[..])];
    let leader_sync =
        KafkaRaw::sync_request("pair", rejoined.generation_id, &leader_id, &assignments);
    assert_eq!(&leader.sync(SYNC_MAX, &leader_sync).assignment[..], b"L");
    let fanned: SyncGroupResponse = follower.recv(ApiKey::SyncGroup, SYNC_MAX, waiting);
    assert_eq!(fanned.error_code, 0);
    assert_eq!(&fanned.assignment[..], b"F");
}

#[test]
fn bad_membership_is_refused_next_to_good() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let (id, generation) = stable_member(&mut client, "strict");
    assert_eq!(
        client.heartbeat(HEARTBEAT_MAX, "strict", generation, &id),
        0
    );
    let code = client.heartbeat(HEARTBEAT_MAX, "strict", generation, &s("nobody"));
    assert_eq!(code, ResponseError::UnknownMemberId.code());
    let code = client.heartbeat(HEARTBEAT_MAX, "strict", generation - 1, &id);
    assert_eq!(code, ResponseError::IllegalGeneration.code());
    let stale = KafkaRaw::sync_request("strict", generation + 5, &id, &[]);
    assert_eq!(
        client.sync(SYNC_MAX, &stale).error_code,
        ResponseError::IllegalGeneration.code()
    );
    let rejoin_unknown = join_request("strict", "nobody");
    let code = client.join(JOIN_MAX, &rejoin_unknown).error_code;
    assert_eq!(code, ResponseError::UnknownMemberId.code());
    let inconsistent = ResponseError::InconsistentGroupProtocol.code();
    let no_shared = join_request("strict", "").with_protocols(protocols(&["roundrobin"], &["t"]));
    assert_eq!(client.join(JOIN_MAX, &no_shared).error_code, inconsistent);
    let other_type = join_request("strict", "").with_protocol_type(s("connect"));
    assert_eq!(client.join(JOIN_MAX, &other_type).error_code, inconsistent);
    let no_protocols = join_request("fresh", "").with_protocols(vec![]);
    assert_eq!(
        client.join(JOIN_MAX, &no_protocols).error_code,
        inconsistent
    );
    let too_short = join_request("fresh", "").with_session_timeout_ms(1);
    let code = client.join(JOIN_MAX, &too_short).error_code;
    assert_eq!(code, ResponseError::InvalidSessionTimeout.code());
    let bad_group = join_request("", "");
    assert_eq!(
        client.join(JOIN_MAX, &bad_group).error_code,
        ResponseError::InvalidGroupId.code()
    );
    // The refusals changed nothing: the member is still in its generation.
    assert_eq!(
        client.heartbeat(HEARTBEAT_MAX, "strict", generation, &id),
        0
    );
}

#[test]
fn native_and_kafka_members_never_share_a_group() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let mut native = broker.client();
    let (id, _) = stable_member(&mut client, "mixed");
    let (code, message) = native.call_err(native_join("mixed"));
    assert_eq!(code, ErrorCode::InconsistentGroupProtocol);
    assert!(
        message.contains("Kafka") && message.contains("native"),
        "{message}"
    );
    // Once empty, the group may change kind, and then refuses Kafka members.
    assert_eq!(client.leave(LEAVE_MAX, "mixed", &id), 0);
    let Response::JoinGroup(joined) = native.call_ok(native_join("mixed")) else {
        panic!("a native join answers JoinGroup");
    };
    let refused = client.join_new(3, &join_request("mixed", ""));
    assert_eq!(
        refused.error_code,
        ResponseError::InconsistentGroupProtocol.code()
    );
    native.call_ok(NativeLeave {
        group_id: "mixed".into(),
        member_id: joined.member_id,
    });
    assert_eq!(client.join_new(3, &join_request("mixed", "")).error_code, 0);
}

#[test]
fn a_static_member_rejoining_fences_its_old_member_id() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let static_join = join_request("static", "").with_group_instance_id(Some(s("pod-1")));
    // Static members join at once: no MEMBER_ID_REQUIRED round trip.
    let first = client.join(5, &static_join);
    assert_eq!(first.error_code, 0);
    assert_eq!(
        first.members[0]
            .group_instance_id
            .as_ref()
            .unwrap()
            .as_str(),
        "pod-1"
    );
    let id = first.member_id.clone();
    let sync = KafkaRaw::sync_request("static", first.generation_id, &id, &[(&id, b"kept")]);
    client.sync(SYNC_MAX, &sync);
    let again = client.join(5, &static_join);
    assert_eq!(again.error_code, 0);
    assert_ne!(again.member_id, id, "a new member id");
    assert_eq!(again.generation_id, first.generation_id, "no rebalance");
    let sync = KafkaRaw::sync_request("static", again.generation_id, &again.member_id, &[]);
    assert_eq!(&client.sync(SYNC_MAX, &sync).assignment[..], b"kept");
    let old = HeartbeatRequest::default()
        .with_group_id(group("static"))
        .with_generation_id(first.generation_id)
        .with_member_id(id)
        .with_group_instance_id(Some(s("pod-1")));
    let response: HeartbeatResponse = client.call(ApiKey::Heartbeat, HEARTBEAT_MAX, &old);
    assert_eq!(response.error_code, ResponseError::FencedInstanceId.code());
}

#[test]
fn leave_group_v3_answers_each_member() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let (id, _) = stable_member(&mut client, "leaving");
    for version in 3..=LEAVE_MAX {
        let request = LeaveGroupRequest::default()
            .with_group_id(group("leaving"))
            .with_members(vec![
                MemberIdentity::default().with_member_id(id.clone()),
                MemberIdentity::default().with_member_id(s("stranger")),
            ]);
        let response: LeaveGroupResponse = client.call(ApiKey::LeaveGroup, version, &request);
        let codes: Vec<i16> = response.members.iter().map(|m| m.error_code).collect();
        let first_code = if version == 3 {
            0
        } else {
            ResponseError::UnknownMemberId.code()
        };
        assert_eq!(
            codes,
            vec![first_code, ResponseError::UnknownMemberId.code()],
            "v{version}: the first leave removes the member, the second finds it gone"
        );
    }
}

#[test]
fn find_coordinator_at_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let port: i32 = kafka.rsplit_once(':').unwrap().1.parse().unwrap();
    let mut client = KafkaRaw::connect(&kafka);
    for version in 0..=3 {
        let request = FindCoordinatorRequest::default().with_key(s("any-group"));
        let response: FindCoordinatorResponse =
            client.call(ApiKey::FindCoordinator, version, &request);
        assert_eq!(response.error_code, 0, "v{version}");
        assert_eq!((response.node_id.0, response.port), (0, port), "v{version}");
        assert_eq!(response.host.as_str(), "127.0.0.1", "v{version}");
    }
    let transactional = FindCoordinatorRequest::default()
        .with_key(s("tx-id"))
        .with_key_type(1);
    let response: FindCoordinatorResponse = client.call(ApiKey::FindCoordinator, 3, &transactional);
    assert_eq!(response.error_code, ResponseError::InvalidRequest.code());
    assert!(response.error_message.unwrap().contains("transactions"));
    let batched = FindCoordinatorRequest::default().with_coordinator_keys(vec![s("a"), s("")]);
    let response: FindCoordinatorResponse = client.call(ApiKey::FindCoordinator, 4, &batched);
    let found: Vec<(&str, i16, i32)> = response
        .coordinators
        .iter()
        .map(|c| (c.key.as_str(), c.error_code, c.port))
        .collect();
    let invalid_group = ResponseError::InvalidGroupId.code();
    assert_eq!(found, vec![("a", 0, port), ("", invalid_group, 0)]);
}
