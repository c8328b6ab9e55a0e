//! Consumer flow control with the Rust client on a real broker: `pause` / `resume` per
//! partition without leaving the group, a hung handler detected by `max_poll_interval_ms` (the
//! member leaves, the other takes its partitions, its stale commit is refused), and a topic that
//! gains partitions rebalanced so the new ones are consumed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use client_support::{broker_with_topic, produce, tp};
use rustlog::{AutoOffsetReset, Client, ConsumerConfig, ErrorCode, ProducerConfig, Record};
use rustlog::{Consumer, Message, TopicPartition};
use std::time::Duration;
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(20);

fn config(group: &str, topic: &str) -> ConsumerConfig {
    ConsumerConfig::new(group)
        .topic(topic)
        .auto_offset_reset(AutoOffsetReset::Earliest)
        .session_timeout_ms(1_500)
        .rebalance_timeout_ms(5_000)
        .fetch_max_wait_ms(100)
}

/// Polls until `want` messages arrived (or fails after `WAIT`).
async fn poll_n(consumer: &Consumer, want: usize) -> Vec<Message> {
    let deadline = Instant::now() + WAIT;
    let mut got = Vec::new();
    while got.len() < want {
        assert!(
            Instant::now() < deadline,
            "only {} of {want} messages",
            got.len()
        );
        let batch = consumer
            .poll_batch(want - got.len(), Duration::from_millis(200))
            .await
            .unwrap();
        got.extend(batch);
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_partition_is_not_fetched_until_resumed() {
    let (_dir, _broker, client) = broker_with_topic("fc", 2).await;
    produce(&client, "fc", 0, 0..50).await;
    produce(&client, "fc", 1, 100..150).await;

    let consumer = client.consumer(config("pausing", "fc")).unwrap();
    // Join, then pause partition 1 with part of it probably fetched ahead already.
    let first = poll_n(&consumer, 1).await;
    consumer.pause(&[tp("fc", 1)]).unwrap();
    assert_eq!(consumer.paused(), [tp("fc", 1)]);
    let mut seen: Vec<Message> = first;
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        seen.extend(
            consumer
                .poll_batch(100, Duration::from_millis(100))
                .await
                .unwrap(),
        );
    }
    let from_p1_after_pause = seen.iter().skip(1).filter(|m| m.partition == 1).count();
    assert_eq!(
        from_p1_after_pause, 0,
        "nothing of a paused partition is handed out"
    );
    assert_eq!(seen.iter().filter(|m| m.partition == 0).count(), 50);
    let p1_position = consumer.position("fc", 1);

    // Still a member: the assignment is unchanged and pausing kept the position.
    assert_eq!(consumer.assignment().len(), 2);
    consumer.resume(&[tp("fc", 1)]).unwrap();
    assert!(consumer.paused().is_empty());
    let before = seen.iter().filter(|m| m.partition == 1).count() as u32;
    let rest = poll_n(&consumer, 50 - before as usize).await;
    let mut p1: Vec<u32> = seen
        .iter()
        .chain(&rest)
        .filter(|m| m.partition == 1)
        .map(|m| m.value_str().unwrap().parse().unwrap())
        .collect();
    p1.sort_unstable();
    assert_eq!(
        p1,
        (100..150).collect::<Vec<_>>(),
        "every record once, none skipped"
    );
    assert_eq!(
        p1_position,
        Some(u64::from(before)),
        "the position stayed where it was"
    );

    // Only assigned partitions can be paused; the refusal changes nothing.
    let err = consumer.pause(&[tp("fc", 7)]).unwrap_err();
    assert_eq!(err.kind(), ErrorCode::InvalidArgument);
    assert!(err.message().contains("fc/7"), "{err}");
    assert!(consumer.paused().is_empty());
    consumer.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_stops_polling_leaves_and_the_other_takes_over() {
    let (_dir, _broker, client) = broker_with_topic("hung", 2).await;
    produce(&client, "hung", 0, 0..10).await;
    produce(&client, "hung", 1, 10..20).await;

    let hung = client
        .consumer(config("workers", "hung").max_poll_interval_ms(1_000))
        .unwrap();
    let taken = poll_n(&hung, 1).await;
    assert_eq!(hung.assignment().len(), 2);
    // The handler hangs for longer than max_poll_interval_ms.
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    assert!(hung.assignment().is_empty(), "it left the group");
    let err = hung.commit(&taken[0]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorCode::UnknownMemberId, "{err}");
    assert!(err.message().contains("max_poll_interval_ms"), "{err}");

    let other = client.consumer(config("workers", "hung")).unwrap();
    let all = poll_n(&other, 20).await;
    assert_eq!(
        other.assignment().len(),
        2,
        "the live member owns everything"
    );
    assert_eq!(all.len(), 20);
    other.close().await.unwrap();

    // Its next poll rejoins; commits work again.
    let deadline = Instant::now() + WAIT;
    while hung.assignment().is_empty() {
        assert!(Instant::now() < deadline, "never rejoined");
        hung.poll(Duration::from_millis(200)).await.unwrap();
    }
    hung.commit_offsets(&[(tp("hung", 0), 1)]).await.unwrap();
    hung.close().await.unwrap();
    let err = client
        .consumer(config("workers", "hung").max_poll_interval_ms(0))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_partitions_of_a_subscribed_topic_are_assigned_and_consumed() {
    let (_dir, _broker, client) = broker_with_topic("grows", 1).await;
    let admin = client.admin();
    produce(&client, "grows", 0, 0..5).await;
    let consumer = client.consumer(config("growing", "grows")).unwrap();
    poll_n(&consumer, 5).await;
    assert_eq!(consumer.assignment(), [tp("grows", 0)]);

    admin.create_partitions("grows", 3).await.unwrap();
    produce(&client, "grows", 2, 50..53).await;
    let got = poll_n(&consumer, 3).await;
    assert!(got.iter().all(|m| m.partition == 2), "{got:?}");
    let mut assigned = consumer.assignment();
    assigned.sort_by_key(|t| t.partition);
    assert_eq!(assigned, [tp("grows", 0), tp("grows", 1), tp("grows", 2)]);
    consumer.close().await.unwrap();
}

/// Records what the hooks saw and commits what was processed when partitions are revoked.
struct CommitOnRevoke {
    calls: std::sync::Arc<parking_lot::Mutex<Vec<String>>>,
}

impl rustlog::RebalanceListener for CommitOnRevoke {
    fn on_partitions_revoked<'a>(
        &'a self,
        consumer: &'a Consumer,
        partitions: &'a [TopicPartition],
    ) -> futures::future::BoxFuture<'a, ()> {
        Box::pin(async move {
            consumer.commit_consumed().await.unwrap();
            self.calls
                .lock()
                .push(format!("revoked {}", partitions.len()));
        })
    }

    fn on_partitions_assigned<'a>(
        &'a self,
        _consumer: &'a Consumer,
        partitions: &'a [TopicPartition],
    ) -> futures::future::BoxFuture<'a, ()> {
        Box::pin(async move {
            self.calls
                .lock()
                .push(format!("assigned {}", partitions.len()));
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_hooks_commit_before_a_rebalance_and_events_tell_each_step() {
    let (_dir, _broker, client) = broker_with_topic("hooks", 2).await;
    produce(&client, "hooks", 0, 0..20).await;
    produce(&client, "hooks", 1, 20..40).await;

    let calls = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
    let first = client.consumer(config("hooked", "hooks")).unwrap();
    first.set_rebalance_listener(CommitOnRevoke {
        calls: calls.clone(),
    });
    let mut events = first.events();
    let mut seen = poll_n(&first, 40).await;
    assert_eq!(*calls.lock(), ["assigned 2"]);

    // A second member joins: the first gives its partitions up through the hook, which
    // commits everything it was handed; so the second starts exactly after it.
    let second = client.consumer(config("hooked", "hooks")).unwrap();
    let joining = tokio::spawn({
        let second = second.clone();
        async move {
            while second.assignment().is_empty() {
                second.poll(Duration::from_millis(200)).await.unwrap();
            }
        }
    });
    let deadline = Instant::now() + WAIT;
    while first.assignment().len() != 1 {
        assert!(Instant::now() < deadline, "the first never rebalanced");
        seen.extend(
            first
                .poll_batch(10, Duration::from_millis(100))
                .await
                .unwrap(),
        );
    }
    assert_eq!(*calls.lock(), ["assigned 2", "revoked 2", "assigned 1"]);
    joining.await.unwrap();
    produce(&client, "hooks", 0, 40..41).await;
    produce(&client, "hooks", 1, 41..42).await;
    seen.extend(poll_n(&first, 1).await);
    let deadline = Instant::now() + WAIT;
    let mut from_second = Vec::new();
    while from_second.is_empty() {
        assert!(Instant::now() < deadline, "the second got nothing");
        from_second.extend(
            second
                .poll_batch(10, Duration::from_millis(100))
                .await
                .unwrap(),
        );
    }
    let values = |ms: &[Message]| -> Vec<u32> {
        ms.iter()
            .map(|m| m.value_str().unwrap().parse().unwrap())
            .collect()
    };
    assert_eq!(values(&from_second).len(), 1, "no record handed out twice");
    assert!(values(&from_second)[0] >= 40);
    // A heartbeat period (a third of the 1.5 s session) passes before the first leaves.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    first.close().await.unwrap();
    second.close().await.unwrap();
    assert_eq!(calls.lock().last().map(String::as_str), Some("revoked 1"));

    let mut kinds = Vec::new();
    while let Ok(event) = events.try_recv() {
        kinds.push(match event {
            rustlog::ConsumerEvent::GroupJoin { .. } => "join",
            rustlog::ConsumerEvent::Rebalancing { .. } => "rebalancing",
            rustlog::ConsumerEvent::Heartbeat { .. } => "heartbeat",
            rustlog::ConsumerEvent::CommitOffsets { .. } => "commit",
            rustlog::ConsumerEvent::Stop => "stop",
            _ => "other",
        });
    }
    kinds.dedup();
    let order: Vec<&str> = kinds
        .iter()
        .copied()
        .filter(|k| *k != "heartbeat")
        .collect();
    assert_eq!(
        order,
        // The last commit is the hook's, in close.
        ["join", "rebalancing", "commit", "join", "commit", "stop"],
        "{kinds:?}"
    );
    assert!(kinds.contains(&"heartbeat"), "{kinds:?}");
}

/// The blocking API's hooks: `seek` in the assigned hook decides where reading starts, and a
/// commit in the revoked hook (run by `close`) stores what was read; both are blocking calls
/// made from inside a hook.
struct SeekThenCommit;

impl rustlog::blocking::BlockingRebalanceListener for SeekThenCommit {
    fn on_partitions_revoked(&self, consumer: &rustlog::blocking::Consumer, _: &[TopicPartition]) {
        consumer.commit_consumed().unwrap();
    }

    fn on_partitions_assigned(
        &self,
        consumer: &rustlog::blocking::Consumer,
        partitions: &[TopicPartition],
    ) {
        for p in partitions {
            consumer.seek(&p.topic, p.partition, 2).unwrap();
        }
    }
}

#[test]
fn blocking_hooks_can_seek_and_commit() {
    let dir = tempfile::tempdir().unwrap();
    let broker = rustlog_tests::BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = rustlog::blocking::Client::connect(broker.addr().to_string()).unwrap();
    client
        .admin()
        .create_topic("bh", 1, Default::default())
        .unwrap();
    let producer = client.producer(ProducerConfig::default()).unwrap();
    let records = (0..6)
        .map(|i| Record::new("bh").value(i.to_string()))
        .collect();
    for handle in producer.send_batch(records).unwrap() {
        handle.wait(WAIT).unwrap();
    }
    let consumer = client.consumer(config("blocking-hooks", "bh")).unwrap();
    consumer.set_rebalance_listener(SeekThenCommit);
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + WAIT;
    while got.len() < 4 {
        assert!(std::time::Instant::now() < deadline, "got {got:?}");
        got.extend(consumer.poll_batch(10, Duration::from_millis(200)).unwrap());
    }
    assert_eq!(
        got[0].offset, 2,
        "the assigned hook's seek decided the start"
    );
    consumer.close().unwrap();
    let offsets = client.admin().group_offsets("blocking-hooks").unwrap();
    assert_eq!(offsets.first().map(|o| o.offset), Some(6), "{offsets:?}");
}

/// The `ListOffsets` requests the broker handled so far.
async fn list_offsets_requests(client: &Client) -> f64 {
    let text = client.admin().metrics().await.unwrap();
    rustlog_tests::metric_value(&text, "rustlog_requests_total{api=\"ListOffsets\"}").unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_high_watermark_comes_with_each_fetch_without_a_request() {
    let (_dir, _broker, client) = broker_with_topic("hw", 2).await;
    produce(&client, "hw", 0, 0..50).await;
    produce(&client, "hw", 1, 0..30).await;
    let consumer = client.consumer(config("watermarks", "hw")).unwrap();
    assert_eq!(
        consumer.high_watermark("hw", 0),
        None,
        "nothing fetched yet"
    );

    poll_n(&consumer, 80).await;
    let lookups = list_offsets_requests(&client).await;
    assert_eq!(consumer.high_watermark("hw", 0), Some(50));
    assert_eq!(consumer.high_watermark("hw", 1), Some(30));
    assert_eq!(consumer.high_watermark("hw", 7), None, "not assigned");
    assert_eq!(consumer.high_watermark("other", 0), None);

    // New records: the next fetch that returns them reports the new end.
    produce(&client, "hw", 0, 50..55).await;
    poll_n(&consumer, 5).await;
    assert_eq!(consumer.high_watermark("hw", 0), Some(55));
    assert_eq!(
        list_offsets_requests(&client).await,
        lookups,
        "no ListOffsets was sent for it"
    );
    consumer.close().await.unwrap();
}
