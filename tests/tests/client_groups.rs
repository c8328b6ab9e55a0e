//! Consumer groups with the Rust client: committed offsets are resumed without skipping or
//! repeating, auto-commit only covers messages already returned, two members split the
//! partitions, and the survivor takes over the partitions of a member that leaves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use client_support::client;
use rustlog::{
    AutoOffsetReset, Client, Consumer, ConsumerConfig, ProducerConfig, Record, TopicPartition,
};
use rustlog_tests::BrokerProcess;
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(20);

fn config(group: &str, topic: &str) -> ConsumerConfig {
    ConsumerConfig::new(group)
        .topic(topic)
        .auto_offset_reset(AutoOffsetReset::Earliest)
        // Short sessions: rebalances are noticed within a heartbeat (~1/3 of it).
        .session_timeout_ms(1_500)
        .rebalance_timeout_ms(5_000)
        .fetch_max_wait_ms(100)
}

async fn produce(client: &Client, topic: &str, from: u32, count: u32) {
    let producer = client.producer(ProducerConfig::default()).unwrap();
    let mut handles = Vec::new();
    for i in from..from + count {
        let record = Record::new(topic).key(format!("k{i}")).value(i.to_string());
        handles.push(producer.send(record).await.unwrap());
    }
    for h in handles {
        h.await.unwrap();
    }
    producer.close(Duration::from_secs(5)).await.unwrap();
}

fn value(m: &rustlog::Message) -> u32 {
    m.value_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_member_resumes_exactly_at_the_committed_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = client(&broker.addr().to_string()).await;
    client
        .admin()
        .create_topic("g1", 2, Default::default())
        .await
        .unwrap();
    produce(&client, "g1", 0, 100).await;

    let first = client.consumer(config("resume", "g1")).unwrap();
    let mut seen = Vec::new();
    while seen.len() < 40 {
        let batch = first.poll_batch(40 - seen.len(), WAIT).await.unwrap();
        seen.extend(batch);
    }
    first.commit_consumed().await.unwrap();
    first.close().await.unwrap();

    let second = client.consumer(config("resume", "g1")).unwrap();
    let deadline = Instant::now() + WAIT;
    while seen.len() < 100 {
        assert!(
            Instant::now() < deadline,
            "only {} of 100 consumed",
            seen.len()
        );
        seen.extend(
            second
                .poll_batch(1_000, Duration::from_millis(500))
                .await
                .unwrap(),
        );
    }
    let values: Vec<u32> = seen.iter().map(value).collect();
    let unique: BTreeSet<u32> = values.iter().copied().collect();
    assert_eq!(unique.len(), 100, "nothing skipped");
    assert_eq!(values.len(), 100, "nothing consumed twice");
    assert!(second
        .poll(Duration::from_millis(200))
        .await
        .unwrap()
        .is_none());
    second.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_commit_covers_only_messages_already_returned() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = client(&broker.addr().to_string()).await;
    client
        .admin()
        .create_topic("ac", 1, Default::default())
        .await
        .unwrap();
    produce(&client, "ac", 0, 50).await;
    let consumer = client
        .consumer(
            config("auto", "ac")
                .enable_auto_commit(true)
                .auto_commit_interval_ms(10),
        )
        .unwrap();
    // One fetch buffers all 50; only the 7 handed out may be committed.
    for _ in 0..7 {
        consumer.poll(WAIT).await.unwrap().unwrap();
    }
    consumer.close().await.unwrap();
    let tp = TopicPartition {
        topic: "ac".into(),
        partition: 0,
    };
    let check = client.consumer(config("auto", "ac")).unwrap();
    assert_eq!(check.committed(&[tp]).await.unwrap(), vec![Some(7)]);
    // Manual mode (the default) commits nothing by itself.
    let manual = client.consumer(config("manual", "ac")).unwrap();
    manual.poll(WAIT).await.unwrap().unwrap();
    manual.close().await.unwrap();
    let tp = TopicPartition {
        topic: "ac".into(),
        partition: 0,
    };
    let manual_check = client.consumer(config("manual", "ac")).unwrap();
    assert_eq!(
        manual_check.committed(&[tp]).await.unwrap(),
        vec![None::<u64>]
    );
}

/// Polls `consumer` in the background, committing as it goes, until told to stop.
fn spawn_member(consumer: Consumer) -> tokio::task::JoinHandle<(Consumer, Vec<u32>)> {
    tokio::spawn(async move {
        let mut values = Vec::new();
        loop {
            match consumer.poll_batch(100, Duration::from_millis(100)).await {
                Ok(batch) => {
                    values.extend(batch.iter().map(value));
                    if !batch.is_empty() {
                        // A commit may race a rebalance; the next poll rejoins.
                        let _ = consumer.commit_consumed().await;
                    }
                }
                Err(e) if e.kind() == rustlog::ErrorCode::Closed => break,
                Err(e) => panic!("poll failed: {e}"),
            }
            if consumer.is_closed() {
                break;
            }
        }
        (consumer, values)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_split_the_partitions_and_the_survivor_takes_over() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = client(&broker.addr().to_string()).await;
    client
        .admin()
        .create_topic("split", 4, Default::default())
        .await
        .unwrap();

    let a = client.consumer(config("pair", "split")).unwrap();
    let b = client.consumer(config("pair", "split")).unwrap();
    let task_a = spawn_member(a.clone());
    let task_b = spawn_member(b.clone());

    // Both members end up with two partitions each, disjoint.
    let deadline = Instant::now() + WAIT;
    loop {
        let (pa, pb) = (a.assignment(), b.assignment());
        if pa.len() == 2 && pb.len() == 2 {
            let all: HashSet<_> = pa.iter().chain(pb.iter()).cloned().collect();
            assert_eq!(all.len(), 4, "assignments overlap: {pa:?} {pb:?}");
            if a.generation_id() == b.generation_id() {
                break;
            }
        }
        assert!(Instant::now() < deadline, "no split: {pa:?} {pb:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Records produced now are split between the two members; then B leaves.
    produce(&client, "split", 0, 200).await;
    let deadline = Instant::now() + WAIT;
    while client_lag(&client, "pair").await > 0 {
        assert!(Instant::now() < deadline, "group did not catch up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.close().await.unwrap();
    let (_, values_b) = task_b.await.unwrap();

    // A takes over all four partitions and gets the new records of B's former partitions too.
    let deadline = Instant::now() + WAIT;
    while a.assignment().len() != 4 {
        assert!(
            Instant::now() < deadline,
            "no takeover: {:?}",
            a.assignment()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    produce(&client, "split", 200, 100).await;
    let deadline = Instant::now() + WAIT;
    while client_lag(&client, "pair").await > 0 {
        assert!(Instant::now() < deadline, "survivor did not catch up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    a.close().await.unwrap();
    let (_, values_a) = task_a.await.unwrap();

    assert!(!values_b.is_empty(), "B consumed something before leaving");
    let all: BTreeSet<u32> = values_a.iter().chain(values_b.iter()).copied().collect();
    assert_eq!(
        all,
        (0..300).collect::<BTreeSet<u32>>(),
        "every record consumed"
    );
    let b_set: HashSet<u32> = values_b.iter().copied().collect();
    let overlap = values_a.iter().filter(|v| b_set.contains(v)).count();
    assert_eq!(
        overlap, 0,
        "committed records were not consumed again by the survivor"
    );
}

async fn client_lag(client: &Client, group: &str) -> u64 {
    match client.admin().describe_group(group).await {
        Ok(d) => {
            if d.offsets.len() < 4 {
                return u64::MAX;
            }
            d.offsets.iter().map(|o| o.lag).sum()
        }
        Err(_) => u64::MAX,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_seek_and_position() {
    use futures::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = client(&broker.addr().to_string()).await;
    client
        .admin()
        .create_topic("st", 1, Default::default())
        .await
        .unwrap();
    produce(&client, "st", 0, 20).await;
    let consumer = client.consumer(config("streamers", "st")).unwrap();
    let first: Vec<u32> = consumer
        .stream()
        .take(5)
        .map(|m| value(&m.unwrap()))
        .collect()
        .await;
    assert_eq!(first, [0, 1, 2, 3, 4]);
    assert_eq!(
        consumer.assignment(),
        [TopicPartition {
            topic: "st".into(),
            partition: 0
        }]
    );
    // Back to offset 2: the next message is 2 even though later ones were buffered.
    consumer.seek("st", 0, 2).unwrap();
    assert_eq!(consumer.position("st", 0), Some(2));
    let again = consumer.poll(WAIT).await.unwrap().unwrap();
    assert_eq!((again.offset, value(&again)), (2, 2));
    assert_eq!(consumer.position("st", 0), Some(3));
    let err = consumer.seek("other", 0, 0).unwrap_err();
    assert_eq!(err.kind(), rustlog::ErrorCode::InvalidArgument);
    consumer.close().await.unwrap();
    let err = consumer.poll(WAIT).await.unwrap_err();
    assert_eq!(err.kind(), rustlog::ErrorCode::Closed);
    // The stream of a closed consumer ends.
    assert!(consumer.stream().next().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_after_close_fail_with_closed_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = client(&broker.addr().to_string()).await;
    client
        .admin()
        .create_topic("gc", 1, Default::default())
        .await
        .unwrap();
    produce(&client, "gc", 0, 10).await;

    let consumer = client.consumer(config("closed", "gc")).unwrap();
    let first = consumer.poll(WAIT).await.unwrap().unwrap();
    consumer.commit(&first).await.unwrap();
    consumer.close().await.unwrap();

    let tp = TopicPartition {
        topic: "gc".to_string(),
        partition: 0,
    };
    for result in [
        consumer.commit(&first).await,
        consumer.commit_offsets(&[(tp.clone(), 9)]).await,
        consumer.commit_consumed().await,
    ] {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), rustlog::ErrorCode::Closed, "{err}");
    }
    let committed = client
        .admin()
        .describe_group("closed")
        .await
        .unwrap()
        .offsets
        .into_iter()
        .find(|p| p.topic == "gc" && p.partition == 0)
        .and_then(|p| p.committed_offset);
    assert_eq!(committed, Some(first.offset + 1));
}
