//! Round trips: every request and response kind, and record batches with arbitrary contents,
//! encode → frame decode → body decode back to the same value, and re-encode to the same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::{Bytes, BytesMut};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use rustlog_protocol::batch::{HeaderRef, TimestampType};
use rustlog_protocol::frame::{decode_request_frame, decode_response_frame};
use rustlog_protocol::limits::FRAME_BYTES_MAX;
use rustlog_protocol::messages::api_versions::{
    ApiVersionRange, ApiVersionsRequest, ApiVersionsResponse,
};
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
    encode_error_response, Compression, ErrorCode, ProducerStamp, RecordBatchBuilder,
    RecordBatchView, Request, Response, ResponseBody, TopicPartition, TopicPartitions,
};

// ---- leaf strategies ----

/// Any Unicode text (JSON must carry it intact, escapes and all).
fn text() -> impl Strategy<Value = String> {
    ".{0,12}"
}

fn topic() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._-]{1,24}"
}

fn code() -> impl Strategy<Value = ErrorCode> {
    prop::sample::select(ErrorCode::ALL.to_vec())
}

fn config() -> impl Strategy<Value = std::collections::BTreeMap<String, String>> {
    btree_map(text(), text(), 0..4)
}

fn topic_partitions() -> impl Strategy<Value = TopicPartitions> {
    (topic(), vec(any::<u32>(), 0..4))
        .prop_map(|(topic, partitions)| TopicPartitions { topic, partitions })
}

fn assignor() -> impl Strategy<Value = Assignor> {
    prop_oneof![Just(Assignor::Range), Just(Assignor::RoundRobin)]
}

fn acks() -> impl Strategy<Value = Acks> {
    prop_oneof![Just(Acks::None), Just(Acks::Leader), Just(Acks::Durable)]
}

type RecordSpec = (
    i64,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(String, Option<Vec<u8>>)>,
);

/// Header keys come from a small set so duplicates are common.
fn header_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["trace", "retry", "", "é"]).prop_map(String::from),
        1 => ".{0,6}",
    ]
}

/// Timestamps anywhere an i64 goes (deltas wrap), but mostly near each other.
fn timestamp() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => common::T0_MS - 1_000..common::T0_MS + 1_000,
        1 => any::<i64>(),
    ]
}

fn record() -> impl Strategy<Value = RecordSpec> {
    (
        timestamp(),
        option::of(vec(any::<u8>(), 0..24)),
        option::of(vec(any::<u8>(), 0..48)),
        vec((header_key(), option::of(vec(any::<u8>(), 0..8))), 0..4),
    )
}

fn codec() -> impl Strategy<Value = Compression> {
    prop::sample::select(Compression::ALL.to_vec())
}

/// Producer fields: none, or an id, epoch and base sequence (up to `i32::MAX`, which wraps).
fn producer() -> impl Strategy<Value = Option<ProducerStamp>> {
    option::of((0..=i64::MAX, 0..=i16::MAX, 0..=i32::MAX).prop_map(
        |(producer_id, producer_epoch, base_sequence)| ProducerStamp {
            producer_id,
            producer_epoch,
            base_sequence,
        },
    ))
}

fn headers_of(spec: &RecordSpec) -> Vec<HeaderRef<'_>> {
    spec.3
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_deref()))
        .collect()
}

fn build_with(
    records: &[RecordSpec],
    codec: Compression,
    producer: Option<ProducerStamp>,
) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new().compression(codec, None).unwrap();
    if let Some(stamp) = producer {
        b = b.producer(stamp);
    }
    for spec in records {
        b.push(
            spec.0,
            spec.1.as_deref(),
            spec.2.as_deref(),
            &headers_of(spec),
        )
        .unwrap();
    }
    b.finish(0).unwrap()
}

fn build(records: &[RecordSpec]) -> Vec<u8> {
    build_with(records, Compression::None, None)
}

fn batch() -> impl Strategy<Value = Bytes> {
    (vec(record(), 1..5), codec(), producer())
        .prop_map(|(records, codec, producer)| Bytes::from(build_with(&records, codec, producer)))
}

// ---- one strategy per request kind ----

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        option::of(text())
            .prop_map(|client_software| ApiVersionsRequest { client_software }.into()),
        Just(PingRequest {}.into()),
        (
            acks(),
            any::<u32>(),
            vec((topic(), any::<u32>(), batch()), 0..3)
        )
            .prop_map(|(acks, timeout_ms, parts)| ProduceRequest {
                acks,
                timeout_ms,
                partitions: parts
                    .into_iter()
                    .map(|(topic, partition, batch)| ProducePartition {
                        topic,
                        partition,
                        batch
                    })
                    .collect(),
            }
            .into()),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            vec((topic(), any::<u32>(), any::<u64>(), any::<u32>()), 0..4)
        )
            .prop_map(|(max_wait_ms, min_bytes, max_bytes, parts)| FetchRequest {
                max_wait_ms,
                min_bytes,
                max_bytes,
                partitions: parts
                    .into_iter()
                    .map(
                        |(topic, partition, fetch_offset, partition_max_bytes)| FetchPartition {
                            topic,
                            partition,
                            fetch_offset,
                            partition_max_bytes,
                        }
                    )
                    .collect(),
            }
            .into()),
        vec(
            (
                topic(),
                any::<u32>(),
                prop_oneof![
                    Just(OffsetSpec::Earliest),
                    Just(OffsetSpec::Latest),
                    any::<i64>().prop_map(|timestamp_ms| OffsetSpec::Timestamp { timestamp_ms }),
                ]
            ),
            0..4
        )
        .prop_map(|parts| ListOffsetsRequest {
            partitions: parts
                .into_iter()
                .map(|(topic, partition, spec)| ListOffsetsPartition {
                    topic,
                    partition,
                    spec
                })
                .collect(),
        }
        .into()),
        (text(), any::<u32>(), config()).prop_map(|(name, partitions, config)| {
            CreateTopicRequest {
                name,
                partitions,
                config,
            }
            .into()
        }),
        text().prop_map(|name| DeleteTopicRequest { name }.into()),
        Just(ListTopicsRequest {}.into()),
        text().prop_map(|name| DescribeTopicRequest { name }.into()),
        (text(), any::<u32>()).prop_map(|(topic, partition)| DescribePartitionRequest {
            topic,
            partition
        }
        .into()),
        (
            text(),
            option::of(any::<i32>()),
            option::of(text()),
            vec(
                (topic(), any::<u32>(), any::<u64>(), option::of(text())),
                0..4
            )
        )
            .prop_map(|(group_id, generation_id, member_id, offsets)| {
                OffsetCommitRequest {
                    group_id,
                    generation_id,
                    member_id,
                    only_if_empty: false,
                    offsets: offsets
                        .into_iter()
                        .map(|(topic, partition, offset, metadata)| OffsetCommitEntry {
                            topic,
                            partition,
                            offset,
                            metadata,
                        })
                        .collect(),
                }
                .into()
            }),
        (text(), option::of(vec((topic(), any::<u32>()), 0..4))).prop_map(
            |(group_id, partitions)| OffsetFetchRequest {
                group_id,
                partitions: partitions.map(|ps| ps
                    .into_iter()
                    .map(|(topic, partition)| TopicPartition { topic, partition })
                    .collect()),
            }
            .into()
        ),
        (
            text(),
            option::of(text()),
            text(),
            vec(topic(), 0..4),
            any::<u32>(),
            any::<u32>(),
            assignor()
        )
            .prop_map(
                |(group_id, member_id, client_id, topics, session, rebalance, assignor)| {
                    JoinGroupRequest {
                        group_id,
                        member_id,
                        client_id,
                        topics,
                        session_timeout_ms: session,
                        rebalance_timeout_ms: rebalance,
                        assignor,
                    }
                    .into()
                }
            ),
        (text(), text(), any::<i32>()).prop_map(|(group_id, member_id, generation_id)| {
            HeartbeatRequest {
                group_id,
                member_id,
                generation_id,
            }
            .into()
        }),
        (text(), text()).prop_map(|(group_id, member_id)| LeaveGroupRequest {
            group_id,
            member_id
        }
        .into()),
        Just(MetricsFetchRequest {}.into()),
        Just(ListGroupsRequest {}.into()),
        text().prop_map(|group_id| DescribeGroupRequest { group_id }.into()),
        (any::<i64>(), any::<i16>()).prop_map(|(producer_id, producer_epoch)| {
            InitProducerRequest {
                producer_id,
                producer_epoch,
            }
            .into()
        }),
        (text(), any::<u32>(), any::<bool>()).prop_map(|(topic, partitions, validate_only)| {
            CreatePartitionsRequest {
                topic,
                partitions,
                validate_only,
            }
            .into()
        }),
        text().prop_map(|group_id| DeleteGroupRequest { group_id }.into()),
    ]
}

// ---- one strategy per response kind ----

fn response() -> impl Strategy<Value = Response> {
    prop_oneof![
        (
            text(),
            vec((any::<u16>(), text(), any::<u16>(), any::<u16>()), 0..4)
        )
            .prop_map(|(broker_version, apis)| ApiVersionsResponse {
                broker_version,
                apis: apis
                    .into_iter()
                    .map(
                        |(api_key, name, min_version, max_version)| ApiVersionRange {
                            api_key,
                            name,
                            min_version,
                            max_version,
                        }
                    )
                    .collect(),
            }
            .into()),
        Just(PingResponse {}.into()),
        vec(
            (
                topic(),
                any::<u32>(),
                code(),
                any::<u64>(),
                any::<i64>(),
                any::<u64>(),
                text()
            ),
            0..4
        )
        .prop_map(|parts| ProduceResponse {
            partitions: parts
                .into_iter()
                .map(
                    |(topic, partition, error_code, base_offset, t, log_start_offset, msg)| {
                        ProducePartitionResponse {
                            topic,
                            partition,
                            error_code,
                            base_offset,
                            log_append_time_ms: t,
                            log_start_offset,
                            error_message: msg,
                        }
                    }
                )
                .collect(),
        }
        .into()),
        vec(
            (
                topic(),
                any::<u32>(),
                code(),
                any::<u64>(),
                any::<u64>(),
                vec(batch(), 0..3)
            ),
            0..3
        )
        .prop_map(|parts| FetchResponse {
            partitions: parts
                .into_iter()
                .map(
                    |(topic, partition, error_code, high_watermark, log_start_offset, bs)| {
                        FetchPartitionResponse {
                            topic,
                            partition,
                            error_code,
                            high_watermark,
                            log_start_offset,
                            records: Bytes::from(bs.concat()),
                        }
                    }
                )
                .collect(),
        }
        .into()),
        vec(
            (
                topic(),
                any::<u32>(),
                code(),
                option::of(any::<u64>()),
                option::of(any::<i64>())
            ),
            0..4
        )
        .prop_map(|parts| ListOffsetsResponse {
            partitions: parts
                .into_iter()
                .map(|(topic, partition, error_code, offset, timestamp_ms)| {
                    ListOffsetsPartitionResponse {
                        topic,
                        partition,
                        error_code,
                        offset,
                        timestamp_ms,
                    }
                })
                .collect(),
        }
        .into()),
        (text(), any::<u32>(), config()).prop_map(|(name, partitions, config)| {
            CreateTopicResponse {
                name,
                partitions,
                config,
            }
            .into()
        }),
        Just(DeleteTopicResponse {}.into()),
        vec((topic(), any::<u32>()), 0..4).prop_map(|topics| ListTopicsResponse {
            topics: topics
                .into_iter()
                .map(|(name, partitions)| TopicSummary { name, partitions })
                .collect(),
        }
        .into()),
        (
            text(),
            config(),
            vec(
                (
                    any::<u32>(),
                    any::<u64>(),
                    any::<u64>(),
                    any::<u64>(),
                    any::<u32>()
                ),
                0..4
            )
        )
            .prop_map(|(name, config, parts)| DescribeTopicResponse {
                name,
                config,
                partitions: parts
                    .into_iter()
                    .map(
                        |(
                            partition,
                            log_start_offset,
                            high_watermark,
                            size_bytes,
                            segment_count,
                        )| {
                            PartitionSummary {
                                partition,
                                log_start_offset,
                                high_watermark,
                                size_bytes,
                                segment_count,
                                quarantined: None,
                            }
                        }
                    )
                    .collect(),
            }
            .into()),
        (
            text(),
            any::<u32>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            vec(
                (
                    any::<u64>(),
                    any::<u64>(),
                    any::<u64>(),
                    option::of(any::<i64>()),
                    any::<bool>()
                ),
                0..4
            )
        )
            .prop_map(
                |(topic, partition, log_start_offset, high_watermark, size_bytes, segs)| {
                    DescribePartitionResponse {
                        topic,
                        partition,
                        log_start_offset,
                        high_watermark,
                        size_bytes,
                        segments: segs
                            .into_iter()
                            .map(
                                |(
                                    base_offset,
                                    next_offset,
                                    size_bytes,
                                    max_timestamp_ms,
                                    sealed,
                                )| {
                                    SegmentInfo {
                                        base_offset,
                                        next_offset,
                                        size_bytes,
                                        max_timestamp_ms,
                                        sealed,
                                    }
                                },
                            )
                            .collect(),
                    }
                    .into()
                }
            ),
        vec((topic(), any::<u32>(), code()), 0..4).prop_map(|parts| OffsetCommitResponse {
            partitions: parts
                .into_iter()
                .map(
                    |(topic, partition, error_code)| OffsetCommitPartitionResponse {
                        topic,
                        partition,
                        error_code,
                    }
                )
                .collect(),
        }
        .into()),
        vec(
            (
                topic(),
                any::<u32>(),
                option::of(any::<u64>()),
                option::of(text()),
                code()
            ),
            0..4
        )
        .prop_map(|parts| OffsetFetchResponse {
            offsets: parts
                .into_iter()
                .map(
                    |(topic, partition, offset, metadata, error_code)| OffsetFetchPartition {
                        topic,
                        partition,
                        offset,
                        metadata,
                        error_code,
                    }
                )
                .collect(),
        }
        .into()),
        (
            text(),
            any::<i32>(),
            vec(topic_partitions(), 0..3),
            any::<u32>(),
            any::<u32>()
        )
            .prop_map(
                |(member_id, generation_id, assignment, heartbeat_interval_ms, member_count)| {
                    JoinGroupResponse {
                        member_id,
                        generation_id,
                        assignment,
                        heartbeat_interval_ms,
                        member_count,
                    }
                    .into()
                }
            ),
        Just(HeartbeatResponse {}.into()),
        Just(LeaveGroupResponse {}.into()),
        ".{0,64}".prop_map(|prometheus_text| MetricsFetchResponse { prometheus_text }.into()),
        vec((text(), text(), any::<i32>(), any::<u32>()), 0..4).prop_map(|groups| {
            ListGroupsResponse {
                groups: groups
                    .into_iter()
                    .map(
                        |(group_id, state, generation_id, member_count)| GroupSummary {
                            group_id,
                            state,
                            generation_id,
                            member_count,
                        },
                    )
                    .collect(),
            }
            .into()
        }),
        (
            text(),
            text(),
            any::<i32>(),
            assignor(),
            vec(
                (
                    text(),
                    text(),
                    vec(topic(), 0..3),
                    vec(topic_partitions(), 0..3)
                ),
                0..3
            ),
            vec(
                (
                    topic(),
                    any::<u32>(),
                    option::of(any::<u64>()),
                    any::<u64>(),
                    any::<u64>()
                ),
                0..3
            )
        )
            .prop_map(
                |(group_id, state, generation_id, assignor, members, offsets)| {
                    DescribeGroupResponse {
                        group_id,
                        state,
                        generation_id,
                        assignor,
                        members: members
                            .into_iter()
                            .map(
                                |(member_id, client_id, topics, assignment)| MemberDescription {
                                    member_id,
                                    client_id,
                                    topics,
                                    assignment,
                                },
                            )
                            .collect(),
                        offsets: offsets
                            .into_iter()
                            .map(
                                |(topic, partition, committed_offset, high_watermark, lag)| {
                                    PartitionLag {
                                        topic,
                                        partition,
                                        committed_offset,
                                        high_watermark,
                                        lag,
                                    }
                                },
                            )
                            .collect(),
                    }
                    .into()
                }
            ),
        (any::<i64>(), any::<i16>()).prop_map(|(producer_id, producer_epoch)| {
            InitProducerResponse {
                producer_id,
                producer_epoch,
            }
            .into()
        }),
        (text(), any::<u32>()).prop_map(|(topic, partitions)| CreatePartitionsResponse {
            topic,
            partitions
        }
        .into()),
        Just(DeleteGroupResponse {}.into()),
    ]
}

proptest! {
    #![proptest_config(common::proptest_config(256))]

    #[test]
    fn every_request_round_trips(request in request(), correlation_id in any::<u32>()) {
        let mut buf = BytesMut::new();
        request.encode_frame(correlation_id, &mut buf).unwrap();
        let encoded = buf.clone().freeze();
        let frame = decode_request_frame(&mut buf, FRAME_BYTES_MAX).unwrap().unwrap();
        prop_assert!(buf.is_empty());
        prop_assert_eq!(frame.header.correlation_id, correlation_id);
        prop_assert_eq!(frame.header.api_key, request.api_key().code());
        prop_assert_eq!(frame.header.api_version, 0);
        let decoded = Request::decode(&frame).unwrap();
        prop_assert_eq!(&decoded, &request);
        let mut again = BytesMut::new();
        decoded.encode_frame(correlation_id, &mut again).unwrap();
        prop_assert_eq!(again.freeze(), encoded);
    }

    #[test]
    fn every_response_round_trips(response in response(), correlation_id in any::<u32>()) {
        let mut buf = BytesMut::new();
        response.encode_frame(correlation_id, &mut buf).unwrap();
        let encoded = buf.clone().freeze();
        let frame = decode_response_frame(&mut buf, FRAME_BYTES_MAX).unwrap().unwrap();
        prop_assert!(buf.is_empty());
        prop_assert_eq!(frame.header.correlation_id, correlation_id);
        prop_assert_eq!(frame.header.error_code, 0);
        let decoded = Response::decode(response.api_key(), &frame).unwrap();
        prop_assert_eq!(&decoded, &ResponseBody::Ok(response.clone()));
        let mut again = BytesMut::new();
        response.encode_frame(correlation_id, &mut again).unwrap();
        prop_assert_eq!(again.freeze(), encoded);
    }

    #[test]
    fn error_responses_round_trip(
        correlation_id in any::<u32>(),
        code in prop::sample::select(
            ErrorCode::ALL.iter().copied().filter(|c| *c != ErrorCode::None).collect::<Vec<_>>()
        ),
        message in ".{0,40}",
        api in prop::sample::select(rustlog_protocol::ApiKey::ALL.to_vec()),
    ) {
        let mut buf = BytesMut::new();
        encode_error_response(&mut buf, correlation_id, code, &message);
        let frame = decode_response_frame(&mut buf, FRAME_BYTES_MAX).unwrap().unwrap();
        prop_assert_eq!(frame.header.error_code, code.code());
        let decoded = Response::decode(api, &frame).unwrap();
        prop_assert_eq!(decoded, ResponseBody::Err { code, message });
    }

    #[test]
    fn record_batches_round_trip(
        records in vec(record(), 1..12),
        codec in codec(),
        producer in producer(),
        base_offset in any::<u64>(),
        leader_epoch in any::<i32>(),
    ) {
        let mut bytes = build_with(&records, codec, producer);
        rustlog_protocol::batch::set_base_offset(&mut bytes, base_offset);
        rustlog_protocol::batch::set_partition_leader_epoch(&mut bytes, leader_epoch);
        let view = RecordBatchView::parse(&bytes).unwrap();
        view.validate_for_append().unwrap();
        let h = view.header();
        prop_assert_eq!(h.base_offset, base_offset);
        prop_assert_eq!(h.partition_leader_epoch, leader_epoch);
        prop_assert_eq!(h.compression().unwrap(), codec);
        prop_assert_eq!(h.timestamp_type(), TimestampType::CreateTime);
        prop_assert_eq!(h.producer(), producer.unwrap_or(ProducerStamp::NONE));
        prop_assert_eq!(h.has_producer_id(), producer.is_some());
        if let Some(p) = producer {
            let last = (i64::from(p.base_sequence) + records.len() as i64 - 1)
                % (i64::from(i32::MAX) + 1);
            prop_assert_eq!(i64::from(h.last_sequence()), last);
        }
        prop_assert_eq!(h.record_count as usize, records.len());
        prop_assert_eq!(h.last_offset_delta as usize, records.len() - 1);
        prop_assert_eq!(h.total_len(), bytes.len());
        prop_assert_eq!(h.base_timestamp, records[0].0);
        prop_assert_eq!(h.max_timestamp, records.iter().map(|r| r.0).max().unwrap());
        let decoded = view.records().unwrap();
        let mut rebuilt = RecordBatchBuilder::new().compression(codec, None).unwrap();
        if let Some(stamp) = producer {
            rebuilt = rebuilt.producer(stamp);
        }
        let mut count = 0;
        for (i, (record, spec)) in decoded.iter().zip(&records).enumerate() {
            let record = record.unwrap();
            prop_assert_eq!(record.offset_delta as usize, i);
            prop_assert_eq!(record.offset, base_offset.saturating_add(i as u64));
            prop_assert_eq!(record.timestamp_ms, spec.0);
            prop_assert_eq!(record.key, spec.1.as_deref());
            prop_assert_eq!(record.value, spec.2.as_deref());
            // Every header in order: null values stay null, duplicate keys stay.
            let headers: Vec<HeaderRef<'_>> = record.headers().map(Result::unwrap).collect();
            prop_assert_eq!(&headers, &headers_of(spec));
            prop_assert_eq!(record.header_count() as usize, spec.3.len());
            rebuilt.push(record.timestamp_ms, record.key, record.value, &headers).unwrap();
            count += 1;
        }
        prop_assert_eq!(count, records.len());
        // Re-encoding the decoded records gives the same bytes (same codec, default level).
        let mut again = rebuilt.finish(0).unwrap();
        rustlog_protocol::batch::set_base_offset(&mut again, base_offset);
        rustlog_protocol::batch::set_partition_leader_epoch(&mut again, leader_epoch);
        prop_assert_eq!(again, bytes);
    }

    #[test]
    fn log_append_time_overrides_every_record_timestamp(
        records in vec(record(), 1..6),
        codec in codec(),
        now in any::<i64>(),
    ) {
        let mut bytes = build_with(&records, codec, None);
        rustlog_protocol::batch::stamp_log_append_time(&mut bytes, now).unwrap();
        let view = RecordBatchView::parse(&bytes).unwrap();
        view.validate_for_append().unwrap();
        prop_assert_eq!(view.header().timestamp_type(), TimestampType::LogAppendTime);
        prop_assert_eq!(view.header().max_timestamp, now);
        prop_assert_eq!(view.header().base_timestamp, records[0].0);
        let decoded = view.records().unwrap();
        for (record, spec) in decoded.iter().zip(&records) {
            let record = record.unwrap();
            prop_assert_eq!(record.timestamp_ms, now);
            prop_assert_eq!(record.value, spec.2.as_deref());
        }
    }

    #[test]
    fn concatenated_batches_iterate_in_order(batches in vec(vec(record(), 1..4), 1..5)) {
        let encoded: Vec<Vec<u8>> = batches.iter().map(|b| build(b)).collect();
        let compressed = build_with(&batches[0], Compression::Zstd, None);
        let encoded = [encoded, vec![compressed]].concat();
        let joined = encoded.concat();
        let views: Vec<_> = rustlog_protocol::batch::batches(&joined)
            .map(Result::unwrap)
            .collect();
        prop_assert_eq!(views.len(), encoded.len());
        for (view, original) in views.iter().zip(&encoded) {
            prop_assert_eq!(view.as_bytes(), original.as_slice());
            view.validate().unwrap();
        }
    }
}
