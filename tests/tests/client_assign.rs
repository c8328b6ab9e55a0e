//! Manual assignment with the Rust client on a real broker (Kafka's `assign`): a consumer
//! without a group reads the partitions it names from the offsets it gives (or the reset
//! policy), seeks, pauses, reassigns keeping positions, and never joins a group; with a group id
//! it commits outside any generation and a later consumer starts there. Bad input (an unknown
//! topic or partition, subscribe mixed with assign, a commit without a group) is refused and
//! changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use client_support::{broker_with_topic, produce, tp};
use rustlog::{AutoOffsetReset, Consumer, ConsumerConfig, ErrorCode, Message};
use std::time::Duration;
use tokio::time::Instant;

async fn poll_n(consumer: &Consumer, want: usize) -> Vec<Message> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut got = Vec::new();
    while got.len() < want {
        assert!(Instant::now() < deadline, "only {} of {want}", got.len());
        got.extend(
            consumer
                .poll_batch(want - got.len(), Duration::from_millis(200))
                .await
                .unwrap(),
        );
    }
    got
}

fn values(messages: &[Message], partition: u32) -> Vec<u32> {
    messages
        .iter()
        .filter(|m| m.partition == partition)
        .map(|m| m.value_str().unwrap().parse().unwrap())
        .collect()
}

fn groupless() -> ConsumerConfig {
    ConsumerConfig::new("")
        .auto_offset_reset(AutoOffsetReset::Earliest)
        .fetch_max_wait_ms(100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_without_a_group_reads_the_partitions_it_assigns() {
    let (_dir, _broker, client) = broker_with_topic("manual", 2).await;
    produce(&client, "manual", 0, 0..20).await;
    produce(&client, "manual", 1, 100..110).await;
    let consumer = client.consumer(groupless()).unwrap();

    // Partition 0 from the reset policy (earliest), partition 1 from offset 5.
    consumer
        .assign(&[(tp("manual", 0), None), (tp("manual", 1), Some(5))])
        .await
        .unwrap();
    assert_eq!(consumer.assignment().len(), 2, "assigned at once");
    let got = poll_n(&consumer, 25).await;
    assert_eq!(values(&got, 0), (0..20).collect::<Vec<_>>());
    assert_eq!(values(&got, 1), (105..110).collect::<Vec<_>>());
    assert_eq!(consumer.assignment().len(), 2);
    assert_eq!(consumer.member_id(), None, "no group was joined");
    assert_eq!(consumer.position("manual", 0), Some(20));

    // Seek and pause work on assigned partitions.
    consumer.seek("manual", 0, 15).unwrap();
    consumer.pause(&[tp("manual", 1)]).unwrap();
    produce(&client, "manual", 1, 110..112).await;
    let again = poll_n(&consumer, 5).await;
    assert_eq!(values(&again, 0), (15..20).collect::<Vec<_>>());
    assert!(values(&again, 1).is_empty(), "paused");

    // Reassigning keeps the position (and the pause, as Kafka's) of a partition kept; the one
    // dropped is not read.
    consumer.assign(&[(tp("manual", 1), None)]).await.unwrap();
    assert_eq!(consumer.paused(), [tp("manual", 1)]);
    consumer.resume(&[tp("manual", 1)]).unwrap();
    let rest = poll_n(&consumer, 2).await;
    assert_eq!(values(&rest, 1), [110, 111]);
    assert_eq!(consumer.high_watermark("manual", 1), Some(12));
    assert_eq!(
        consumer.high_watermark("manual", 0),
        None,
        "no longer assigned"
    );
    assert_eq!(consumer.assignment(), [tp("manual", 1)]);
    produce(&client, "manual", 0, 20..21).await;
    assert!(consumer
        .poll_batch(10, Duration::from_millis(500))
        .await
        .unwrap()
        .is_empty());

    // Unassigned: nothing to read, no error.
    consumer.unassign();
    assert!(consumer
        .poll_batch(10, Duration::from_millis(300))
        .await
        .unwrap()
        .is_empty());
    assert!(consumer.assignment().is_empty());
    let groups = client.admin().list_groups().await.unwrap();
    assert!(groups.is_empty(), "{groups:?}");
    consumer.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_group_id_assigned_partitions_commit_and_start_from_the_commit() {
    let (_dir, _broker, client) = broker_with_topic("manual-commit", 1).await;
    produce(&client, "manual-commit", 0, 0..10).await;
    let config = || {
        ConsumerConfig::new("assigners")
            .auto_offset_reset(AutoOffsetReset::Earliest)
            .fetch_max_wait_ms(100)
    };
    let first = client.consumer(config()).unwrap();
    first
        .assign(&[(tp("manual-commit", 0), None)])
        .await
        .unwrap();
    let got = poll_n(&first, 4).await;
    first.commit(&got[3]).await.unwrap();
    first.close().await.unwrap();

    let second = client.consumer(config()).unwrap();
    second
        .assign(&[(tp("manual-commit", 0), None)])
        .await
        .unwrap();
    let rest = poll_n(&second, 6).await;
    assert_eq!(values(&rest, 0), (4..10).collect::<Vec<_>>());

    // Kafka's assign-then-seek: a seek before the first poll decides the start.
    let third = client.consumer(config()).unwrap();
    third
        .assign(&[(tp("manual-commit", 0), None)])
        .await
        .unwrap();
    third.seek("manual-commit", 0, 8).unwrap();
    assert_eq!(values(&poll_n(&third, 2).await, 0), [8, 9]);
    third.close().await.unwrap();
    assert_eq!(second.member_id(), None);
    second.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_assignments_are_refused_and_change_nothing() {
    let (_dir, _broker, client) = broker_with_topic("manual-bad", 2).await;
    produce(&client, "manual-bad", 0, 0..3).await;
    let consumer = client.consumer(groupless()).unwrap();
    consumer
        .assign(&[(tp("manual-bad", 0), None)])
        .await
        .unwrap();

    let err = consumer
        .assign(&[(tp("manual-bad", 0), None), (tp("nope", 0), None)])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::TopicNotFound, "{err}");
    let err = consumer
        .assign(&[(tp("manual-bad", 2), None)])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::PartitionNotFound, "{err}");
    assert!(err.message().contains("manual-bad/2"), "{err}");
    let err = consumer.subscribe(&["manual-bad"]).unwrap_err();
    assert_eq!(err.kind(), ErrorCode::InvalidArgument);
    assert_eq!(
        values(&poll_n(&consumer, 3).await, 0),
        [0, 1, 2],
        "still the first"
    );

    let msg = consumer
        .poll_batch(1, Duration::from_millis(100))
        .await
        .unwrap();
    assert!(msg.is_empty());
    let err = consumer
        .commit_offsets(&[(tp("manual-bad", 0), 1)])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::InvalidArgument);
    assert!(err.message().contains("group id"), "{err}");

    // A subscribed consumer cannot assign; a group-less one without assignment says what to do.
    let subscribed = client
        .consumer(ConsumerConfig::new("subs").topic("manual-bad"))
        .unwrap();
    let err = subscribed
        .assign(&[(tp("manual-bad", 0), None)])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::InvalidArgument);
    let idle = client.consumer(groupless()).unwrap();
    let err = idle
        .poll_batch(1, Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(err.message().contains("assign"), "{err}");
    let err = client
        .consumer(ConsumerConfig::new("").topic("manual-bad"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::InvalidGroupId);
    consumer.close().await.unwrap();
}
