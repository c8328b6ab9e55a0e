//! Kafka OffsetCommit (v2-8) and OffsetFetch (v1-7): every version, Kafka's membership rules for
//! commits, per-partition errors next to good partitions, offsets shared with the native
//! protocol, members (of a Stable generation), commits and generations that survive kill -9, and
//! commits past the high watermark refused (unlike Kafka; see KAFKA.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use kafka_protocol::messages::describe_groups_request::DescribeGroupsRequest;
use kafka_protocol::messages::describe_groups_response::DescribeGroupsResponse;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use kafka_support::groups::{group, join_request, s, JOIN_MAX, LEAVE_MAX, SYNC_MAX};
use kafka_support::{kafka_broker, KafkaRaw};
use rustlog_protocol::messages::offset_commit::{OffsetCommitEntry, OffsetCommitRequest};
use rustlog_protocol::messages::offset_fetch::OffsetFetchRequest;
use rustlog_protocol::{Response, TopicPartition};

/// Kafka's "no generation": a commit without group membership.
const NO_GENERATION: i32 = -1;

fn no_member() -> StrBytes {
    StrBytes::default()
}

/// Joins and syncs one member of `group_id`: (member id, generation).
fn member_of(client: &mut KafkaRaw, group_id: &str) -> (StrBytes, i32) {
    let joined = client.join_new(JOIN_MAX, &join_request(group_id, ""));
    assert_eq!(joined.error_code, 0);
    let id = joined.member_id.clone();
    let sync = KafkaRaw::sync_request(group_id, joined.generation_id, &id, &[(&id, b"")]);
    assert_eq!(client.sync(SYNC_MAX, &sync).error_code, 0);
    (id, joined.generation_id)
}

#[test]
fn offset_commit_and_fetch_at_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("t", 2, &[]);
    broker.client().fill("t", 1, 110);
    let mut client = KafkaRaw::connect(&kafka);
    for version in 2..=8 {
        let group_id = format!("commit-v{version}");
        let offset = 100 + i64::from(version);
        let codes = client.commit(
            version,
            &group_id,
            NO_GENERATION,
            &no_member(),
            "t",
            &[(1, offset, "m")],
        );
        assert_eq!(codes, vec![0], "OffsetCommit v{version}");
        assert_eq!(client.committed(&group_id, "t", 1), offset, "v{version}");
    }
    for version in 1..=7 {
        let response = client.fetch_offsets(version, "commit-v8", "t", Some(&[0, 1]));
        assert_eq!(response.error_code, 0, "OffsetFetch v{version}");
        let partitions = &response.topics[0].partitions;
        let got: Vec<(i32, i64, &str)> = partitions
            .iter()
            .map(|p| {
                (
                    p.partition_index,
                    p.committed_offset,
                    p.metadata.as_ref().unwrap().as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![(0, -1, ""), (1, 108, "m")],
            "OffsetFetch v{version}"
        );
    }
    for version in 2..=7 {
        // Null topics: every committed partition of the group.
        let response = client.fetch_offsets(version, "commit-v3", "t", None);
        assert_eq!(response.topics.len(), 1, "v{version}");
        assert_eq!(
            response.topics[0].partitions[0].committed_offset, 103,
            "v{version}"
        );
    }
    let unknown = client.fetch_offsets(7, "never-committed", "t", Some(&[0]));
    assert_eq!(unknown.topics[0].partitions[0].committed_offset, -1);
}

#[test]
fn commits_follow_the_members_generation() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("t", 1, &[]);
    broker.client().fill("t", 0, 10);
    let mut client = KafkaRaw::connect(&kafka);
    let (id, generation) = member_of(&mut client, "members");
    assert_eq!(
        client.commit(8, "members", generation, &id, "t", &[(0, 5, "")]),
        vec![0]
    );
    let stale = client.commit(8, "members", generation - 1, &id, "t", &[(0, 6, "")]);
    assert_eq!(stale, vec![ResponseError::IllegalGeneration.code()]);
    let stranger = client.commit(8, "members", generation, &s("stranger"), "t", &[(0, 6, "")]);
    assert_eq!(stranger, vec![ResponseError::UnknownMemberId.code()]);
    // Without a generation only an empty group takes commits, as in Kafka.
    let memberless = client.commit(
        8,
        "members",
        NO_GENERATION,
        &no_member(),
        "t",
        &[(0, 6, "")],
    );
    assert_eq!(memberless, vec![ResponseError::UnknownMemberId.code()]);
    assert_eq!(
        client.committed("members", "t", 0),
        5,
        "refused commits stored nothing"
    );
    assert_eq!(client.leave(LEAVE_MAX, "members", &id), 0);
    let memberless = client.commit(
        8,
        "members",
        NO_GENERATION,
        &no_member(),
        "t",
        &[(0, 7, "")],
    );
    assert_eq!(memberless, vec![0]);
    assert_eq!(client.committed("members", "t", 0), 7);
}

#[test]
fn bad_partitions_and_large_metadata_fail_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("t", 2, &[]);
    broker.client().fill("t", 0, 10);
    broker.client().fill("t", 1, 10);
    let mut client = KafkaRaw::connect(&kafka);
    let large = "x".repeat(4097);
    let offsets = [
        (0, 10, "ok"),
        (2, 10, ""),
        (-1, 10, ""),
        (1, 10, large.as_str()),
    ];
    let codes = client.commit(8, "mixed", NO_GENERATION, &no_member(), "t", &offsets);
    let unknown = ResponseError::UnknownTopicOrPartition.code();
    let too_large = ResponseError::OffsetMetadataTooLarge.code();
    assert_eq!(codes, vec![0, unknown, unknown, too_large]);
    let codes = client.commit(
        8,
        "mixed",
        NO_GENERATION,
        &no_member(),
        "nope",
        &[(0, 1, "")],
    );
    assert_eq!(codes, vec![unknown]);
    assert_eq!(client.committed("mixed", "t", 0), 10);
    assert_eq!(
        client.committed("mixed", "t", 1),
        -1,
        "the oversized commit stored nothing"
    );
}

#[test]
fn offset_markers_commit_the_partitions_latest_or_earliest_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("t", 2, &[]);
    kafka_support::kcat_ok(&kafka, &["-P", "-t", "t", "-p", "0"], "a\nb\nc\n");
    let mut client = KafkaRaw::connect(&kafka);
    // KafkaJS's resetOffsets commits -1 (latest) or -2 (earliest).
    let codes = client.commit(8, "reset", NO_GENERATION, &no_member(), "t", &[(0, -1, "")]);
    assert_eq!(codes, vec![0]);
    assert_eq!(
        client.committed("reset", "t", 0),
        3,
        "latest = the high watermark"
    );
    let codes = client.commit(8, "reset", NO_GENERATION, &no_member(), "t", &[(0, -2, "")]);
    assert_eq!(codes, vec![0]);
    assert_eq!(
        client.committed("reset", "t", 0),
        0,
        "earliest = the log start"
    );
    // Any other negative offset is refused, alone; a marker for a missing partition too.
    let offsets = [(0, -3, ""), (1, -1, ""), (5, -1, "")];
    let codes = client.commit(8, "reset", NO_GENERATION, &no_member(), "t", &offsets);
    let unknown = ResponseError::UnknownTopicOrPartition.code();
    assert_eq!(
        codes,
        vec![ResponseError::InvalidRequest.code(), 0, unknown]
    );
    assert_eq!(
        client.committed("reset", "t", 0),
        0,
        "the refused -3 stored nothing"
    );
    assert_eq!(
        client.committed("reset", "t", 1),
        0,
        "an empty partition's latest is 0"
    );
}

#[test]
fn committed_offsets_are_shared_with_the_native_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    let mut native = broker.client();
    native.create_topic("t", 2, &[]);
    native.fill("t", 0, 50);
    native.fill("t", 1, 50);
    native.call_ok(OffsetCommitRequest {
        group_id: "shared".into(),
        generation_id: None,
        member_id: None,
        only_if_empty: false,
        offsets: vec![OffsetCommitEntry {
            topic: "t".into(),
            partition: 0,
            offset: 33,
            metadata: Some("native".into()),
        }],
    });
    let mut client = KafkaRaw::connect(&kafka);
    assert_eq!(client.committed("shared", "t", 0), 33);
    let codes = client.commit(
        8,
        "shared",
        NO_GENERATION,
        &no_member(),
        "t",
        &[(1, 44, "kafka")],
    );
    assert_eq!(codes, vec![0]);
    let Response::OffsetFetch(fetched) = native.call_ok(OffsetFetchRequest {
        group_id: "shared".into(),
        partitions: Some(vec![TopicPartition {
            topic: "t".into(),
            partition: 1,
        }]),
    }) else {
        panic!("OffsetFetch answers OffsetFetch");
    };
    assert_eq!(fetched.offsets[0].offset, Some(44));
    assert_eq!(fetched.offsets[0].metadata.as_deref(), Some("kafka"));
}

#[test]
fn members_commits_and_generations_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("t", 1, &[]);
    broker.client().fill("t", 0, 50);
    let mut client = KafkaRaw::connect(&kafka);
    let (id, generation) = member_of(&mut client, "durable");
    assert_eq!(
        client.commit(8, "durable", generation, &id, "t", &[(0, 42, "")]),
        vec![0]
    );
    broker.kill9();
    broker.restart();
    let kafka = broker.kafka_addr().unwrap().to_string();
    let mut client = KafkaRaw::connect(&kafka);
    assert_eq!(client.committed("durable", "t", 0), 42);
    // The stored Stable generation is back with its member (what KafkaJS needs to commit on).
    let request = DescribeGroupsRequest::default().with_groups(vec![group("durable")]);
    let response: DescribeGroupsResponse = client.call(ApiKey::DescribeGroups, 5, &request);
    let described = &response.groups[0];
    assert_eq!(described.error_code, 0);
    assert_eq!(described.group_state.as_str(), "Stable");
    assert_eq!(described.protocol_data.as_str(), "range");
    let members: Vec<&str> = described
        .members
        .iter()
        .map(|m| m.member_id.as_str())
        .collect();
    assert_eq!(members, vec![id.as_str()]);
    assert_eq!(client.heartbeat(4, "durable", generation, &id), 0);
    assert_eq!(
        client.commit(8, "durable", generation, &id, "t", &[(0, 43, "")]),
        vec![0]
    );
    assert_eq!(client.committed("durable", "t", 0), 43);
    // The leader's rejoin rebalances, into a newer generation than any handed out before.
    let rejoined = client.join(JOIN_MAX, &join_request("durable", id.as_str()));
    assert_eq!(rejoined.error_code, 0);
    assert!(
        rejoined.generation_id > generation,
        "generation {} after restart, {generation} before",
        rejoined.generation_id
    );
    // A generation without a stored assignment brings back no members: the superseded one is
    // not restored either.
    broker.kill9();
    broker.restart();
    let mut client = KafkaRaw::connect(&broker.kafka_addr().unwrap().to_string());
    let code = client.heartbeat(4, "durable", rejoined.generation_id, &id);
    assert_eq!(code, ResponseError::UnknownMemberId.code());
    let code = client.heartbeat(4, "durable", generation, &id);
    assert_eq!(code, ResponseError::UnknownMemberId.code());
}

#[test]
fn a_commit_past_the_high_watermark_is_refused_beside_a_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("t", 2, &[]);
    broker.client().fill("t", 0, 5);
    broker.client().fill("t", 1, 5);
    let mut client = KafkaRaw::connect(&kafka);
    // Partition 0 at its end (5: consumed everything) is good; 6 on partition 1 is past it.
    let offsets = [(0, 5, ""), (1, 6, "")];
    let codes = client.commit(8, "past", NO_GENERATION, &no_member(), "t", &offsets);
    assert_eq!(codes, vec![0, ResponseError::OffsetOutOfRange.code()]);
    assert_eq!(client.committed("past", "t", 0), 5);
    assert_eq!(
        client.committed("past", "t", 1),
        -1,
        "the refused commit stored nothing"
    );
}
