//! Produce and fetch end to end over TCP: offsets, order, segment rolls, pipelining, ListOffsets,
//! topic admin, and the per-partition errors of bad targets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::messages::api_versions::ApiVersionsRequest;
use rustlog_protocol::messages::create_topic::CreateTopicRequest;
use rustlog_protocol::messages::delete_topic::DeleteTopicRequest;
use rustlog_protocol::messages::describe_partition::DescribePartitionRequest;
use rustlog_protocol::messages::describe_topic::DescribeTopicRequest;
use rustlog_protocol::messages::list_offsets::{
    ListOffsetsPartition, ListOffsetsRequest, OffsetSpec,
};
use rustlog_protocol::messages::list_topics::ListTopicsRequest;
use rustlog_protocol::messages::ping::PingRequest;
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::{ApiKey, ErrorCode, Request, Response, ResponseBody};
use rustlog_tests::{produce_request, records_of, BrokerProcess};

fn start() -> (tempfile::TempDir, BrokerProcess) {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    (dir, broker)
}

#[test]
fn produce_then_fetch_returns_every_record_in_order_across_segment_rolls() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    client.create_topic("orders", 2, &[("segment.bytes", "4096")]);
    let mut expected = Vec::new();
    for i in 0..200u32 {
        let values: Vec<Vec<u8>> = (0..5)
            .map(|j| format!("order-{i}-{j}").into_bytes())
            .collect();
        let refs: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
        let base = client.produce("orders", 1, Acks::Leader, &refs);
        assert_eq!(base, u64::from(i) * 5, "offsets are dense and ordered");
        expected.extend(values);
    }
    let got = client.fetch_all_values("orders", 1, 0);
    assert_eq!(got, expected);
    // Reading from the middle starts at the asked offset (a batch is never split).
    let tail = client.fetch_all_values("orders", 1, 503);
    assert_eq!(tail, expected[503..].to_vec());
    // The partition rolled into several segments; partition 0 stayed empty.
    let Response::DescribePartition(desc) = client.call_ok(DescribePartitionRequest {
        topic: "orders".into(),
        partition: 1,
    }) else {
        panic!()
    };
    assert_eq!(desc.high_watermark, 1000);
    assert!(desc.segments.len() > 1, "segments: {:?}", desc.segments);
    assert_eq!(client.fetch("orders", 0, 0).high_watermark, 0);
}

#[test]
fn pipelined_requests_are_answered_in_arrival_order() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    client.create_topic("pipe", 1, &[]);
    let mut sent = Vec::new();
    for i in 0..100u32 {
        let value = format!("v{i}");
        let request: Request = if i % 3 == 0 {
            PingRequest {}.into()
        } else {
            produce_request("pipe", 0, Acks::Leader, &[value.as_bytes()]).into()
        };
        let api = request.api_key();
        sent.push((api, client.send(&request)));
    }
    let mut next_offset = 0;
    for (api, correlation_id) in sent {
        match client.receive(api, correlation_id) {
            ResponseBody::Ok(Response::Produce(p)) => {
                assert_eq!(p.partitions[0].base_offset, next_offset);
                next_offset += 1;
            }
            ResponseBody::Ok(Response::Ping(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        client.fetch_all_values("pipe", 0, 0).len() as u64,
        next_offset
    );
}

#[test]
fn list_offsets_reports_earliest_latest_and_timestamps() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    client.create_topic("t", 1, &[]);
    let before_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - 1000;
    client.produce("t", 0, Acks::Leader, &[b"a", b"b", b"c"]);
    let spec = |spec| ListOffsetsPartition {
        topic: "t".into(),
        partition: 0,
        spec,
    };
    let Response::ListOffsets(r) = client.call_ok(ListOffsetsRequest {
        partitions: vec![
            spec(OffsetSpec::Earliest),
            spec(OffsetSpec::Latest),
            spec(OffsetSpec::Timestamp {
                timestamp_ms: before_ms,
            }),
            spec(OffsetSpec::Timestamp {
                timestamp_ms: i64::MAX,
            }),
            ListOffsetsPartition {
                topic: "missing".into(),
                partition: 0,
                spec: OffsetSpec::Latest,
            },
        ],
    }) else {
        panic!()
    };
    assert_eq!(r.partitions[0].offset, Some(0));
    assert_eq!(r.partitions[1].offset, Some(3));
    assert_eq!(r.partitions[2].offset, Some(0));
    assert_eq!(r.partitions[3].offset, None);
    assert_eq!(r.partitions[4].error_code, ErrorCode::TopicNotFound);
}

#[test]
fn bad_targets_get_per_partition_errors() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    client.create_topic("t", 1, &[]);
    let Response::Produce(r) = client.call_ok(produce_request("nope", 0, Acks::Leader, &[b"x"]))
    else {
        panic!()
    };
    assert_eq!(r.partitions[0].error_code, ErrorCode::TopicNotFound);
    let Response::Produce(r) = client.call_ok(produce_request("t", 7, Acks::Leader, &[b"x"]))
    else {
        panic!()
    };
    assert_eq!(r.partitions[0].error_code, ErrorCode::PartitionNotFound);
    client.produce("t", 0, Acks::Leader, &[b"x"]);
    let p = client.fetch("t", 0, 99);
    assert_eq!(p.error_code, ErrorCode::OffsetOutOfRange);
    assert_eq!(p.high_watermark, 1);
    // Fetching at the high watermark is not an error: just no records.
    let p = client.fetch("t", 0, 1);
    assert_eq!(p.error_code, ErrorCode::None);
    assert!(records_of(&p.records).is_empty());
}

#[test]
fn topic_admin_round_trip_and_errors() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    let Response::CreateTopic(created) = client.call_ok(CreateTopicRequest {
        name: "a.b-c_1".into(),
        partitions: 3,
        config: [("retention.ms".to_string(), "60000".to_string())].into(),
    }) else {
        panic!()
    };
    assert_eq!(created.partitions, 3);
    assert_eq!(
        created.config.get("retention.ms").map(String::as_str),
        Some("60000")
    );
    let (code, _) = client.call_err(CreateTopicRequest {
        name: "a.b-c_1".into(),
        partitions: 1,
        config: Default::default(),
    });
    assert_eq!(code, ErrorCode::TopicAlreadyExists);
    for bad in ["../etc", "a/b", "", "sp ace"] {
        let (code, message) = client.call_err(CreateTopicRequest {
            name: bad.into(),
            partitions: 1,
            config: Default::default(),
        });
        assert_eq!(code, ErrorCode::InvalidTopicName, "{bad:?}: {message}");
    }
    let (code, message) = client.call_err(CreateTopicRequest {
        name: "many".into(),
        partitions: 100_000,
        config: Default::default(),
    });
    assert_eq!(code, ErrorCode::InvalidPartitions, "{message}");
    let (code, message) = client.call_err(CreateTopicRequest {
        name: "cfg".into(),
        partitions: 1,
        config: [("no.such.key".to_string(), "1".to_string())].into(),
    });
    assert_eq!(code, ErrorCode::InvalidConfig);
    assert!(message.contains("no.such.key"), "{message}");
    // partitions = 0 takes the broker default (1).
    client.create_topic("defaulted", 0, &[]);
    let Response::ListTopics(list) = client.call_ok(ListTopicsRequest {}) else {
        panic!()
    };
    let names: Vec<(&str, u32)> = list
        .topics
        .iter()
        .map(|t| (t.name.as_str(), t.partitions))
        .collect();
    assert_eq!(names, vec![("a.b-c_1", 3), ("defaulted", 1)]);
    let Response::DescribeTopic(desc) = client.call_ok(DescribeTopicRequest {
        name: "a.b-c_1".into(),
    }) else {
        panic!()
    };
    assert_eq!(desc.partitions.len(), 3);
    client.call_ok(DeleteTopicRequest {
        name: "a.b-c_1".into(),
    });
    let (code, _) = client.call_err(DescribeTopicRequest {
        name: "a.b-c_1".into(),
    });
    assert_eq!(code, ErrorCode::TopicNotFound);
    let (code, _) = client.call_err(DeleteTopicRequest {
        name: "a.b-c_1".into(),
    });
    assert_eq!(code, ErrorCode::TopicNotFound);
}

#[test]
fn api_versions_lists_every_api_and_ping_answers() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    let Response::ApiVersions(v) = client.call_ok(ApiVersionsRequest {
        client_software: Some("tests".into()),
    }) else {
        panic!()
    };
    assert_eq!(v.apis.len(), ApiKey::ALL.len());
    assert!(matches!(client.call_ok(PingRequest {}), Response::Ping(_)));
}

#[test]
fn acks_none_and_durable_both_append() {
    let (_dir, broker) = start();
    let mut client = broker.client();
    client.create_topic("d", 1, &[("fsync.policy", "always")]);
    client.produce("d", 0, Acks::None, &[b"one"]);
    client.produce("d", 0, Acks::Durable, &[b"two"]);
    assert_eq!(
        client.fetch_all_values("d", 0, 0),
        vec![b"one".to_vec(), b"two".to_vec()]
    );
}
