//! Kafka group administration: ListGroups (v0-4, v4 state filter), DescribeGroups (v0-5),
//! DeleteGroups (v0-2, crash-safe), OffsetDelete (v0), and the group gauges of `/metrics` for
//! a Kafka group.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use kafka_protocol::messages::delete_groups_request::DeleteGroupsRequest;
use kafka_protocol::messages::delete_groups_response::DeleteGroupsResponse;
use kafka_protocol::messages::describe_groups_request::DescribeGroupsRequest;
use kafka_protocol::messages::describe_groups_response::DescribeGroupsResponse;
use kafka_protocol::messages::list_groups_request::ListGroupsRequest;
use kafka_protocol::messages::list_groups_response::ListGroupsResponse;
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequest, OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_delete_response::OffsetDeleteResponse;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use kafka_support::groups::{group, join_request, s, subscription, topic, JOIN_MAX, SYNC_MAX};
use kafka_support::{kafka_broker, KafkaRaw};
use rustlog_protocol::messages::join_group::{Assignor, JoinGroupRequest as NativeJoin};
use rustlog_protocol::messages::produce::Acks;
use rustlog_tests::{http_get, metric_value};

const NO_GENERATION: i32 = -1;

/// Joins and syncs one member of `group_id` with `assignment`: (member id, generation).
fn member_of(client: &mut KafkaRaw, group_id: &str, assignment: &[u8]) -> (StrBytes, i32) {
    let joined = client.join_new(JOIN_MAX, &join_request(group_id, ""));
    let id = joined.member_id.clone();
    let sync = KafkaRaw::sync_request(group_id, joined.generation_id, &id, &[(&id, assignment)]);
    assert_eq!(client.sync(SYNC_MAX, &sync).error_code, 0);
    (id, joined.generation_id)
}

fn commit_without_member(client: &mut KafkaRaw, group_id: &str, topic_name: &str, offset: i64) {
    let codes = client.commit(
        8,
        group_id,
        NO_GENERATION,
        &StrBytes::default(),
        topic_name,
        &[(0, offset, "")],
    );
    assert_eq!(codes, vec![0]);
}

fn listed(client: &mut KafkaRaw, version: i16, states: &[&str]) -> Vec<(String, String, String)> {
    let request =
        ListGroupsRequest::default().with_states_filter(states.iter().map(|st| s(st)).collect());
    let response: ListGroupsResponse = client.call(ApiKey::ListGroups, version, &request);
    assert_eq!(response.error_code, 0);
    let mut groups: Vec<(String, String, String)> = response
        .groups
        .iter()
        .map(|g| {
            (
                g.group_id.0.to_string(),
                g.protocol_type.to_string(),
                g.group_state.to_string(),
            )
        })
        .collect();
    groups.sort();
    groups
}

#[test]
fn list_groups_at_every_version_with_the_v4_state_filter() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("t", 1, &[]);
    broker.client().fill("t", 0, 10);
    let mut client = KafkaRaw::connect(&kafka);
    member_of(&mut client, "active", b"");
    commit_without_member(&mut client, "idle", "t", 1);
    broker.client().call_ok(NativeJoin {
        group_id: "native".into(),
        member_id: None,
        client_id: "n".into(),
        topics: vec!["t".into()],
        session_timeout_ms: 10_000,
        rebalance_timeout_ms: 10_000,
        assignor: Assignor::Range,
    });
    for version in 0..=3 {
        let names: Vec<String> = listed(&mut client, version, &[])
            .into_iter()
            .map(|g| g.0)
            .collect();
        assert_eq!(names, vec!["active", "idle", "native"], "v{version}");
    }
    let all = listed(&mut client, 4, &[]);
    let expected = [
        ("active", "consumer", "Stable"),
        ("idle", "rustlog", "Empty"),
        ("native", "rustlog", "Stable"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(all, expected);
    let stable = listed(&mut client, 4, &["stable"]);
    let names: Vec<&str> = stable.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(
        names,
        vec!["active", "native"],
        "the filter ignores case, as Kafka"
    );
    assert!(listed(&mut client, 4, &["Dead"]).is_empty());
}

#[test]
fn describe_groups_at_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("t", 1, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let (id, _) = member_of(&mut client, "described", b"assigned-bytes");
    broker.client().call_ok(NativeJoin {
        group_id: "native".into(),
        member_id: None,
        client_id: "n".into(),
        topics: vec!["t".into()],
        session_timeout_ms: 10_000,
        rebalance_timeout_ms: 10_000,
        assignor: Assignor::Range,
    });
    for version in 0..=5 {
        let request = DescribeGroupsRequest::default().with_groups(vec![
            group("described"),
            group("native"),
            group("missing"),
            group(""),
        ]);
        let response: DescribeGroupsResponse =
            client.call(ApiKey::DescribeGroups, version, &request);
        let [kafka_group, native, missing, invalid] = &response.groups[..] else {
            panic!("v{version}: four groups described");
        };
        assert_eq!(kafka_group.error_code, 0, "v{version}");
        assert_eq!(kafka_group.group_state.as_str(), "Stable");
        assert_eq!(kafka_group.protocol_type.as_str(), "consumer");
        assert_eq!(kafka_group.protocol_data.as_str(), "range");
        let member = &kafka_group.members[0];
        assert_eq!(member.member_id, id);
        assert_eq!(member.client_id.as_str(), "rustlog-tests");
        assert_eq!(member.member_metadata, subscription(&["t"]));
        assert_eq!(&member.member_assignment[..], b"assigned-bytes");
        assert_eq!(native.protocol_type.as_str(), "rustlog", "v{version}");
        assert_eq!(native.members.len(), 1);
        assert!(
            native.members[0].member_metadata.is_empty(),
            "native members have no bytes"
        );
        assert_eq!(
            (missing.error_code, missing.group_state.as_str()),
            (0, "Dead")
        );
        assert_eq!(invalid.error_code, ResponseError::InvalidGroupId.code());
    }
}

#[test]
fn delete_groups_removes_only_empty_groups_durably() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("t", 1, &[]);
    broker.client().fill("t", 0, 10);
    let mut client = KafkaRaw::connect(&kafka);
    member_of(&mut client, "busy", b"");
    for version in 0..=2 {
        let gone = format!("gone-v{version}");
        commit_without_member(&mut client, &gone, "t", 9);
        let request = DeleteGroupsRequest::default().with_groups_names(vec![
            group(&gone),
            group("busy"),
            group("never-existed"),
        ]);
        let response: DeleteGroupsResponse = client.call(ApiKey::DeleteGroups, version, &request);
        let codes: Vec<i16> = response.results.iter().map(|r| r.error_code).collect();
        let expected = vec![
            0,
            ResponseError::NonEmptyGroup.code(),
            ResponseError::GroupIdNotFound.code(),
        ];
        assert_eq!(codes, expected, "DeleteGroups v{version}");
        assert_eq!(
            client.committed(&gone, "t", 0),
            -1,
            "v{version}: its offsets went with it"
        );
    }
    let group_files = || {
        std::fs::read_dir(dir.path().join("data/groups"))
            .unwrap()
            .count()
    };
    assert_eq!(group_files(), 1, "only the busy group's file is left");
    broker.kill9();
    broker.restart();
    let mut client = KafkaRaw::connect(&broker.kafka_addr().unwrap().to_string());
    let names: Vec<String> = listed(&mut client, 4, &[])
        .into_iter()
        .map(|g| g.0)
        .collect();
    assert_eq!(
        names,
        vec!["busy"],
        "deleted groups stay deleted after kill -9"
    );
}

#[test]
fn offset_delete_keeps_the_offsets_of_subscribed_topics() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("t", 1, &[]);
    broker.client().create_topic("u", 1, &[]);
    broker.client().fill("t", 0, 10);
    broker.client().fill("u", 0, 10);
    let mut client = KafkaRaw::connect(&kafka);
    commit_without_member(&mut client, "pruned", "t", 3);
    commit_without_member(&mut client, "pruned", "u", 4);
    member_of(&mut client, "pruned", b"");
    let request = OffsetDeleteRequest::default()
        .with_group_id(group("pruned"))
        .with_topics(
            ["t", "u", "nope"]
                .iter()
                .map(|name| {
                    OffsetDeleteRequestTopic::default()
                        .with_name(topic(name))
                        .with_partitions(vec![OffsetDeleteRequestPartition::default()])
                })
                .collect(),
        );
    let response: OffsetDeleteResponse = client.call(ApiKey::OffsetDelete, 0, &request);
    assert_eq!(response.error_code, 0);
    let codes: Vec<i16> = response
        .topics
        .iter()
        .map(|t| t.partitions[0].error_code)
        .collect();
    let expected = vec![
        ResponseError::GroupSubscribedToTopic.code(),
        0,
        ResponseError::UnknownTopicOrPartition.code(),
    ];
    assert_eq!(codes, expected, "the member subscribes to t only");
    assert_eq!(client.committed("pruned", "t", 0), 3);
    assert_eq!(client.committed("pruned", "u", 0), -1);
    let missing = request.with_group_id(group("missing"));
    let response: OffsetDeleteResponse = client.call(ApiKey::OffsetDelete, 0, &missing);
    assert_eq!(response.error_code, ResponseError::GroupIdNotFound.code());
}

#[test]
fn metrics_report_members_and_lag_of_kafka_groups() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    let mut native = broker.client();
    native.create_topic("t", 1, &[]);
    native.produce("t", 0, Acks::Leader, &[b"a", b"b", b"c", b"d", b"e"]);
    let mut client = KafkaRaw::connect(&kafka);
    let (id, generation) = member_of(&mut client, "watched", b"");
    assert_eq!(
        client.commit(8, "watched", generation, &id, "t", &[(0, 2, "")]),
        vec![0]
    );
    let (_, text) = http_get(broker.metrics_addr().unwrap(), "/metrics").unwrap();
    let lag = metric_value(
        &text,
        "rustlog_group_lag{group=\"watched\",topic=\"t\",partition=\"0\"}",
    );
    assert_eq!(lag, Some(3.0), "{text}");
    let members = metric_value(&text, "rustlog_group_members{group=\"watched\"}");
    assert_eq!(members, Some(1.0));
}
