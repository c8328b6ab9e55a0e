//! Every API the Kafka listener advertises, at every version it advertises, through a raw client
//! built on the `kafka-protocol` crate: each request decodes, each response encodes at that
//! version and decodes back with the expected content.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use bytes::Bytes;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreateTopicsRequest};
use kafka_protocol::messages::create_topics_response::CreateTopicsResponse;
use kafka_protocol::messages::delete_topics_request::{DeleteTopicState, DeleteTopicsRequest};
use kafka_protocol::messages::delete_topics_response::DeleteTopicsResponse;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchRequest, FetchTopic};
use kafka_protocol::messages::fetch_response::FetchResponse;
use kafka_protocol::messages::init_producer_id_request::InitProducerIdRequest;
use kafka_protocol::messages::init_producer_id_response::InitProducerIdResponse;
use kafka_protocol::messages::list_offsets_request::{
    ListOffsetsPartition, ListOffsetsRequest, ListOffsetsTopic,
};
use kafka_protocol::messages::list_offsets_response::ListOffsetsResponse;
use kafka_protocol::messages::metadata_request::{MetadataRequest, MetadataRequestTopic};
use kafka_protocol::messages::metadata_response::MetadataResponse;
use kafka_protocol::messages::produce_request::{
    PartitionProduceData, ProduceRequest, TopicProduceData,
};
use kafka_protocol::messages::produce_response::ProduceResponse;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use kafka_support::{kafka_broker, KafkaRaw};
use rustlog_protocol::messages::describe_topic::DescribeTopicRequest;
use rustlog_protocol::Response;
use rustlog_tests::batch_of;

const SERVED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 9),
    (ApiKey::Fetch, 4, 12),
    (ApiKey::ListOffsets, 1, 7),
    (ApiKey::Metadata, 0, 12),
    (ApiKey::ApiVersions, 0, 4),
    (ApiKey::CreateTopics, 2, 7),
    (ApiKey::DeleteTopics, 1, 6),
    (ApiKey::InitProducerId, 0, 4),
    (ApiKey::FindCoordinator, 0, 4),
    (ApiKey::JoinGroup, 0, 7),
    (ApiKey::SyncGroup, 0, 5),
    (ApiKey::Heartbeat, 0, 4),
    (ApiKey::LeaveGroup, 0, 4),
    (ApiKey::OffsetCommit, 2, 8),
    (ApiKey::OffsetFetch, 1, 7),
    (ApiKey::ListGroups, 0, 4),
    (ApiKey::DescribeGroups, 0, 5),
    (ApiKey::DeleteGroups, 0, 2),
    (ApiKey::OffsetDelete, 0, 0),
    (ApiKey::CreatePartitions, 0, 3),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::AlterConfigs, 0, 2),
    (ApiKey::IncrementalAlterConfigs, 0, 1),
    (ApiKey::DescribeCluster, 0, 1),
];

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

#[test]
fn api_versions_advertises_exactly_what_is_served_at_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    for version in 0..=4 {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("rustlog-tests"))
            .with_client_software_version(StrBytes::from_static_str("1"));
        let response: ApiVersionsResponse = client.call(ApiKey::ApiVersions, version, &request);
        assert_eq!(response.error_code, 0, "v{version}");
        let advertised: Vec<(i16, i16, i16)> = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect();
        let expected: Vec<(i16, i16, i16)> = SERVED
            .iter()
            .map(|(api, min, max)| (*api as i16, *min, *max))
            .collect();
        assert_eq!(advertised, expected, "v{version}");
    }
}

#[test]
fn metadata_at_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("meta", 2, &[]);
    let port: i32 = kafka.rsplit_once(':').unwrap().1.parse().unwrap();
    let mut client = KafkaRaw::connect(&kafka);
    for version in 0..=12 {
        let request = MetadataRequest::default()
            .with_topics(Some(vec![
                MetadataRequestTopic::default().with_name(Some(topic_name("meta"))),
                MetadataRequestTopic::default().with_name(Some(topic_name("missing"))),
            ]))
            // The flag exists from v4 on (earlier versions mean "true"): the broker never
            // auto-creates either way.
            .with_allow_auto_topic_creation(version < 4);
        let response: MetadataResponse = client.call(ApiKey::Metadata, version, &request);
        assert_eq!(response.brokers.len(), 1, "v{version}");
        assert_eq!(response.brokers[0].node_id.0, 0);
        assert_eq!(response.brokers[0].port, port);
        let found = &response.topics[0];
        assert_eq!(found.error_code, 0, "v{version}");
        assert_eq!(found.partitions.len(), 2);
        assert!(found.partitions.iter().all(|p| p.leader_id.0 == 0));
        assert_eq!(
            response.topics[1].error_code,
            ResponseError::UnknownTopicOrPartition.code(),
            "v{version}"
        );
    }
}

fn produce_request(topic: &str, acks: i16) -> ProduceRequest {
    let batch = Bytes::from(batch_of(&[b"a", b"b"]));
    ProduceRequest::default()
        .with_transactional_id(None)
        .with_acks(acks)
        .with_timeout_ms(5_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(topic_name(topic))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(batch))])])
}

#[test]
fn produce_fetch_and_list_offsets_at_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("data", 1, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let mut next_offset = 0i64;
    for version in 3..=9 {
        for acks in [1, -1] {
            let response: ProduceResponse =
                client.call(ApiKey::Produce, version, &produce_request("data", acks));
            let p = &response.responses[0].partition_responses[0];
            assert_eq!(
                (p.error_code, p.base_offset),
                (0, next_offset),
                "v{version}"
            );
            next_offset += 2;
        }
    }
    for version in 4..=12 {
        let request = FetchRequest::default()
            .with_replica_id((-1).into())
            .with_max_wait_ms(100)
            .with_min_bytes(1)
            .with_max_bytes(1 << 20)
            .with_topics(vec![FetchTopic::default()
                .with_topic(topic_name("data"))
                .with_partitions(vec![FetchPartition::default()
                    .with_partition(0)
                    .with_fetch_offset(4)
                    .with_partition_max_bytes(1 << 20)])]);
        let response: FetchResponse = client.call(ApiKey::Fetch, version, &request);
        let p = &response.responses[0].partitions[0];
        assert_eq!(p.error_code, 0, "v{version}");
        assert_eq!(p.high_watermark, next_offset);
        assert_eq!(p.last_stable_offset, next_offset);
        // log_start_offset is in the response from v5 on.
        let log_start_offset = if version >= 5 { 0 } else { -1 };
        assert_eq!(p.log_start_offset, log_start_offset, "v{version}");
        let records = p.records.clone().unwrap();
        // The stored batches as they are: the first starts at offset 4.
        assert_eq!(i64::from_be_bytes(records[..8].try_into().unwrap()), 4);
    }
    for version in 1..=7 {
        let query = |timestamp| {
            ListOffsetsRequest::default()
                .with_replica_id((-1).into())
                .with_topics(vec![ListOffsetsTopic::default()
                    .with_name(topic_name("data"))
                    .with_partitions(vec![ListOffsetsPartition::default()
                        .with_partition_index(0)
                        .with_timestamp(timestamp)])])
        };
        for (timestamp, expected) in [(-2, 0), (-1, next_offset), (0, 0), (i64::MAX, -1)] {
            let response: ListOffsetsResponse =
                client.call(ApiKey::ListOffsets, version, &query(timestamp));
            let p = &response.topics[0].partitions[0];
            assert_eq!(p.error_code, 0, "v{version} ts {timestamp}");
            assert_eq!(p.offset, expected, "v{version} ts {timestamp}");
        }
        // -3, the record with the largest timestamp (KIP-734), exists from v7 on.
        let response: ListOffsetsResponse = client.call(ApiKey::ListOffsets, version, &query(-3));
        let p = &response.topics[0].partitions[0];
        if version < 7 {
            assert_eq!(
                p.error_code,
                ResponseError::InvalidRequest.code(),
                "v{version}"
            );
        } else {
            assert_eq!(p.error_code, 0);
            assert!((0..next_offset).contains(&p.offset), "{}", p.offset);
            assert!(p.timestamp > 0);
        }
    }
}

#[test]
fn init_producer_id_at_every_version_and_transactions_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, kafka) = kafka_broker(&dir, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    let mut ids = Vec::new();
    for version in 0..=4 {
        let request = InitProducerIdRequest::default()
            .with_transactional_id(None)
            .with_transaction_timeout_ms(60_000);
        let response: InitProducerIdResponse =
            client.call(ApiKey::InitProducerId, version, &request);
        assert_eq!(response.error_code, 0, "v{version}");
        assert!(response.producer_id.0 >= 0);
        assert_eq!(response.producer_epoch, 0);
        ids.push(response.producer_id.0);
    }
    ids.dedup();
    assert_eq!(ids.len(), 5, "a new id each time: {ids:?}");
    let transactional = InitProducerIdRequest::default()
        .with_transactional_id(Some(kafka_protocol::messages::TransactionalId(
            StrBytes::from_static_str("tx-1"),
        )))
        .with_transaction_timeout_ms(60_000);
    let response: InitProducerIdResponse = client.call(ApiKey::InitProducerId, 4, &transactional);
    assert_eq!(response.error_code, ResponseError::InvalidRequest.code());
}

/// The topic's partition count as the native protocol sees it.
fn native_partitions(broker: &rustlog_tests::BrokerProcess, name: &str) -> usize {
    let Response::DescribeTopic(described) = broker.client().call_ok(DescribeTopicRequest {
        name: name.to_string(),
    }) else {
        panic!("not a DescribeTopic response")
    };
    described.partitions.len()
}

#[test]
fn create_and_delete_topics_at_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &["--default-partitions", "3"]);
    let mut client = KafkaRaw::connect(&kafka);
    for version in 2..=7 {
        let name = format!("created-v{version}");
        let create = |partitions, validate_only| {
            CreateTopicsRequest::default()
                .with_timeout_ms(5_000)
                .with_validate_only(validate_only)
                .with_topics(vec![CreatableTopic::default()
                    .with_name(topic_name(&name))
                    .with_num_partitions(partitions)
                    .with_replication_factor(-1)])
        };
        let checked: CreateTopicsResponse =
            client.call(ApiKey::CreateTopics, version, &create(-1, true));
        assert_eq!(checked.topics[0].error_code, 0, "v{version}");
        let created: CreateTopicsResponse =
            client.call(ApiKey::CreateTopics, version, &create(-1, false));
        assert_eq!(created.topics[0].error_code, 0, "v{version}");
        if version >= 5 {
            assert_eq!(created.topics[0].num_partitions, 3);
        }
        let again: CreateTopicsResponse =
            client.call(ApiKey::CreateTopics, version, &create(2, false));
        assert_eq!(
            again.topics[0].error_code,
            ResponseError::TopicAlreadyExists.code()
        );
        assert!(again.topics[0].error_message.is_some());
        assert_eq!(native_partitions(&broker, &name), 3, "v{version}");
    }
    for version in 1..=6 {
        let name = format!("created-v{}", version + 1);
        let request = if version >= 6 {
            DeleteTopicsRequest::default().with_topics(vec![
                DeleteTopicState::default().with_name(Some(topic_name(&name)))
            ])
        } else {
            DeleteTopicsRequest::default().with_topic_names(vec![topic_name(&name)])
        }
        .with_timeout_ms(5_000);
        let response: DeleteTopicsResponse = client.call(ApiKey::DeleteTopics, version, &request);
        assert_eq!(response.responses[0].error_code, 0, "v{version}");
        let again: DeleteTopicsResponse = client.call(ApiKey::DeleteTopics, version, &request);
        assert_eq!(
            again.responses[0].error_code,
            ResponseError::UnknownTopicOrPartition.code(),
            "v{version}"
        );
    }
}

#[test]
fn admin_apis_at_every_version() {
    use kafka_support::admin::*;
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    broker.client().create_topic("admin", 1, &[]);
    let mut client = KafkaRaw::connect(&kafka);
    for version in 0..=3 {
        let count = i32::from(version) + 2;
        let result = create_partitions(&mut client, version, "admin", count, false, false);
        assert_eq!(
            result.error_code, 0,
            "v{version}: {:?}",
            result.error_message
        );
        assert_eq!(
            native_partitions(&broker, "admin"),
            count as usize,
            "v{version}"
        );
        let refused = create_partitions(&mut client, version, "admin", count, false, false);
        assert_eq!(refused.error_code, ResponseError::InvalidPartitions.code());
    }
    for version in 0..=2 {
        let value = format!("{}", 1000 + i32::from(version));
        let (code, message) = alter_configs(
            &mut client,
            version,
            TOPIC,
            "admin",
            &[("retention.ms", &value)],
            false,
        );
        assert_eq!(code, 0, "v{version}: {message:?}");
        assert_eq!(topic_value(&mut client, "admin", "retention.ms"), value);
        let (code, _) = alter_configs(
            &mut client,
            version,
            TOPIC,
            "admin",
            &[("retention.ms", "x")],
            false,
        );
        assert_eq!(code, 40, "v{version}: INVALID_CONFIG");
    }
    for version in 0..=1 {
        let value = format!("{}", 2000 + i32::from(version));
        let ops = [("retention.ms", SET, Some(value.as_str()))];
        let (code, message) = incremental_alter(&mut client, version, TOPIC, "admin", &ops, false);
        assert_eq!(code, 0, "v{version}: {message:?}");
        assert_eq!(topic_value(&mut client, "admin", "retention.ms"), value);
        let ops = [("retention.ms", APPEND, Some("1"))];
        let (code, _) = incremental_alter(&mut client, version, TOPIC, "admin", &ops, false);
        assert_eq!(code, 40, "v{version}: INVALID_CONFIG");
    }
    for version in 1..=4 {
        let result = describe_configs(&mut client, version, TOPIC, "admin", None, true);
        assert_eq!(result.error_code, 0, "v{version}");
        let retention = entry(&result, "retention.ms");
        assert_eq!(retention.value.as_deref(), Some("2001"), "v{version}");
        assert_eq!(retention.config_source, TOPIC_CONFIG, "v{version}");
        assert!(!retention.synonyms.is_empty(), "v{version}");
        if version >= 3 {
            assert_eq!(retention.config_type, 5, "v{version}: LONG");
            assert!(retention.documentation.is_some(), "v{version}");
        }
        let missing = describe_configs(&mut client, version, TOPIC, "missing", None, false);
        assert_eq!(
            missing.error_code,
            ResponseError::UnknownTopicOrPartition.code()
        );
        let broker_result = describe_configs(&mut client, version, BROKER, "0", None, false);
        assert_eq!(broker_result.error_code, 0, "v{version}");
    }
    for version in 0..=1 {
        let response: kafka_protocol::messages::DescribeClusterResponse = client.call(
            ApiKey::DescribeCluster,
            version,
            &kafka_protocol::messages::DescribeClusterRequest::default(),
        );
        assert_eq!(response.error_code, 0, "v{version}");
        assert_eq!(response.cluster_id.as_str(), "rustlog");
        assert_eq!(response.brokers.len(), 1);
    }
}
