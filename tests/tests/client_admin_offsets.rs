//! The Rust admin on a real broker: growing a topic, deleting a group, a topic's offsets by
//! spec, a group's committed offsets, and resetting them as `kafka-consumer-groups
//! --reset-offsets` does. Each refusal (a shrink, a group with a running member, a shift with
//! nothing committed) is tested beside the call that works, and leaves everything as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use client_support::broker_with_topic;
use rustlog::{
    AutoOffsetReset, Client, ConsumerConfig, ErrorCode, OffsetReset, OffsetSpec, ProducerConfig,
    Record, TopicPartitionOffset,
};
use std::time::Duration;

/// Sends `count` records to each partition of `topic`, with timestamps `base_ms + i`.
async fn fill(client: &Client, topic: &str, partitions: u32, count: u64, base_ms: i64) {
    let producer = client.producer(ProducerConfig::default()).unwrap();
    let mut handles = Vec::new();
    for partition in 0..partitions {
        for i in 0..count {
            let record = Record::new(topic)
                .partition(partition)
                .timestamp_ms(base_ms + i as i64)
                .value(format!("{partition}-{i}"));
            handles.push(producer.send(record).await.unwrap());
        }
    }
    for handle in handles {
        handle.await.unwrap();
    }
    producer.close(Duration::from_secs(5)).await.unwrap();
}

/// Consumes `count` records in `group` and commits them, then leaves the group.
async fn consume_and_commit(client: &Client, group: &str, topic: &str, count: usize) {
    let consumer = client
        .consumer(
            ConsumerConfig::new(group)
                .topic(topic)
                .auto_offset_reset(AutoOffsetReset::Earliest),
        )
        .unwrap();
    let mut got = 0;
    while got < count {
        got += consumer
            .poll_batch(count - got, Duration::from_secs(1))
            .await
            .unwrap()
            .len();
    }
    consumer.commit_consumed().await.unwrap();
    consumer.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_grows_and_never_shrinks() {
    let (_dir, _broker, client) = broker_with_topic("grow", 2).await;
    let admin = client.admin();
    let producer = client.producer(ProducerConfig::default()).unwrap();
    let err = producer
        .send(Record::new("grow").partition(3).value("x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::PartitionNotFound);

    assert_eq!(admin.create_partitions("grow", 4).await.unwrap(), 4);
    // The same client's producer sees the new partitions at once.
    let meta = producer
        .send(Record::new("grow").partition(3).value("new"))
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!((meta.partition, meta.offset), (3, 0));

    for (count, why) in [(4, "the same count"), (3, "fewer")] {
        let err = admin.create_partitions("grow", count).await.unwrap_err();
        assert_eq!(err.kind(), ErrorCode::InvalidPartitions, "{why}: {err}");
    }
    let err = admin.create_partitions("grow", 100_000).await.unwrap_err();
    assert_eq!(err.kind(), ErrorCode::InvalidPartitions);
    assert!(err.message().contains("limit"), "{}", err.message());
    let err = admin.create_partitions("nope", 3).await.unwrap_err();
    assert_eq!(err.kind(), ErrorCode::TopicNotFound);
    assert_eq!(
        admin.describe_topic("grow").await.unwrap().partitions.len(),
        4
    );
    producer.close(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_is_deleted_only_without_members() {
    let (_dir, _broker, client) = broker_with_topic("t", 1).await;
    let admin = client.admin();
    fill(&client, "t", 1, 5, 1_000).await;

    let member = client
        .consumer(
            ConsumerConfig::new("busy")
                .topic("t")
                .auto_offset_reset(AutoOffsetReset::Earliest),
        )
        .unwrap();
    while member.poll(Duration::from_secs(1)).await.unwrap().is_none() {}
    let err = admin.delete_group("busy").await.unwrap_err();
    assert_eq!(err.kind(), ErrorCode::NonEmptyGroup);
    member.commit_consumed().await.unwrap();
    member.close().await.unwrap();
    assert!(!admin.group_offsets("busy").await.unwrap().is_empty());

    admin.delete_group("busy").await.unwrap();
    assert!(admin.group_offsets("busy").await.unwrap().is_empty());
    let err = admin.describe_group("busy").await.unwrap_err();
    assert_eq!(err.kind(), ErrorCode::GroupNotFound);
    let err = admin.delete_group("busy").await.unwrap_err();
    assert_eq!(err.kind(), ErrorCode::GroupNotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_offsets_by_spec() {
    let (_dir, _broker, client) = broker_with_topic("t", 2).await;
    let admin = client.admin();
    fill(&client, "t", 2, 10, 5_000).await;

    let latest = admin.topic_offsets("t", OffsetSpec::Latest).await.unwrap();
    assert_eq!(
        latest
            .iter()
            .map(|p| (p.partition, p.offset))
            .collect::<Vec<_>>(),
        [(0, Some(10)), (1, Some(10))]
    );
    let earliest = admin
        .topic_offsets("t", OffsetSpec::Earliest)
        .await
        .unwrap();
    assert!(earliest.iter().all(|p| p.offset == Some(0)));
    let at = admin
        .topic_offsets(
            "t",
            OffsetSpec::Timestamp {
                timestamp_ms: 5_004,
            },
        )
        .await
        .unwrap();
    assert!(at.iter().all(|p| p.offset == Some(4)), "{at:?}");
    let past = admin
        .topic_offsets(
            "t",
            OffsetSpec::Timestamp {
                timestamp_ms: 9_999,
            },
        )
        .await
        .unwrap();
    assert!(past.iter().all(|p| p.offset.is_none()), "{past:?}");
    let err = admin
        .topic_offsets("nope", OffsetSpec::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::TopicNotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_offsets_are_reset_like_kafkas_tool() {
    let (_dir, _broker, client) = broker_with_topic("t", 2).await;
    let admin = client.admin();
    fill(&client, "t", 2, 10, 5_000).await;
    consume_and_commit(&client, "g", "t", 20).await;
    let committed = |offsets: Vec<rustlog::CommittedOffset>| -> Vec<u64> {
        offsets.iter().map(|c| c.offset).collect()
    };
    assert_eq!(committed(admin.group_offsets("g").await.unwrap()), [10, 10]);

    // A dry run plans and changes nothing.
    let plan = admin
        .reset_group_offsets("g", "t", None, OffsetReset::Earliest, false)
        .await
        .unwrap();
    assert_eq!(
        plan.iter()
            .map(|c| (c.partition, c.current, c.new))
            .collect::<Vec<_>>(),
        [(0, Some(10), 0), (1, Some(10), 0)]
    );
    assert_eq!(committed(admin.group_offsets("g").await.unwrap()), [10, 10]);

    // (target, partitions, committed offsets of partitions 0 and 1 after it)
    type Case = (OffsetReset, Option<&'static [u32]>, [u64; 2]);
    let cases: &[Case] = &[
        (OffsetReset::Earliest, None, [0, 0]),
        (OffsetReset::ShiftBy(3), Some(&[1]), [0, 3]),
        (OffsetReset::ShiftBy(-100), None, [0, 0]),
        (OffsetReset::Offset(7), None, [7, 7]),
        (OffsetReset::Offset(1_000), Some(&[0]), [10, 7]),
        (OffsetReset::Timestamp(5_006), None, [6, 6]),
        (OffsetReset::Timestamp(99_999), Some(&[1]), [6, 10]),
        (OffsetReset::Latest, None, [10, 10]),
    ];
    for (to, partitions, want) in cases {
        admin
            .reset_group_offsets("g", "t", *partitions, *to, true)
            .await
            .unwrap();
        assert_eq!(
            committed(admin.group_offsets("g").await.unwrap()),
            want,
            "after {to:?} on {partitions:?}"
        );
    }

    // A running member makes the reset refuse, and nothing moves.
    let member = client
        .consumer(ConsumerConfig::new("g").topic("t"))
        .unwrap();
    member.poll(Duration::from_millis(500)).await.unwrap();
    let err = admin
        .reset_group_offsets("g", "t", None, OffsetReset::Earliest, true)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::NonEmptyGroup, "{err}");
    let err = admin
        .set_group_offsets(
            "g",
            &[TopicPartitionOffset {
                topic: "t".into(),
                partition: 0,
                offset: 1,
            }],
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::NonEmptyGroup, "{err}");
    member.close().await.unwrap();
    assert_eq!(committed(admin.group_offsets("g").await.unwrap()), [10, 10]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_resets_are_refused_and_change_nothing() {
    let (_dir, _broker, client) = broker_with_topic("t", 2).await;
    let admin = client.admin();
    fill(&client, "t", 2, 4, 0).await;

    // A group that never committed: shifting has nothing to shift from.
    let err = admin
        .reset_group_offsets("fresh", "t", None, OffsetReset::ShiftBy(1), false)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::InvalidArgument);
    assert!(err.message().contains("no committed offset"), "{err}");
    let err = admin
        .reset_group_offsets("fresh", "t", Some(&[5]), OffsetReset::Earliest, true)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::PartitionNotFound);
    let err = admin
        .reset_group_offsets("fresh", "nope", None, OffsetReset::Earliest, true)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::TopicNotFound);
    // One offset past its high watermark refuses the whole set: nothing is committed.
    let err = admin
        .set_group_offsets(
            "fresh",
            &[
                TopicPartitionOffset {
                    topic: "t".into(),
                    partition: 0,
                    offset: 1,
                },
                TopicPartitionOffset {
                    topic: "t".into(),
                    partition: 1,
                    offset: 5,
                },
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::OffsetOutOfRange);
    assert!(err.message().contains("nothing was committed"), "{err}");
    assert!(admin.group_offsets("fresh").await.unwrap().is_empty());

    // The good reset of the same group then works.
    admin
        .reset_group_offsets("fresh", "t", None, OffsetReset::Offset(2), true)
        .await
        .unwrap();
    let offsets = admin.group_offsets("fresh").await.unwrap();
    assert_eq!(
        offsets
            .iter()
            .map(|c| (c.partition, c.offset))
            .collect::<Vec<_>>(),
        [(0, 2), (1, 2)]
    );
}
