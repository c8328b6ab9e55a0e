//! Shared fixtures for the protocol tests: one sample of every request and response kind, the
//! sample record batches, a hex dump, and the proptest configuration.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod alloc_meter;

use bytes::Bytes;
use proptest::test_runner::Config;
use rustlog_protocol::batch::{set_base_offset, stamp_log_append_time, HeaderRef, ProducerStamp};
use rustlog_protocol::messages::api_versions::{ApiVersionsRequest, ApiVersionsResponse};
use rustlog_protocol::messages::create_partitions::{
    CreatePartitionsRequest, CreatePartitionsResponse,
};
use rustlog_protocol::messages::create_topic::{CreateTopicRequest, CreateTopicResponse};
use rustlog_protocol::messages::delete_group::{DeleteGroupRequest, DeleteGroupResponse};
use rustlog_protocol::messages::delete_topic::{DeleteTopicRequest, DeleteTopicResponse};
use rustlog_protocol::messages::describe_group::{
    DescribeGroupRequest, DescribeGroupResponse, MemberDescription, PartitionLag,
};
use rustlog_protocol::messages::describe_partition::{
    DescribePartitionRequest, DescribePartitionResponse, SegmentInfo,
};
use rustlog_protocol::messages::describe_topic::{
    DescribeTopicRequest, DescribeTopicResponse, PartitionSummary,
};
use rustlog_protocol::messages::fetch::{
    FetchPartition, FetchPartitionResponse, FetchRequest, FetchResponse,
};
use rustlog_protocol::messages::heartbeat::{HeartbeatRequest, HeartbeatResponse};
use rustlog_protocol::messages::init_producer::{InitProducerRequest, InitProducerResponse};
use rustlog_protocol::messages::join_group::{Assignor, JoinGroupRequest, JoinGroupResponse};
use rustlog_protocol::messages::leave_group::{LeaveGroupRequest, LeaveGroupResponse};
use rustlog_protocol::messages::list_groups::{
    GroupSummary, ListGroupsRequest, ListGroupsResponse,
};
use rustlog_protocol::messages::list_offsets::{
    ListOffsetsPartition, ListOffsetsPartitionResponse, ListOffsetsRequest, ListOffsetsResponse,
    OffsetSpec,
};
use rustlog_protocol::messages::list_topics::{
    ListTopicsRequest, ListTopicsResponse, TopicSummary,
};
use rustlog_protocol::messages::metrics_fetch::{MetricsFetchRequest, MetricsFetchResponse};
use rustlog_protocol::messages::offset_commit::{
    OffsetCommitEntry, OffsetCommitPartitionResponse, OffsetCommitRequest, OffsetCommitResponse,
};
use rustlog_protocol::messages::offset_fetch::{
    OffsetFetchPartition, OffsetFetchRequest, OffsetFetchResponse,
};
use rustlog_protocol::messages::ping::{PingRequest, PingResponse};
use rustlog_protocol::messages::produce::{
    Acks, ProducePartition, ProducePartitionResponse, ProduceRequest, ProduceResponse,
};
use rustlog_protocol::{
    ApiKey, Compression, ErrorCode, RecordBatchBuilder, Request, Response, TopicPartition,
    TopicPartitions,
};
use std::collections::BTreeMap;

/// Proptest settings: `default_cases` unless `PROPTEST_CASES` says otherwise. Kept modest so the
/// whole protocol suite stays well under a minute on 2 cores.
pub fn proptest_config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        ..Config::default()
    }
}

/// A fixed timestamp (2023-11-14T22:13:20Z) so vectors never depend on the clock.
pub const T0_MS: i64 = 1_700_000_000_000;

/// Byte offset of the CRC-32C field, as SPEC.md §8.1 states it (the crate keeps it private).
pub const CRC_OFFSET: usize = 17;
/// First byte the CRC covers (attributes), as SPEC.md §8.1 states it.
pub const CRC_SPAN_START: usize = 21;

/// Rewrites a batch's CRC-32C after a test edited its bytes, so the edit reaches the check it
/// targets instead of stopping at the checksum.
pub fn fix_crc(batch: &mut [u8]) {
    if batch.len() > CRC_SPAN_START {
        let crc = crc32c::crc32c(&batch[CRC_SPAN_START..]);
        batch[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
    }
}

/// One record to build: timestamp, key, value, headers (null header values allowed).
pub type Rec<'a> = (i64, Option<&'a [u8]>, Option<&'a [u8]>, Vec<HeaderRef<'a>>);

/// How a sample batch is written besides its records.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub codec: Compression,
    pub level: Option<i32>,
    pub producer: Option<ProducerStamp>,
    /// Stamp LogAppendTime with this broker clock after building (as the broker does).
    pub log_append_time: Option<i64>,
    /// The base offset the broker stamped (0: as a producer sends it).
    pub base_offset: u64,
}

/// Builds a batch from `records` with `options`.
pub fn build_with(records: &[Rec<'_>], options: Options) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new()
        .compression(options.codec, options.level)
        .unwrap();
    if let Some(stamp) = options.producer {
        b = b.producer(stamp);
    }
    for (ts, key, value, headers) in records {
        b.push(*ts, *key, *value, headers).unwrap();
    }
    let mut bytes = b.finish(0).unwrap();
    set_base_offset(&mut bytes, options.base_offset);
    if let Some(now) = options.log_append_time {
        stamp_log_append_time(&mut bytes, now).unwrap();
    }
    bytes
}

/// Builds an uncompressed batch without producer fields.
pub fn build(records: &[Rec<'_>], base_offset: u64) -> Vec<u8> {
    build_with(
        records,
        Options {
            base_offset,
            ..Options::default()
        },
    )
}

/// Two keyed records, no headers, base offset 0 (as a producer sends it).
pub fn batch_keyed() -> Vec<u8> {
    build(
        &[
            (T0_MS, Some(b"user-1"), Some(b"{\"clicks\":1}"), vec![]),
            (T0_MS + 5, Some(b"user-2"), Some(b"{\"clicks\":7}"), vec![]),
        ],
        0,
    )
}

/// Two records with null keys (round-robin partitioned).
pub fn batch_unkeyed() -> Vec<u8> {
    build(
        &[
            (T0_MS, None, Some(b"hello"), vec![]),
            (T0_MS + 1, None, Some(b"world"), vec![]),
        ],
        0,
    )
}

/// One record with two headers.
pub fn batch_headers() -> Vec<u8> {
    build(
        &[(
            T0_MS,
            Some(b"order-17"),
            Some(b"paid"),
            vec![("trace-id", Some(b"abc123")), ("source", Some(b""))],
        )],
        0,
    )
}

/// A tombstone: a key with a null value (deletes the key under compaction).
pub fn batch_null_value() -> Vec<u8> {
    build(&[(T0_MS, Some(b"user-1"), None, vec![])], 0)
}

/// Empty (zero-length, not null) key and value: the two must stay distinguishable.
pub fn batch_empty_fields() -> Vec<u8> {
    build(&[(T0_MS, Some(b""), Some(b""), vec![])], 0)
}

/// The records of [`batch_multi`]: keys, null fields and headers mixed; one timestamp is
/// earlier than the first (a negative timestamp delta).
pub fn multi_records() -> Vec<Rec<'static>> {
    vec![
        (T0_MS, Some(b"a"), Some(b"1"), vec![]),
        (T0_MS + 10, None, Some(b"2"), vec![("h", Some(b"x"))]),
        (T0_MS - 3, Some(b"c"), None, vec![]),
        (
            T0_MS + 250,
            Some(b"d"),
            Some(b"4"),
            vec![("k1", Some(b"v1")), ("k2", Some(b"v2"))],
        ),
        (T0_MS + 20, None, None, vec![]),
    ]
}

/// Five records mixing keys, null fields and headers, with a negative timestamp delta.
pub fn batch_multi() -> Vec<u8> {
    build(&multi_records(), 0)
}

/// Three records stamped by the broker with base offset 42 (how they sit on disk and in a fetch).
pub fn batch_stamped() -> Vec<u8> {
    build(
        &[
            (T0_MS, Some(b"k"), Some(b"v0"), vec![]),
            (T0_MS + 1, Some(b"k"), Some(b"v1"), vec![]),
            (T0_MS + 2, Some(b"k"), Some(b"v2"), vec![]),
        ],
        42,
    )
}

/// Four records with repetitive JSON values, so every codec has something to squeeze.
pub fn compressible_records() -> Vec<Rec<'static>> {
    const VALUE: &[u8] =
        b"{\"event\":\"page_view\",\"path\":\"/products/42\",\"referrer\":\"/home\"}";
    vec![
        (
            T0_MS,
            Some(b"user-1"),
            Some(VALUE),
            vec![("source", Some(b"web"))],
        ),
        (
            T0_MS + 1,
            Some(b"user-2"),
            Some(VALUE),
            vec![("source", Some(b"web"))],
        ),
        (
            T0_MS + 2,
            Some(b"user-1"),
            Some(VALUE),
            vec![("source", Some(b"app"))],
        ),
        (
            T0_MS + 3,
            Some(b"user-3"),
            Some(VALUE),
            vec![("source", Some(b"web"))],
        ),
    ]
}

/// The fixed level each codec's vector uses (`None` for codecs without levels).
pub fn vector_level(codec: Compression) -> Option<i32> {
    match codec {
        Compression::Gzip => Some(6),
        Compression::Zstd => Some(3),
        _ => None,
    }
}

/// [`compressible_records`] compressed with `codec` at its vector level.
pub fn batch_compressed(codec: Compression) -> Vec<u8> {
    build_with(
        &compressible_records(),
        Options {
            codec,
            level: vector_level(codec),
            ..Options::default()
        },
    )
}

/// The producer fields of the idempotent sample: producer id 7001, epoch 3, base sequence 40.
pub const SAMPLE_PRODUCER: ProducerStamp = ProducerStamp {
    producer_id: 7001,
    producer_epoch: 3,
    base_sequence: 40,
};

/// Three records of an idempotent producer (sequences 40, 41, 42).
pub fn batch_idempotent() -> Vec<u8> {
    build_with(
        &[
            (T0_MS, Some(b"order-1"), Some(b"created"), vec![]),
            (T0_MS + 1, Some(b"order-1"), Some(b"paid"), vec![]),
            (T0_MS + 2, Some(b"order-2"), Some(b"created"), vec![]),
        ],
        Options {
            producer: Some(SAMPLE_PRODUCER),
            ..Options::default()
        },
    )
}

/// Headers Kafka allows and a map would lose: null values and the same key twice, in order.
pub fn batch_header_nulls() -> Vec<u8> {
    build(
        &[
            (
                T0_MS,
                Some(b"k"),
                Some(b"v"),
                vec![
                    ("retry", Some(b"1")),
                    ("trace", None),
                    ("retry", Some(b"2")),
                    ("retry", None),
                ],
            ),
            (T0_MS + 1, None, Some(b"w"), vec![("", None)]),
        ],
        0,
    )
}

/// The broker clock of the LogAppendTime sample (T0 + 1 s).
pub const APPEND_TIME_MS: i64 = T0_MS + 1_000;

/// Two records whose batch the broker stamped with LogAppendTime at base offset 7: consumers
/// read every record's timestamp as the append time.
pub fn batch_log_append_time() -> Vec<u8> {
    build_with(
        &[
            (T0_MS, Some(b"k"), Some(b"first"), vec![]),
            (T0_MS + 3, Some(b"k"), Some(b"second"), vec![]),
        ],
        Options {
            log_append_time: Some(APPEND_TIME_MS),
            base_offset: 7,
            ..Options::default()
        },
    )
}

/// Every sample batch: (file stem, description, bytes).
pub fn sample_batches() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    vec![
        (
            "batch_keyed",
            "two records with keys and values, no headers, base offset 0",
            batch_keyed(),
        ),
        (
            "batch_unkeyed",
            "two records with null keys",
            batch_unkeyed(),
        ),
        (
            "batch_headers",
            "one record with two headers (one with an empty value)",
            batch_headers(),
        ),
        (
            "batch_null_value",
            "a tombstone: key with a null value",
            batch_null_value(),
        ),
        (
            "batch_empty_fields",
            "a zero-length (not null) key and value",
            batch_empty_fields(),
        ),
        (
            "batch_multi",
            "five records mixing null keys, null values, headers and a negative timestamp delta",
            batch_multi(),
        ),
        (
            "batch_stamped",
            "three records after the broker stamped base offset 42 (CRC unchanged)",
            batch_stamped(),
        ),
        (
            "batch_gzip",
            "four records compressed with gzip (level 6)",
            batch_compressed(Compression::Gzip),
        ),
        (
            "batch_snappy",
            "four records compressed with snappy in xerial framing",
            batch_compressed(Compression::Snappy),
        ),
        (
            "batch_lz4",
            "four records compressed as one LZ4 frame",
            batch_compressed(Compression::Lz4),
        ),
        (
            "batch_zstd",
            "four records compressed with zstd (level 3)",
            batch_compressed(Compression::Zstd),
        ),
        (
            "batch_idempotent",
            "three records of an idempotent producer: id 7001, epoch 3, base sequence 40",
            batch_idempotent(),
        ),
        (
            "batch_header_nulls",
            "headers with null values and a key repeated three times, order kept",
            batch_header_nulls(),
        ),
        (
            "batch_log_append_time",
            "two records stamped LogAppendTime by the broker at base offset 7",
            batch_log_append_time(),
        ),
    ]
}

fn tp(topic: &str, partitions: &[u32]) -> TopicPartitions {
    TopicPartitions {
        topic: topic.to_string(),
        partitions: partitions.to_vec(),
    }
}

fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn full_config(cleanup: &str) -> BTreeMap<String, String> {
    config(&[
        ("cleanup.policy", cleanup),
        ("delete.retention.ms", "86400000"),
        ("fsync.interval.ms", "100"),
        ("fsync.policy", "interval"),
        ("index.interval.bytes", "4096"),
        ("retention.bytes", "-1"),
        ("retention.ms", "604800000"),
        ("segment.bytes", "1073741824"),
        ("segment.ms", "604800000"),
    ])
}

/// One request of every api key, in api key order: (description, request).
pub fn sample_requests() -> Vec<(&'static str, Request)> {
    vec![
        (
            "ask which apis and versions the broker speaks",
            ApiVersionsRequest {
                client_software: Some("rustlog-vectors/1".into()),
            }
            .into(),
        ),
        ("liveness round trip", PingRequest {}.into()),
        (
            "produce two batches (keyed, with headers) to two partitions, acks=leader",
            ProduceRequest {
                acks: Acks::Leader,
                timeout_ms: 30_000,
                partitions: vec![
                    ProducePartition {
                        topic: "orders".into(),
                        partition: 0,
                        batch: Bytes::from(batch_keyed()),
                    },
                    ProducePartition {
                        topic: "events".into(),
                        partition: 2,
                        batch: Bytes::from(batch_headers()),
                    },
                ],
            }
            .into(),
        ),
        (
            "fetch from orders/0 at offset 43, long-polling up to 500 ms",
            FetchRequest {
                max_wait_ms: 500,
                min_bytes: 1,
                max_bytes: 1_048_576,
                partitions: vec![FetchPartition {
                    topic: "orders".into(),
                    partition: 0,
                    fetch_offset: 43,
                    partition_max_bytes: 1_048_576,
                }],
            }
            .into(),
        ),
        (
            "earliest, latest and by-timestamp lookups",
            ListOffsetsRequest {
                partitions: vec![
                    ListOffsetsPartition {
                        topic: "orders".into(),
                        partition: 0,
                        spec: OffsetSpec::Earliest,
                    },
                    ListOffsetsPartition {
                        topic: "orders".into(),
                        partition: 1,
                        spec: OffsetSpec::Latest,
                    },
                    ListOffsetsPartition {
                        topic: "orders".into(),
                        partition: 2,
                        spec: OffsetSpec::Timestamp {
                            timestamp_ms: T0_MS,
                        },
                    },
                ],
            }
            .into(),
        ),
        (
            "create a compacted topic with 3 partitions",
            CreateTopicRequest {
                name: "orders".into(),
                partitions: 3,
                config: config(&[("cleanup.policy", "compact"), ("fsync.policy", "always")]),
            }
            .into(),
        ),
        (
            "delete a topic",
            DeleteTopicRequest {
                name: "orders".into(),
            }
            .into(),
        ),
        ("list every topic", ListTopicsRequest {}.into()),
        (
            "describe a topic",
            DescribeTopicRequest {
                name: "orders".into(),
            }
            .into(),
        ),
        (
            "describe one partition",
            DescribePartitionRequest {
                topic: "orders".into(),
                partition: 0,
            }
            .into(),
        ),
        (
            "commit offsets as a group member",
            OffsetCommitRequest {
                group_id: "billing".into(),
                generation_id: Some(3),
                member_id: Some("billing-1f2e".into()),
                only_if_empty: false,
                offsets: vec![
                    OffsetCommitEntry {
                        topic: "orders".into(),
                        partition: 0,
                        offset: 45,
                        metadata: None,
                    },
                    OffsetCommitEntry {
                        topic: "orders".into(),
                        partition: 1,
                        offset: 7,
                        metadata: Some("host-a".into()),
                    },
                ],
            }
            .into(),
        ),
        (
            "fetch committed offsets of two partitions",
            OffsetFetchRequest {
                group_id: "billing".into(),
                partitions: Some(vec![
                    TopicPartition {
                        topic: "orders".into(),
                        partition: 0,
                    },
                    TopicPartition {
                        topic: "orders".into(),
                        partition: 1,
                    },
                ]),
            }
            .into(),
        ),
        (
            "first join of a consumer group (no member id yet)",
            JoinGroupRequest {
                group_id: "billing".into(),
                member_id: None,
                client_id: "billing-service".into(),
                topics: vec!["orders".into()],
                session_timeout_ms: 10_000,
                rebalance_timeout_ms: 30_000,
                assignor: Assignor::Range,
            }
            .into(),
        ),
        (
            "keep a membership alive",
            HeartbeatRequest {
                group_id: "billing".into(),
                member_id: "billing-1f2e".into(),
                generation_id: 3,
            }
            .into(),
        ),
        (
            "leave a group",
            LeaveGroupRequest {
                group_id: "billing".into(),
                member_id: "billing-1f2e".into(),
            }
            .into(),
        ),
        ("fetch the broker's metrics", MetricsFetchRequest {}.into()),
        ("list consumer groups", ListGroupsRequest {}.into()),
        (
            "describe a consumer group",
            DescribeGroupRequest {
                group_id: "billing".into(),
            }
            .into(),
        ),
        (
            "an idempotent producer asks for a new producer id",
            InitProducerRequest::default().into(),
        ),
        (
            "grow a topic to 12 partitions",
            CreatePartitionsRequest {
                topic: "orders".into(),
                partitions: 12,
                validate_only: false,
            }
            .into(),
        ),
        (
            "delete an empty consumer group",
            DeleteGroupRequest {
                group_id: "billing".into(),
            }
            .into(),
        ),
    ]
}

/// One successful response of every api key, in api key order: (description, response).
pub fn sample_responses() -> Vec<(&'static str, Response)> {
    vec![
        ("the api table of this codec", ApiVersionsResponse::supported("0.1.0").into()),
        ("pong", PingResponse {}.into()),
        ("one partition appended at offset 42, one partition-level error", ProduceResponse {
            partitions: vec![
                ProducePartitionResponse {
                    topic: "orders".into(), partition: 0, error_code: ErrorCode::None,
                    base_offset: 42, log_append_time_ms: T0_MS + 17, log_start_offset: 0, error_message: String::new(),
                },
                ProducePartitionResponse {
                    topic: "events".into(), partition: 2, error_code: ErrorCode::PartitionNotFound,
                    base_offset: 0, log_append_time_ms: -1, log_start_offset: 0, error_message: "topic \"events\" has 2 partitions".into(),
                },
            ],
        }.into()),
        ("one stored batch starting at 42 (before the fetch offset 43), high watermark 45", FetchResponse {
            partitions: vec![FetchPartitionResponse {
                topic: "orders".into(), partition: 0, error_code: ErrorCode::None,
                high_watermark: 45, log_start_offset: 0, records: Bytes::from(batch_stamped()),
            }],
        }.into()),
        ("offsets found, and a timestamp after the last record", ListOffsetsResponse {
            partitions: vec![
                ListOffsetsPartitionResponse { topic: "orders".into(), partition: 0, error_code: ErrorCode::None, offset: Some(0), timestamp_ms: None },
                ListOffsetsPartitionResponse { topic: "orders".into(), partition: 1, error_code: ErrorCode::None, offset: Some(45), timestamp_ms: None },
                ListOffsetsPartitionResponse { topic: "orders".into(), partition: 2, error_code: ErrorCode::None, offset: None, timestamp_ms: None },
            ],
        }.into()),
        ("the created topic with its effective config", CreateTopicResponse { name: "orders".into(), partitions: 3, config: full_config("compact") }.into()),
        ("topic deleted", DeleteTopicResponse {}.into()),
        ("two topics, sorted by name", ListTopicsResponse {
            topics: vec![
                TopicSummary { name: "events".into(), partitions: 2 },
                TopicSummary { name: "orders".into(), partitions: 3 },
            ],
        }.into()),
        ("config, per-partition offsets and a quarantined partition", DescribeTopicResponse {
            name: "orders".into(),
            config: full_config("delete"),
            partitions: vec![
                PartitionSummary { partition: 0, log_start_offset: 0, high_watermark: 45, size_bytes: 4_096, segment_count: 1, quarantined: None },
                PartitionSummary { partition: 1, log_start_offset: 10, high_watermark: 12, size_bytes: 190, segment_count: 2, quarantined: None },
                PartitionSummary {
                    partition: 2, log_start_offset: 0, high_watermark: 0, size_bytes: 0, segment_count: 0,
                    quarantined: Some("partition orders-2 is quarantined: corrupt data in /data/topics/orders/2/00000000000000000000.log at byte 4096: CRC mismatch".into()),
                },
            ],
        }.into()),
        ("a partition with a sealed and an active segment", DescribePartitionResponse {
            topic: "orders".into(), partition: 0, log_start_offset: 0, high_watermark: 45, size_bytes: 4_096,
            segments: vec![
                SegmentInfo { base_offset: 0, next_offset: 40, size_bytes: 3_900, max_timestamp_ms: Some(T0_MS + 99), sealed: true },
                SegmentInfo { base_offset: 40, next_offset: 45, size_bytes: 196, max_timestamp_ms: Some(T0_MS + 120), sealed: false },
            ],
        }.into()),
        ("per-partition commit results", OffsetCommitResponse {
            partitions: vec![
                OffsetCommitPartitionResponse { topic: "orders".into(), partition: 0, error_code: ErrorCode::None },
                OffsetCommitPartitionResponse { topic: "orders".into(), partition: 1, error_code: ErrorCode::None },
            ],
        }.into()),
        ("one committed offset, one partition never committed", OffsetFetchResponse {
            offsets: vec![
                OffsetFetchPartition { topic: "orders".into(), partition: 0, offset: Some(45), metadata: None, error_code: ErrorCode::None },
                OffsetFetchPartition { topic: "orders".into(), partition: 1, offset: None, metadata: None, error_code: ErrorCode::None },
            ],
        }.into()),
        ("the member id, generation and assignment", JoinGroupResponse {
            member_id: "billing-1f2e".into(), generation_id: 3,
            assignment: vec![tp("orders", &[0, 1])],
            heartbeat_interval_ms: 3_000, member_count: 2,
        }.into()),
        ("heartbeat accepted", HeartbeatResponse {}.into()),
        ("left the group", LeaveGroupResponse {}.into()),
        ("Prometheus text", MetricsFetchResponse {
            prometheus_text: "# TYPE rustlog_requests_total counter\nrustlog_requests_total{api=\"Produce\"} 12\n".into(),
        }.into()),
        ("two groups, sorted by id", ListGroupsResponse {
            groups: vec![
                GroupSummary { group_id: "audit".into(), state: "empty".into(), generation_id: 0, member_count: 0 },
                GroupSummary { group_id: "billing".into(), state: "stable".into(), generation_id: 3, member_count: 2 },
            ],
        }.into()),
        ("members, assignment and lag", DescribeGroupResponse {
            group_id: "billing".into(), state: "stable".into(), generation_id: 3, assignor: Assignor::Range,
            members: vec![
                MemberDescription { member_id: "billing-1f2e".into(), client_id: "billing-service".into(), topics: vec!["orders".into()], assignment: vec![tp("orders", &[0, 1])] },
                MemberDescription { member_id: "billing-9a0b".into(), client_id: "billing-service".into(), topics: vec!["orders".into()], assignment: vec![tp("orders", &[2])] },
            ],
            offsets: vec![
                PartitionLag { topic: "orders".into(), partition: 0, committed_offset: Some(45), high_watermark: 45, lag: 0 },
                PartitionLag { topic: "orders".into(), partition: 2, committed_offset: None, high_watermark: 12, lag: 12 },
            ],
        }.into()),
        ("a new producer id at epoch 0", InitProducerResponse { producer_id: 7001, producer_epoch: 0 }.into()),
        ("the topic has 12 partitions now", CreatePartitionsResponse { topic: "orders".into(), partitions: 12 }.into()),
        ("group deleted", DeleteGroupResponse {}.into()),
    ]
}

/// The file stem of an api's vectors: `Produce` → `produce`, `ApiVersions` → `api_versions`.
pub fn snake_name(api: ApiKey) -> String {
    let mut out = String::new();
    for (i, c) in api.name().chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The correlation id used in an api's vectors, so a reader can tell the frames apart.
pub fn vector_correlation_id(api: ApiKey) -> u32 {
    0x0100 + u32::from(api.code())
}

/// Classic hex dump: offset, 16 bytes in hex, printable ASCII.
pub fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!(
            "{:08x}  {:<47}  |{}|\n",
            i * 16,
            hex.join(" "),
            ascii
        ));
    }
    out
}

/// A readable rendering of a batch's header and records, for snapshots.
pub fn describe_batch(bytes: &[u8]) -> String {
    use rustlog_protocol::RecordBatchView;
    let view = RecordBatchView::parse(bytes).unwrap();
    view.validate().unwrap();
    let h = view.header();
    let mut out = format!("{h:#?}\n");
    out.push_str(&format!(
        "codec={} timestamp_type={:?} transactional={} control={} last_sequence={}\n",
        h.compression().unwrap(),
        h.timestamp_type(),
        h.is_transactional(),
        h.is_control(),
        h.last_sequence()
    ));
    let records = view.records().unwrap();
    if h.compression().unwrap() != Compression::None {
        out.push_str(&format!(
            "records section: {} bytes stored, {} bytes decompressed\n",
            view.raw_records().len(),
            records.as_bytes().len()
        ));
    }
    for record in records.iter() {
        let r = record.unwrap();
        out.push_str(&format!(
            "record offset={} offset_delta={} timestamp_ms={} key={} value={}\n",
            r.offset,
            r.offset_delta,
            r.timestamp_ms,
            show(r.key),
            show(r.value)
        ));
        for header in r.headers() {
            let (k, v) = header.unwrap();
            out.push_str(&format!("  header {k:?} = {}\n", show(v)));
        }
    }
    out
}

fn show(field: Option<&[u8]>) -> String {
    match field {
        None => "null".to_string(),
        Some(bytes) => format!("{:?}", String::from_utf8_lossy(bytes)),
    }
}

/// Rebuilds a batch from what a reader decodes of it: its records (timestamps, keys, values,
/// headers, in order), codec (at the vectors' level), producer fields and base offset; under
/// LogAppendTime, the records' own create times, then the broker's stamp again. For a batch this
/// crate wrote, the result is the same bytes.
pub fn reencode(bytes: &[u8]) -> Vec<u8> {
    use rustlog_protocol::batch::{RecordIter, TimestampType, ATTR_LOG_APPEND_TIME};
    use rustlog_protocol::RecordBatchView;
    let view = RecordBatchView::parse(bytes).unwrap();
    let h = *view.header();
    let codec = h.compression().unwrap();
    let records = view.records().unwrap();
    // Under LogAppendTime readers see the append time; the create times are still in the
    // records, read with the bit cleared.
    let mut create_time = h;
    create_time.attributes &= !ATTR_LOG_APPEND_TIME;
    let mut b = RecordBatchBuilder::new()
        .compression(codec, vector_level(codec))
        .unwrap()
        .producer(h.producer());
    for record in RecordIter::new(records.as_bytes(), &create_time) {
        let r = record.unwrap();
        let headers: Vec<HeaderRef<'_>> = r.headers().map(Result::unwrap).collect();
        b.push(r.timestamp_ms, r.key, r.value, &headers).unwrap();
    }
    let mut again = b.finish(0).unwrap();
    set_base_offset(&mut again, h.base_offset);
    if h.timestamp_type() == TimestampType::LogAppendTime {
        stamp_log_append_time(&mut again, h.max_timestamp).unwrap();
    }
    again
}

/// `batch` with its attributes and records section replaced (length and CRC fixed): for
/// compressed sections a test made by hand.
pub fn with_section(batch: &[u8], attributes: u16, section: &[u8]) -> Vec<u8> {
    use rustlog_protocol::batch::BATCH_HEADER_BYTES;
    let mut out = batch[..BATCH_HEADER_BYTES].to_vec();
    out.extend_from_slice(section);
    let batch_length = (out.len() - 12) as u32;
    out[8..12].copy_from_slice(&batch_length.to_be_bytes());
    out[21..23].copy_from_slice(&attributes.to_be_bytes());
    fix_crc(&mut out);
    out
}
