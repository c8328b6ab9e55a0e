//! Unit tests of the classic (Kafka) protocol state machine, through the coordinator.
use super::*;
use crate::groups::coordinator::tests::coordinator;
use crate::groups::coordinator::{CommitAs, CommitEntry, Coordinator, NativeJoin, OffsetCommit};
use crate::groups::Assignor;
use rustlog_protocol::ErrorCode;

const SESSION_MS: u32 = 1000;

fn protocol(name: &str) -> ClassicProtocol {
    ClassicProtocol {
        name: name.into(),
        metadata: Bytes::from(format!("meta-{name}")),
    }
}

fn join(member_id: &str, protocols: &[&str]) -> ClassicJoin {
    ClassicJoin {
        group_id: "g".into(),
        member_id: member_id.into(),
        group_instance_id: None,
        client_id: "c".into(),
        client_host: String::new(),
        protocol_type: "consumer".into(),
        protocols: protocols.iter().map(|p| protocol(p)).collect(),
        session_timeout_ms: SESSION_MS,
        rebalance_timeout_ms: SESSION_MS,
        require_known_member_id: false,
    }
}

fn static_join(member_id: &str, instance: &str) -> ClassicJoin {
    ClassicJoin {
        group_instance_id: Some(instance.into()),
        ..join(member_id, &["range"])
    }
}

fn sync(member_id: &str, generation_id: i32, assignments: &[(&str, &str)]) -> ClassicSync {
    ClassicSync {
        group_id: "g".into(),
        member_id: member_id.into(),
        group_instance_id: None,
        generation_id,
        protocol_type: Some("consumer".into()),
        protocol_name: None,
        assignments: assignments
            .iter()
            .map(|(id, a)| (id.to_string(), Bytes::from(a.to_string())))
            .collect(),
    }
}

/// A SyncGroup whose group file write (when it carries the leader's assignment) succeeds at
/// once.
pub(crate) fn kafka_sync(
    c: &Coordinator,
    request: &ClassicSync,
) -> Result<oneshot::Receiver<SyncReply>, GroupError> {
    let wait = c.kafka_sync(request)?;
    if let Some(generation_id) = wait.store_generation {
        c.kafka_assignment_stored(&request.group_id, generation_id, Ok(()));
    }
    Ok(wait.reply)
}

fn member(member_id: &str) -> MemberRef {
    MemberRef {
        member_id: member_id.into(),
        group_instance_id: None,
    }
}

/// A join that must complete at once.
fn joined_now(c: &Coordinator, request: &ClassicJoin) -> ClassicJoined {
    let mut rx = c.kafka_join(request).unwrap();
    rx.try_recv().expect("the join completes at once").unwrap()
}

/// Two members in a stable generation 2: `a` (leader) with "A", `b` with "B".
fn stable_pair(c: &Coordinator) -> (String, String) {
    let a = joined_now(c, &join("", &["range"]));
    let mut b_rx = c.kafka_join(&join("", &["range"])).unwrap();
    assert!(b_rx.try_recv().is_err(), "b waits for a to rejoin");
    let a2 = joined_now(c, &join(&a.member_id, &["range"]));
    let b = b_rx.try_recv().unwrap().unwrap();
    assert_eq!((a2.generation_id, b.generation_id), (2, 2));
    let mut b_sync = kafka_sync(c, &sync(&b.member_id, 2, &[])).unwrap();
    let a_assignments = [(a.member_id.as_str(), "A"), (b.member_id.as_str(), "B")];
    let mut a_sync = kafka_sync(c, &sync(&a.member_id, 2, &a_assignments)).unwrap();
    assert_eq!(a_sync.try_recv().unwrap().unwrap().assignment, "A");
    assert_eq!(b_sync.try_recv().unwrap().unwrap().assignment, "B");
    (a.member_id, b.member_id)
}

#[tokio::test]
async fn first_joiner_leads_and_alone_gets_every_members_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let a = joined_now(&c, &join("", &["range"]));
    assert_eq!(a.leader_id, a.member_id);
    assert_eq!(a.generation_id, 1);
    let mut b_rx = c.kafka_join(&join("", &["range"])).unwrap();
    let a2 = joined_now(&c, &join(&a.member_id, &["range"]));
    let b = b_rx.try_recv().unwrap().unwrap();
    assert_eq!(a2.leader_id, a.member_id);
    assert_eq!(b.leader_id, a.member_id);
    assert_eq!(a2.members.len(), 2);
    assert!(a2.members.iter().all(|m| m.metadata == "meta-range"));
    assert!(b.members.is_empty(), "followers get no member list");
    assert_eq!(a2.protocol_type, "consumer");
}

#[tokio::test]
async fn the_most_voted_common_protocol_wins() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let a = joined_now(&c, &join("", &["sticky", "range", "roundrobin"]));
    let mut b_rx = c.kafka_join(&join("", &["roundrobin", "range"])).unwrap();
    let mut d_rx = c.kafka_join(&join("", &["roundrobin", "range"])).unwrap();
    let a2 = joined_now(&c, &join(&a.member_id, &["sticky", "range", "roundrobin"]));
    // "sticky" is not supported by all; a votes range, b and d vote roundrobin.
    assert_eq!(a2.protocol_name.as_deref(), Some("roundrobin"));
    assert!(a2.members.iter().all(|m| m.metadata == "meta-roundrobin"));
    assert_eq!(
        b_rx.try_recv().unwrap().unwrap().protocol_name.as_deref(),
        Some("roundrobin")
    );
    assert!(d_rx.try_recv().unwrap().is_ok());
}

#[tokio::test]
async fn inconsistent_protocols_and_kinds_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    joined_now(&c, &join("", &["range"]));
    let err = c.kafka_join(&join("", &["roundrobin"])).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InconsistentGroupProtocol);
    assert!(err.to_string().contains("roundrobin"), "{err}");
    let other_type = ClassicJoin {
        protocol_type: "connect".into(),
        ..join("", &["range"])
    };
    let err = c.kafka_join(&other_type).unwrap_err();
    assert!(err.to_string().contains("connect"), "{err}");
    let native = NativeJoin {
        group_id: "g".into(),
        member_id: None,
        client_id: "n".into(),
        topics: vec!["t".into()],
        session_timeout_ms: SESSION_MS,
        rebalance_timeout_ms: SESSION_MS,
        assignor: Assignor::Range,
    };
    let err = c.join(native).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InconsistentGroupProtocol);
    assert!(
        err.to_string().contains("Kafka") && err.to_string().contains("native"),
        "{err}"
    );
}

#[tokio::test]
async fn an_emptied_group_may_change_kind() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let native = NativeJoin {
        group_id: "g".into(),
        member_id: None,
        client_id: "n".into(),
        topics: vec!["t".into()],
        session_timeout_ms: SESSION_MS,
        rebalance_timeout_ms: SESSION_MS,
        assignor: Assignor::Range,
    };
    let n = c.join(native).unwrap().try_recv().unwrap().unwrap();
    let err = c.kafka_join(&join("", &["range"])).unwrap_err();
    assert!(err.to_string().contains("native group"), "{err}");
    c.leave("g", &n.member_id).unwrap();
    let k = joined_now(&c, &join("", &["range"]));
    assert!(
        k.generation_id > n.generation_id,
        "the generation keeps growing"
    );
    assert_eq!(c.list().unwrap()[0].state, "CompletingRebalance");
}

#[tokio::test]
async fn v4_members_join_twice_and_unused_ids_expire() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let v4 = ClassicJoin {
        require_known_member_id: true,
        ..join("", &["range"])
    };
    let err = c.kafka_join(&v4).unwrap_err();
    let GroupError::MemberIdRequired { member_id, .. } = err else {
        panic!("expected MemberIdRequired, got {err:?}");
    };
    let joined = joined_now(
        &c,
        &ClassicJoin {
            member_id: member_id.clone(),
            ..v4.clone()
        },
    );
    assert_eq!(joined.member_id, member_id);
    // A second reserved id that is never used expires after the session timeout.
    let GroupError::MemberIdRequired {
        member_id: unused, ..
    } = c.kafka_join(&v4).unwrap_err()
    else {
        panic!("expected MemberIdRequired");
    };
    c.tick(Instant::now() + Duration::from_millis(u64::from(SESSION_MS) * 2));
    let err = c
        .kafka_join(&ClassicJoin {
            member_id: unused,
            ..v4
        })
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownMemberId);
}

#[tokio::test]
async fn sync_fans_the_leaders_assignment_out() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let (a, b) = stable_pair(&c);
    c.kafka_heartbeat("g", &member(&a), 2).unwrap();
    c.kafka_heartbeat("g", &member(&b), 2).unwrap();
    // Stable: a late sync gets the stored assignment at once.
    let mut again = kafka_sync(&c, &sync(&b, 2, &[])).unwrap();
    assert_eq!(again.try_recv().unwrap().unwrap().assignment, "B");
    let err = kafka_sync(&c, &sync(&b, 1, &[])).unwrap_err();
    assert_eq!(err.code(), ErrorCode::IllegalGeneration);
    let wrong = ClassicSync {
        protocol_name: Some("roundrobin".into()),
        ..sync(&b, 2, &[])
    };
    assert_eq!(
        kafka_sync(&c, &wrong).unwrap_err().code(),
        ErrorCode::InconsistentGroupProtocol
    );
}

#[tokio::test]
async fn heartbeats_follow_kafkas_states() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let (a, b) = stable_pair(&c);
    // A third member: PreparingRebalance, the others learn it from heartbeats.
    let _c_rx = c.kafka_join(&join("", &["range"])).unwrap();
    let err = c.kafka_heartbeat("g", &member(&a), 2).unwrap_err();
    assert_eq!(err.code(), ErrorCode::RebalanceInProgress);
    let mut a_rx = c.kafka_join(&join(&a, &["range"])).unwrap();
    let mut b_rx = c.kafka_join(&join(&b, &["range"])).unwrap();
    assert_eq!(a_rx.try_recv().unwrap().unwrap().generation_id, 3);
    assert!(b_rx.try_recv().unwrap().is_ok());
    // CompletingRebalance: heartbeats are fine, commits wait for the assignment.
    c.kafka_heartbeat("g", &member(&b), 3).unwrap();
    let commit = OffsetCommit {
        group_id: "g".into(),
        commit_as: CommitAs::Member {
            member_id: b.clone(),
            group_instance_id: None,
            generation_id: 3,
        },
        offsets: vec![],
    };
    assert_eq!(
        c.commit(&commit).await.unwrap_err().code(),
        ErrorCode::RebalanceInProgress
    );
    let err = c.kafka_heartbeat("g", &member(&b), 2).unwrap_err();
    assert_eq!(err.code(), ErrorCode::IllegalGeneration);
    let err = c.kafka_heartbeat("g", &member("nobody"), 3).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownMemberId);
}

#[tokio::test]
async fn a_leader_that_never_syncs_is_removed_and_the_rest_rebalance() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let a = joined_now(&c, &join("", &["range"]));
    let mut b_rx = c.kafka_join(&join("", &["range"])).unwrap();
    joined_now(&c, &join(&a.member_id, &["range"]));
    let b = b_rx.try_recv().unwrap().unwrap();
    let mut b_sync = kafka_sync(&c, &sync(&b.member_id, 2, &[])).unwrap();
    assert!(
        b_sync.try_recv().is_err(),
        "the follower waits for the leader"
    );
    c.tick(Instant::now() + Duration::from_millis(u64::from(SESSION_MS) + 100));
    let err = b_sync.try_recv().unwrap().unwrap_err();
    assert_eq!(err.code(), ErrorCode::RebalanceInProgress);
    let err = c
        .kafka_heartbeat("g", &member(&a.member_id), 2)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownMemberId);
    let b2 = joined_now(&c, &join(&b.member_id, &["range"]));
    assert_eq!(b2.leader_id, b.member_id, "the remaining member leads");
}

#[tokio::test]
async fn members_that_do_not_rejoin_in_time_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let (a, b) = stable_pair(&c);
    let mut a_rx = c.kafka_join(&join(&a, &["sticky", "range"])).unwrap();
    assert!(a_rx.try_recv().is_err(), "waits for b");
    c.tick(Instant::now() + Duration::from_millis(u64::from(SESSION_MS) + 100));
    let a2 = a_rx.try_recv().unwrap().unwrap();
    assert_eq!(a2.members.len(), 1);
    assert_eq!(a2.protocol_name.as_deref(), Some("sticky"));
    let err = c.kafka_heartbeat("g", &member(&b), 2).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownMemberId);
}

#[tokio::test]
async fn a_static_member_rejoining_replaces_its_old_id_without_rebalance() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let first = joined_now(&c, &static_join("", "i-1"));
    let mut s = kafka_sync(&c, &sync(&first.member_id, 1, &[(&first.member_id, "P")])).unwrap();
    assert_eq!(s.try_recv().unwrap().unwrap().assignment, "P");
    let again = joined_now(&c, &static_join("", "i-1"));
    assert_ne!(again.member_id, first.member_id);
    assert_eq!(again.generation_id, 1, "no rebalance");
    assert_eq!(again.leader_id, again.member_id, "the leader id follows");
    let mut s = kafka_sync(&c, &sync(&again.member_id, 1, &[])).unwrap();
    assert_eq!(
        s.try_recv().unwrap().unwrap().assignment,
        "P",
        "assignment kept"
    );
    let old = MemberRef {
        member_id: first.member_id.clone(),
        group_instance_id: Some("i-1".into()),
    };
    let err = c.kafka_heartbeat("g", &old, 1).unwrap_err();
    assert_eq!(err.code(), ErrorCode::FencedInstanceId);
    assert!(err.to_string().contains(&again.member_id), "{err}");
    // Leaving by instance id alone works; the fenced id's leave is refused.
    let gone = MemberRef {
        member_id: String::new(),
        group_instance_id: Some("i-1".into()),
    };
    let results = c.kafka_leave("g", &[old, gone]).unwrap();
    assert_eq!(
        results[0].as_ref().unwrap_err().code(),
        ErrorCode::FencedInstanceId
    );
    assert!(results[1].is_ok());
    assert_eq!(c.list().unwrap()[0].state, "Empty");
}

#[tokio::test]
async fn memberless_commits_only_into_empty_groups_and_delete_needs_empty() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let commit = |offset| OffsetCommit {
        group_id: "g".into(),
        commit_as: CommitAs::NoMember,
        offsets: vec![CommitEntry {
            topic: "t".into(),
            partition: 0,
            offset,
            metadata: Some("x".repeat(crate::groups::coordinator::OFFSET_METADATA_BYTES_MAX + 1)),
            high_watermark: None,
        }],
    };
    assert_eq!(
        c.commit(&commit(1)).await.unwrap(),
        vec![ErrorCode::OffsetMetadataTooLarge]
    );
    let (a, _) = stable_pair(&c);
    assert_eq!(
        c.commit(&commit(2)).await.unwrap_err().code(),
        ErrorCode::UnknownMemberId
    );
    assert_eq!(
        c.delete("g").await.unwrap_err().code(),
        ErrorCode::NonEmptyGroup
    );
    let leave = c.kafka_leave("g", &[member(&a), member("nobody")]).unwrap();
    assert!(leave[0].is_ok());
    assert_eq!(
        leave[1].as_ref().unwrap_err().code(),
        ErrorCode::UnknownMemberId
    );
}

#[tokio::test]
async fn a_refused_first_join_leaves_no_group_behind() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let no_protocols = ClassicJoin {
        protocols: Vec::new(),
        ..join("", &["range"])
    };
    assert!(c.kafka_join(&no_protocols).is_err());
    let unknown = join("stale-id", &["range"]);
    assert_eq!(
        c.kafka_join(&unknown).unwrap_err().code(),
        ErrorCode::UnknownMemberId
    );
    assert!(c.list().unwrap().is_empty(), "{:?}", c.list());
}

#[tokio::test]
async fn syncs_wait_for_the_stored_assignment_and_a_failed_write_rebalances() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let a = joined_now(&c, &join("", &["range"]));
    let mut a_sync = c
        .kafka_sync(&sync(&a.member_id, 1, &[(&a.member_id, "A")]))
        .unwrap();
    assert_eq!(a_sync.store_generation, Some(1));
    assert!(a_sync.reply.try_recv().is_err(), "waits for the group file");
    c.kafka_assignment_stored("g", 1, Ok(()));
    assert_eq!(a_sync.reply.try_recv().unwrap().unwrap().assignment, "A");
    // The leader rejoins (a new generation); this time the write fails.
    let a2 = joined_now(&c, &join(&a.member_id, &["range"]));
    assert_eq!(a2.generation_id, 2);
    let mut a_sync = c
        .kafka_sync(&sync(&a.member_id, 2, &[(&a.member_id, "A")]))
        .unwrap();
    let failed = GroupError::Storage {
        group_id: "g".into(),
        op: "writing group file",
        path: "x".into(),
        reason: "disk full".into(),
    };
    c.kafka_assignment_stored("g", 2, Err(failed));
    let err = a_sync.reply.try_recv().unwrap().unwrap_err();
    assert_eq!(err.code(), ErrorCode::StorageError);
    assert_eq!(c.describe("g").unwrap().kafka_state, "PreparingRebalance");
}

#[tokio::test]
async fn stable_members_survive_a_reopen_and_absent_ones_expire() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = {
        let c = coordinator(dir.path());
        // `a` has a long session, `b` a short one: only `b` expires below.
        let long = ClassicJoin {
            session_timeout_ms: 5 * SESSION_MS,
            client_host: "/10.0.0.1".into(),
            ..join("", &["range", "roundrobin"])
        };
        let a = joined_now(&c, &long);
        let mut b_rx = c.kafka_join(&static_join("", "b-instance")).unwrap();
        let a = joined_now(
            &c,
            &ClassicJoin {
                member_id: a.member_id,
                ..long
            },
        );
        let b = b_rx.try_recv().unwrap().unwrap();
        assert_eq!((a.generation_id, b.generation_id), (2, 2));
        let mut b_sync = kafka_sync(&c, &sync(&b.member_id, 2, &[])).unwrap();
        let assignments = [(a.member_id.as_str(), "A"), (b.member_id.as_str(), "B")];
        let wait = c.kafka_sync(&sync(&a.member_id, 2, &assignments)).unwrap();
        assert_eq!(wait.store_generation, Some(2));
        assert!(
            b_sync.try_recv().is_err(),
            "the follower waits for the write"
        );
        c.persist("g").await.unwrap();
        c.kafka_assignment_stored("g", 2, Ok(()));
        assert_eq!(b_sync.try_recv().unwrap().unwrap().assignment, "B");
        (a.member_id, b.member_id)
    };
    // kill -9: nothing else reaches the disk; reopen.
    let c = coordinator(dir.path());
    let described = c.describe("g").unwrap();
    assert_eq!(described.kafka_state, "Stable");
    assert_eq!(described.generation_id, 2);
    assert_eq!(described.protocol_name.as_deref(), Some("range"));
    let members: Vec<(&str, &[u8], Option<&str>, &str)> = described
        .members
        .iter()
        .map(|m| {
            (
                m.member_id.as_str(),
                &m.assignment_bytes[..],
                m.group_instance_id.as_deref(),
                m.client_host.as_str(),
            )
        })
        .collect();
    let mut expected = vec![
        (a.as_str(), &b"A"[..], None, "/10.0.0.1"),
        (b.as_str(), &b"B"[..], Some("b-instance"), ""),
    ];
    expected.sort();
    assert_eq!(members, expected);
    assert_eq!(described.members[0].metadata, "meta-range");
    // The returning member carries on with its id and generation.
    c.kafka_heartbeat("g", &member(&a), 2).unwrap();
    let commit = OffsetCommit {
        group_id: "g".into(),
        commit_as: CommitAs::Member {
            member_id: a.clone(),
            group_instance_id: None,
            generation_id: 2,
        },
        offsets: vec![CommitEntry {
            topic: "t".into(),
            partition: 0,
            offset: 5,
            metadata: None,
            high_watermark: None,
        }],
    };
    assert_eq!(c.commit(&commit).await.unwrap(), vec![ErrorCode::None]);
    // An unchanged follower's rejoin answers at once (its protocols were stored).
    let again = joined_now(&c, &static_join(&b, "b-instance"));
    assert_eq!(again.generation_id, 2);
    // `b` never heartbeats: it expires after its session timeout and `a` rebalances alone.
    c.tick(Instant::now() + Duration::from_millis(u64::from(2 * SESSION_MS)));
    let err = c.kafka_heartbeat("g", &member(&b), 2).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownMemberId);
    let err = c.kafka_heartbeat("g", &member(&a), 2).unwrap_err();
    assert_eq!(err.code(), ErrorCode::RebalanceInProgress);
    let rejoined = joined_now(
        &c,
        &ClassicJoin {
            member_id: a.clone(),
            session_timeout_ms: 5 * SESSION_MS,
            ..join("", &["range", "roundrobin"])
        },
    );
    assert_eq!(rejoined.generation_id, 3);
    // Generation 3 has no stored assignment: the file holds no members any more.
    c.persist("g").await.unwrap();
    drop(c);
    let c = coordinator(dir.path());
    let described = c.describe("g").unwrap();
    assert_eq!(
        (described.kafka_state, described.generation_id),
        ("Empty", 3)
    );
    assert!(described.members.is_empty());
    let err = c.kafka_heartbeat("g", &member(&a), 3).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownMemberId);
    assert_eq!(c.committed("g", None).unwrap()[0].2, Some((5, None)));
}
