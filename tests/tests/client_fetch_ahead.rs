//! Consumers fetch and decode ahead of the caller in the background. These scenarios check
//! what that must never change: a seek (forward or back) hands out the sought offset next,
//! never a message fetched ahead from the old position; a consumer that stops polling stops
//! fetching after a bounded number of responses; a closed or dropped consumer fetches no more.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use std::time::Duration;

use client_support::client;
use rustlog::{AutoOffsetReset, ConsumerConfig, Message, PartitionConsumer, StartOffset};
use rustlog_protocol::messages::produce::Acks;
use rustlog_tests::{http_get, metric_value, BrokerProcess};

const RECORDS: u64 = 20_000;
/// Small fetches, so that many responses are needed and some wait ahead at every moment.
const FETCH_BYTES: u32 = 16 * 1024;
/// How long a poll may wait for its first message.
const POLL_WAIT: Duration = Duration::from_secs(10);

/// One partition holding `RECORDS` records of about 100 bytes, in 40 batches.
fn broker_with_records(dir: &std::path::Path, topic: &str) -> BrokerProcess {
    let broker = BrokerProcess::start(&dir.join("data"), &[]);
    let mut raw = broker.client();
    raw.create_topic(topic, 1, &[]);
    let values: Vec<Vec<u8>> = (0..RECORDS)
        .map(|i| format!("{i:0100}").into_bytes())
        .collect();
    for chunk in values.chunks(500) {
        let chunk: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
        raw.produce(topic, 0, Acks::Leader, &chunk);
    }
    broker
}

/// A group consumer of topic "ahead" from the start, fetching `FETCH_BYTES` at a time.
fn small_fetches(group: &str) -> ConsumerConfig {
    let mut config = ConsumerConfig::new(group).topic("ahead");
    config.auto_offset_reset = AutoOffsetReset::Earliest;
    config.fetch_max_bytes = FETCH_BYTES;
    config.partition_fetch_bytes = FETCH_BYTES;
    config
}

fn assert_contiguous(messages: &[Message], first: u64) {
    for (i, m) in messages.iter().enumerate() {
        let offset = first + i as u64;
        assert_eq!(m.offset, offset, "message {i} after a seek to {first}");
        assert_eq!(
            m.value.as_deref(),
            Some(format!("{offset:0100}").as_bytes())
        );
    }
}

/// Checks a first poll of ten messages from `first`, then gives the background task time to
/// decode and queue the next responses.
async fn read_ten_then_let_it_fetch_ahead(
    poll: impl std::future::Future<Output = rustlog::Result<Vec<Message>>>,
    first: u64,
) {
    let got = poll.await.unwrap();
    assert_eq!(got.len(), 10);
    assert_contiguous(&got, first);
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Checks that a poll after a seek to `target` starts exactly there.
async fn read_from(
    poll: impl std::future::Future<Output = rustlog::Result<Vec<Message>>>,
    target: u64,
) -> Vec<Message> {
    let got = poll.await.unwrap();
    assert!(!got.is_empty(), "nothing after a seek to {target}");
    assert_contiguous(&got, target);
    got
}

fn fetch_requests(broker: &BrokerProcess) -> f64 {
    let (status, text) = http_get(broker.metrics_addr().unwrap(), "/metrics").unwrap();
    assert_eq!(status, 200);
    metric_value(&text, "rustlog_requests_total{api=\"Fetch\"}").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_consumer_seek_discards_what_was_fetched_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker_with_records(dir.path(), "ahead");
    let client = client(&broker.addr().to_string()).await;
    let consumer = client.consumer(small_fetches("seekers")).unwrap();

    read_ten_then_let_it_fetch_ahead(consumer.poll_batch(10, POLL_WAIT), 0).await;
    for target in [15_000, 100, 19_999] {
        consumer.seek("ahead", 0, target).unwrap();
        let got = read_from(consumer.poll_batch(50, POLL_WAIT), target).await;
        assert_eq!(
            consumer.position("ahead", 0),
            Some(target + got.len() as u64)
        );
    }
    // Back to the start and read everything: nothing skipped, nothing repeated.
    consumer.seek("ahead", 0, 0).unwrap();
    let mut all = Vec::new();
    while (all.len() as u64) < RECORDS {
        let batch = consumer
            .poll_batch(1_000, Duration::from_secs(10))
            .await
            .unwrap();
        assert!(!batch.is_empty(), "stalled at {} of {RECORDS}", all.len());
        all.extend(batch);
    }
    assert_contiguous(&all, 0);
    consumer.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_consumer_seek_discards_what_was_fetched_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker_with_records(dir.path(), "ahead");
    let client = client(&broker.addr().to_string()).await;
    let consumer: PartitionConsumer = client
        .partition_consumer("ahead", 0, StartOffset::Offset(5))
        .unwrap()
        .with_fetch_settings(500, FETCH_BYTES)
        .unwrap();

    read_ten_then_let_it_fetch_ahead(consumer.poll_batch(10, POLL_WAIT), 5).await;
    for target in [12_345, 7] {
        consumer.seek(target).await;
        read_from(consumer.poll_batch(50, POLL_WAIT), target).await;
    }
    assert_eq!(consumer.high_watermark().await, Some(RECORDS));
    consumer.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_stops_polling_stops_fetching_and_close_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker_with_records(dir.path(), "ahead");
    let client = client(&broker.addr().to_string()).await;
    let mut config = small_fetches("idle");
    config.fetch_max_wait_ms = 100;
    let consumer = client.consumer(config).unwrap();
    assert!(!consumer
        .poll_batch(10, Duration::from_secs(10))
        .await
        .unwrap()
        .is_empty());

    // With data waiting, an unbounded fetcher would keep going; this one parks once its
    // queue is full (`FETCH_AHEAD_RESPONSES` queued plus one decoded and waiting).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let parked = fetch_requests(&broker);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        fetch_requests(&broker),
        parked,
        "fetches went on without polls"
    );

    // Polling again resumes it; the messages continue where the first poll stopped.
    let next = consumer
        .poll_batch(10, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(next.len(), 10);
    assert_contiguous(&next, 10);

    // Close stops the task at once, although nobody polls afterwards.
    consumer.close().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let closed = fetch_requests(&broker);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        fetch_requests(&broker),
        closed,
        "a closed consumer kept fetching"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_consumer_stops_fetching_even_at_the_end_of_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker_with_records(dir.path(), "ahead");
    let client = client(&broker.addr().to_string()).await;
    let consumer = client
        .partition_consumer("ahead", 0, StartOffset::Latest)
        .unwrap()
        .with_fetch_settings(50, FETCH_BYTES)
        .unwrap();
    // At the end of the log every fetch long-polls and comes back empty.
    assert!(consumer
        .poll(Duration::from_millis(200))
        .await
        .unwrap()
        .is_none());
    drop(consumer);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dropped = fetch_requests(&broker);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        fetch_requests(&broker),
        dropped,
        "a dropped consumer kept fetching"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_position_past_the_end_is_reset_by_the_offset_reset_policy() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker_with_records(dir.path(), "ahead");
    let client = client(&broker.addr().to_string()).await;

    // The broker answers OffsetOutOfRange; the group consumer resets to earliest.
    let consumer = client.consumer(small_fetches("resetters")).unwrap();
    read_ten_then_let_it_fetch_ahead(consumer.poll_batch(10, POLL_WAIT), 0).await;
    consumer.seek("ahead", 0, RECORDS + 1_000).unwrap();
    read_from(consumer.poll_batch(50, POLL_WAIT), 0).await;
    consumer.close().await.unwrap();

    // So does a partition consumer that started from the earliest offset.
    let partition = client
        .partition_consumer("ahead", 0, StartOffset::Earliest)
        .unwrap()
        .with_fetch_settings(500, FETCH_BYTES)
        .unwrap();
    read_ten_then_let_it_fetch_ahead(partition.poll_batch(10, POLL_WAIT), 0).await;
    partition.seek(RECORDS + 1_000).await;
    read_from(partition.poll_batch(50, POLL_WAIT), 0).await;
    partition.close();
}
