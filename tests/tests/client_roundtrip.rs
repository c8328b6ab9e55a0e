//! The Rust client against a real broker: keys, headers, null keys and values, values at the
//! size limit, an oversized value rejected with nothing lost, key partitioning, and reading
//! everything back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use bytes::Bytes;
use client_support::{client, read_partition};
use rustlog::{ErrorCode, ProducerConfig, Record};
use rustlog_protocol::limits::VALUE_BYTES_MAX;
use rustlog_protocol::partitioner::partition_for_key;
use rustlog_tests::BrokerProcess;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_round_trip_with_keys_headers_nulls_and_large_values() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = client(&broker.addr().to_string()).await;
    client
        .admin()
        .create_topic("rt", 3, Default::default())
        .await
        .unwrap();
    let producer = client
        .producer(ProducerConfig::default().linger_ms(2))
        .unwrap();

    let big: Bytes = (0..VALUE_BYTES_MAX as usize - 4096)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into();
    let records = vec![
        Record::new("rt")
            .key("user-1")
            .value("hello")
            .header("trace", "abc")
            .header("empty", ""),
        Record::new("rt").value("no key"),
        Record::new("rt").key("user-2"),
        Record::new("rt"),
        Record::new("rt").key("big").value(big.clone()),
        Record::new("rt")
            .partition(2)
            .key("user-1")
            .value("explicit"),
    ];
    let mut sent = Vec::new();
    for record in records.clone() {
        sent.push(producer.send(record).await.unwrap());
    }
    // Over the limit: rejected at once, nothing queued, the producer keeps working.
    let too_big = Record::new("rt").value(vec![0u8; VALUE_BYTES_MAX as usize + 1]);
    let err = producer.send(too_big).await.unwrap_err();
    assert_eq!(err.kind(), ErrorCode::RecordTooLarge);
    assert!(!err.is_retriable());
    let after = producer
        .send(Record::new("rt").key("after").value("still works"))
        .await
        .unwrap();

    let mut metas = Vec::new();
    for handle in sent {
        metas.push(handle.await.unwrap());
    }
    let after = after.await.unwrap();
    for (record, meta) in records.iter().zip(&metas) {
        if let (None, Some(key)) = (record.partition, &record.key) {
            assert_eq!(
                meta.partition,
                partition_for_key(key, 3),
                "key hash partition"
            );
        }
    }
    assert_eq!(metas[5].partition, 2);

    // Read everything back and compare field by field.
    let mut stored = Vec::new();
    for p in 0..3 {
        stored.extend(read_partition(&client, "rt", p).await);
    }
    assert_eq!(
        stored.len(),
        records.len() + 1,
        "every record once, the oversized none"
    );
    for (record, meta) in records.iter().zip(&metas) {
        let m = stored
            .iter()
            .find(|m| m.partition == meta.partition && m.offset == meta.offset)
            .unwrap();
        assert_eq!(m.key, record.key);
        assert_eq!(m.value, record.value);
        assert_eq!(m.headers, record.headers);
        assert_eq!(m.timestamp, meta.timestamp);
    }
    assert!(stored
        .iter()
        .any(|m| m.offset == after.offset && m.partition == after.partition));
    producer
        .close(std::time::Duration::from_secs(5))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_calls_and_their_errors() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = client(&broker.addr().to_string()).await;
    let admin = client.admin();
    let created = admin
        .create_topic(
            "adm",
            2,
            [("retention.ms".to_string(), "60000".to_string())].into(),
        )
        .await
        .unwrap();
    assert_eq!(created.partitions, 2);
    assert_eq!(created.config["retention.ms"], "60000");
    let err = admin
        .create_topic("adm", 2, Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::TopicAlreadyExists);
    let err = admin
        .create_topic("bad/name", 1, Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::InvalidTopicName);
    let err = admin
        .create_topic(
            "cfg",
            1,
            [("colour".to_string(), "blue".to_string())].into(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::InvalidConfig);
    assert!(err.message().contains("colour"), "{}", err.message());

    let topics = admin.list_topics().await.unwrap();
    assert_eq!(
        topics.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["adm"]
    );
    let described = admin.describe_topic("adm").await.unwrap();
    assert_eq!(described.partitions.len(), 2);
    let partition = admin.describe_partition("adm", 1).await.unwrap();
    assert_eq!(partition.high_watermark, 0);
    let err = admin.describe_partition("adm", 9).await.unwrap_err();
    assert_eq!(err.kind(), ErrorCode::PartitionNotFound);
    assert!(admin.metrics().await.unwrap().contains("rustlog"));
    admin.delete_topic("adm").await.unwrap();
    let err = admin.describe_topic("adm").await.unwrap_err();
    assert_eq!(err.kind(), ErrorCode::TopicNotFound);
    let err = admin.delete_topic("adm").await.unwrap_err();
    assert_eq!(err.kind(), ErrorCode::TopicNotFound);
    let err = admin.describe_group("nobody").await.unwrap_err();
    assert_eq!(err.kind(), ErrorCode::GroupNotFound);
}

#[test]
fn the_blocking_facade_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = rustlog::blocking::Client::connect(broker.addr().to_string()).unwrap();
    client
        .admin()
        .create_topic("blk", 1, Default::default())
        .unwrap();
    let producer = client.producer(ProducerConfig::default()).unwrap();
    let handles = producer
        .send_batch(
            (0..10)
                .map(|i| Record::new("blk").value(format!("v{i}")))
                .collect(),
        )
        .unwrap();
    let timeout = std::time::Duration::from_secs(5);
    let offsets: Vec<u64> = handles
        .iter()
        .map(|h| h.wait(timeout).unwrap().offset)
        .collect();
    assert_eq!(offsets, (0..10).collect::<Vec<_>>());
    let consumer = client
        .consumer(
            rustlog::ConsumerConfig::new("blk-group")
                .topic("blk")
                .auto_offset_reset(rustlog::AutoOffsetReset::Earliest),
        )
        .unwrap();
    let mut got = Vec::new();
    while got.len() < 10 {
        got.extend(consumer.poll_batch(100, timeout).unwrap());
    }
    assert_eq!(got[9].value_str(), Some("v9"));
    consumer.commit(&got[9]).unwrap();
    let tp = rustlog::TopicPartition {
        topic: "blk".into(),
        partition: 0,
    };
    assert_eq!(consumer.committed(&[tp]).unwrap(), vec![Some(10)]);
    consumer.close().unwrap();
    producer.close(timeout).unwrap();
    let err = producer.send(Record::new("blk").value("late")).unwrap_err();
    assert_eq!(err.kind(), ErrorCode::Closed);
}

/// The producer keeps the partition count of the topic it sends to; a topic deleted and created
/// again with more partitions through the same client must be seen at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_recreated_with_more_partitions_is_seen_by_a_producer_of_the_same_client() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = client(&broker.addr().to_string()).await;
    let admin = client.admin();
    admin
        .create_topic("grow", 1, Default::default())
        .await
        .unwrap();
    let producer = client.producer(ProducerConfig::default()).unwrap();
    let first = producer
        .send(Record::new("grow").value("one"))
        .await
        .unwrap();
    first.await.unwrap();
    let err = producer
        .send(Record::new("grow").partition(2).value("x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::PartitionNotFound);
    admin.delete_topic("grow").await.unwrap();
    admin
        .create_topic("grow", 3, Default::default())
        .await
        .unwrap();
    let meta = producer
        .send(Record::new("grow").partition(2).value("three"))
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!((meta.partition, meta.offset), (2, 0));
    let read = read_partition(&client, "grow", 2).await;
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].value.as_deref(), Some(b"three".as_slice()));
}

/// Partitions another client adds are seen by a producer once `metadata_max_age` has passed,
/// without any error first (Kafka's `metadata.max.age.ms`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_producer_sees_partitions_another_client_added_after_metadata_max_age() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let addr = broker.addr().to_string();
    let refreshing = rustlog::Client::builder(addr.clone())
        .metadata_max_age(std::time::Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let other = client(&addr).await;
    other
        .admin()
        .create_topic("aging", 1, Default::default())
        .await
        .unwrap();
    let producer = refreshing.producer(ProducerConfig::default()).unwrap();
    let err = producer
        .send(Record::new("aging").partition(2).value("early"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::PartitionNotFound);
    other.admin().create_partitions("aging", 3).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let meta = loop {
        match producer
            .send(Record::new("aging").partition(2).value("late"))
            .await
        {
            Ok(handle) => break handle.await.unwrap(),
            Err(e) if e.kind() == ErrorCode::PartitionNotFound => {
                assert!(std::time::Instant::now() < deadline, "never refreshed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!((meta.partition, meta.offset), (2, 0));
    let err = rustlog::Client::builder(addr)
        .metadata_max_age(std::time::Duration::ZERO)
        .connect()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::InvalidArgument);
}

/// A bootstrap list (Kafka's `bootstrap.servers`): the client reaches whichever address
/// answers; an empty entry and the not-yet-built `kafka://` transport are argument errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrap_list_reaches_the_address_that_answers() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    // A port nobody listens on: bound, then released.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let list = format!("{dead}, {}", broker.addr());
    let client = rustlog::Client::builder(list)
        .connect_timeout(std::time::Duration::from_secs(5))
        .connect()
        .await
        .unwrap();
    client
        .admin()
        .create_topic("listed", 1, Default::default())
        .await
        .unwrap();
    for bad in [
        format!("{},", broker.addr()),
        " ".to_string(),
        "kafka://127.0.0.1:9092".into(),
    ] {
        let err = rustlog::Client::connect(bad.clone()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorCode::InvalidArgument, "{bad}: {err}");
    }
}
