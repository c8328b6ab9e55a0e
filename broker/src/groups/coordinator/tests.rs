//! Unit tests of the native coordinator.
use super::*;

/// A coordinator over a temp dir that knows one topic, `t`, of 4 partitions (the classic
/// protocol's tests use it too).
pub(crate) fn coordinator(dir: &std::path::Path) -> Coordinator {
    Coordinator::open(
        GroupStore::open(dir).unwrap(),
        Arc::new(|topic: &str| if topic == "t" { 4 } else { 0 }),
        CoordinatorLimits {
            session_timeout_ms_min: 10,
            session_timeout_ms_max: 60_000,
        },
    )
    .unwrap()
}

fn join_req(member_id: Option<String>) -> NativeJoin {
    NativeJoin {
        group_id: "g".into(),
        member_id,
        client_id: "c".into(),
        topics: vec!["t".into()],
        session_timeout_ms: 1000,
        rebalance_timeout_ms: 1000,
        assignor: Assignor::Range,
    }
}

#[tokio::test]
async fn two_members_rebalance_and_split_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let a = c.join(join_req(None)).unwrap().await.unwrap().unwrap();
    assert_eq!(a.generation_id, 1);
    assert_eq!(a.assignment[0].partitions, vec![0, 1, 2, 3]);
    // A second member starts a rebalance; the first learns from its heartbeat.
    let b_rx = c.join(join_req(None)).unwrap();
    let err = c.heartbeat("g", &a.member_id, 1).unwrap_err();
    assert_eq!(err.code(), ErrorCode::RebalanceInProgress);
    let a2 = c
        .join(join_req(Some(a.member_id.clone())))
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    let b = b_rx.await.unwrap().unwrap();
    assert_eq!(a2.generation_id, 2);
    assert_eq!(b.generation_id, 2);
    let total = a2.assignment[0].partitions.len() + b.assignment[0].partitions.len();
    assert_eq!(total, 4);
    // Stale generation: heartbeats and commits are rejected.
    let err = c.heartbeat("g", &a.member_id, 1).unwrap_err();
    assert_eq!(err.code(), ErrorCode::IllegalGeneration);
    let commit = OffsetCommit {
        group_id: "g".into(),
        commit_as: CommitAs::Member {
            member_id: a.member_id.clone(),
            group_instance_id: None,
            generation_id: 1,
        },
        offsets: vec![],
    };
    assert_eq!(
        c.commit(&commit).await.unwrap_err().code(),
        ErrorCode::IllegalGeneration
    );
    c.heartbeat("g", &b.member_id, 2).unwrap();
}

#[tokio::test]
async fn session_timeout_removes_member() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let a = c.join(join_req(None)).unwrap().await.unwrap().unwrap();
    c.tick(Instant::now() + Duration::from_secs(5));
    let err = c.heartbeat("g", &a.member_id, a.generation_id).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnknownMemberId);
    assert_eq!(c.list().unwrap()[0].state, "empty");
}

#[tokio::test]
async fn offsets_persist_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let c = coordinator(dir.path());
        let commit = OffsetCommit {
            group_id: "g".into(),
            commit_as: CommitAs::Anyone,
            offsets: vec![CommitEntry {
                topic: "t".into(),
                partition: 2,
                offset: 9,
                metadata: None,
                high_watermark: None,
            }],
        };
        assert_eq!(c.commit(&commit).await.unwrap(), vec![ErrorCode::None]);
    }
    let c = coordinator(dir.path());
    let got = c.committed("g", None).unwrap();
    assert_eq!(got, vec![("t".to_string(), 2, Some((9, None)))]);
}

#[tokio::test]
async fn a_commit_past_the_high_watermark_is_refused_for_that_partition_only() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let entry = |partition, offset| CommitEntry {
        topic: "t".into(),
        partition,
        offset,
        metadata: None,
        high_watermark: Some(10),
    };
    let commit = OffsetCommit {
        group_id: "g".into(),
        commit_as: CommitAs::Anyone,
        offsets: vec![entry(0, 11), entry(1, 10), entry(2, 3)],
    };
    assert_eq!(
        c.commit(&commit).await.unwrap(),
        vec![
            ErrorCode::OffsetOutOfRange,
            ErrorCode::None,
            ErrorCode::None
        ]
    );
    let got = c.committed("g", None).unwrap();
    assert_eq!(
        got,
        vec![
            ("t".to_string(), 1, Some((10, None))),
            ("t".to_string(), 2, Some((3, None))),
        ]
    );
}

#[tokio::test]
async fn a_commit_whose_file_write_fails_is_refused_and_leaves_the_committed_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let c = coordinator(dir.path());
    let commit = |offset| OffsetCommit {
        group_id: "g".into(),
        commit_as: CommitAs::Anyone,
        offsets: vec![CommitEntry {
            topic: "t".into(),
            partition: 0,
            offset,
            metadata: None,
            high_watermark: None,
        }],
    };
    assert_eq!(c.commit(&commit(3)).await.unwrap(), vec![ErrorCode::None]);
    // A directory where the write's temp file goes makes the next write fail.
    let tmp = c.store.path_for("g").with_extension("json.tmp");
    std::fs::create_dir(&tmp).unwrap();
    let err = c.commit(&commit(7)).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::StorageError, "{err}");
    // Neither memory nor disk moved to 7: what OffsetFetch shows is what a restart finds.
    assert_eq!(c.committed("g", None).unwrap()[0].2, Some((3, None)));
    std::fs::remove_dir(&tmp).unwrap();
    drop(c);
    let reopened = coordinator(dir.path());
    assert_eq!(reopened.committed("g", None).unwrap()[0].2, Some((3, None)));
}
