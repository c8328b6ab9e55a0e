//! The broker is SIGKILLed and restarted (same port) while a producer sends and a group
//! consumer consumes and commits: the producer reconnects and every acknowledged record is in
//! the log, in send order per partition; a consumer resumes from the committed offsets without
//! skipping anything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use client_support::{client, read_partition, FixedPortBroker};
use rustlog::{AutoOffsetReset, ConsumerConfig, ProducerConfig, Record, TopicPartition};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const TOPIC: &str = "crash";
const PARTITIONS: u32 = 3;
const WAIT: Duration = Duration::from_secs(30);

fn consumer_config() -> ConsumerConfig {
    ConsumerConfig::new("survivors")
        .topic(TOPIC)
        .auto_offset_reset(AutoOffsetReset::Earliest)
        .session_timeout_ms(3_000)
        .fetch_max_wait_ms(100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_and_consumer_survive_a_broker_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = FixedPortBroker::start(&dir.path().join("data"));
    let addr = broker.addr();
    let client = client(&addr).await;
    client
        .admin()
        .create_topic(TOPIC, PARTITIONS, Default::default())
        .await
        .unwrap();

    // Producer: sequence numbers with keys, small batches, many retries allowed.
    let producer = client
        .producer(
            ProducerConfig::default()
                .linger_ms(1)
                .batch_bytes(4_096)
                .retry_backoff_ms(20)
                .delivery_timeout_ms(30_000),
        )
        .unwrap();
    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let producing = {
        let (producer, acked, stop) = (producer.clone(), acked.clone(), stop.clone());
        tokio::spawn(async move {
            let mut handles = Vec::new();
            let mut seq: u64 = 0;
            while !stop.load(Ordering::Relaxed) {
                let record = Record::new(TOPIC)
                    .key(format!("key-{}", seq % 10))
                    .value(seq.to_string());
                handles.push((seq, producer.send(record).await.unwrap()));
                seq += 1;
                if seq % 20 == 0 {
                    // Pace the stream and count acknowledgements as they come.
                    let done = handles.iter().filter(|(_, h)| h.is_done()).count();
                    acked.store(done as u64, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
            let mut metas = Vec::new();
            for (seq, h) in handles {
                // Every record is acknowledged despite the crash (retried until delivered).
                let meta = h
                    .await
                    .unwrap_or_else(|e| panic!("record {seq} failed: {e}"));
                metas.push((seq, meta));
            }
            metas
        })
    };

    // Consumer: commits after every batch; remembers what it committed.
    let consumer = client.consumer(consumer_config()).unwrap();
    let mut consumed: Vec<(u32, u64, u64)> = Vec::new();
    let deadline = Instant::now() + WAIT;
    while consumed.len() < 300 {
        assert!(
            Instant::now() < deadline,
            "consumer stalled before the crash"
        );
        let batch = consumer
            .poll_batch(50, Duration::from_millis(200))
            .await
            .unwrap();
        consumed.extend(batch.iter().map(|m| (m.partition, m.offset, parse(m))));
        consumer.commit_consumed().await.unwrap();
    }
    let partitions: Vec<TopicPartition> = (0..PARTITIONS)
        .map(|p| TopicPartition {
            topic: TOPIC.into(),
            partition: p,
        })
        .collect();
    let committed_before = consumer.committed(&partitions).await.unwrap();

    broker.kill9();
    tokio::time::sleep(Duration::from_millis(300)).await;
    broker.restart();

    // The producer keeps going after the restart.
    let resumed_at = acked.load(Ordering::Relaxed);
    let deadline = Instant::now() + WAIT;
    while acked.load(Ordering::Relaxed) < resumed_at + 300 {
        assert!(Instant::now() < deadline, "producer did not recover");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let metas = producing.await.unwrap();
    producer.close(Duration::from_secs(10)).await.unwrap();
    // The old member is gone with the broker's memory; it must not block the next one.
    let _ = consumer.close().await;

    // 1. Every acknowledged record is in the log, at its reported offset.
    let mut log: BTreeMap<(u32, u64), u64> = BTreeMap::new();
    let mut per_partition: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for p in 0..PARTITIONS {
        for m in read_partition(&client, TOPIC, p).await {
            log.insert((p, m.offset), parse(&m));
            per_partition.entry(p).or_default().push(parse(&m));
        }
    }
    for (seq, meta) in &metas {
        assert_eq!(
            log.get(&(meta.partition, meta.offset)),
            Some(seq),
            "acknowledged record {seq} missing at {}/{}",
            meta.partition,
            meta.offset
        );
    }
    // 2. Per partition, first occurrences follow send order (a retried batch may repeat).
    for (p, seqs) in &per_partition {
        let mut seen = HashSet::new();
        let firsts: Vec<u64> = seqs.iter().copied().filter(|s| seen.insert(*s)).collect();
        assert!(
            firsts.windows(2).all(|w| w[0] < w[1]),
            "partition {p} out of send order"
        );
    }

    // 3. A new member resumes at the committed offsets and, with what was consumed before,
    //    misses nothing.
    let resumed = client.consumer(consumer_config()).unwrap();
    let mut after: Vec<(u32, u64, u64)> = Vec::new();
    let ends: Vec<u64> = {
        let mut ends = Vec::new();
        for p in 0..PARTITIONS {
            ends.push(
                client
                    .list_offset(TOPIC, p, rustlog::OffsetSpec::Latest)
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        ends
    };
    let deadline = Instant::now() + WAIT;
    loop {
        let done =
            (0..PARTITIONS).all(|p| resumed.position(TOPIC, p).unwrap_or(0) >= ends[p as usize]);
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "resumed consumer did not catch up"
        );
        let batch = resumed
            .poll_batch(1_000, Duration::from_millis(200))
            .await
            .unwrap();
        after.extend(batch.iter().map(|m| (m.partition, m.offset, parse(m))));
    }
    for (p, committed) in committed_before.iter().enumerate() {
        let committed = committed.unwrap_or(0);
        let first = after
            .iter()
            .find(|(pp, _, _)| *pp == p as u32)
            .map(|(_, o, _)| *o);
        if let Some(first) = first {
            assert_eq!(
                first, committed,
                "partition {p} resumed at {first}, committed {committed}"
            );
        }
    }
    let everything: BTreeSet<(u32, u64)> = consumed
        .iter()
        .chain(after.iter())
        .map(|(p, o, _)| (*p, *o))
        .collect();
    for key in log.keys() {
        assert!(everything.contains(key), "record at {key:?} never consumed");
    }
    resumed.close().await.unwrap();
}

fn parse(m: &rustlog::Message) -> u64 {
    m.value_str().unwrap().parse().unwrap()
}
