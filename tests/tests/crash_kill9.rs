//! The crash harness: a real broker process, three idempotent producers with durable acks and a
//! committing group consumer, while the broker is killed with SIGKILL at random moments and
//! restarted on the same data dir and port, `RUSTLOG_CRASH_CYCLES` times (20 by default, 1000 in
//! `make soak`). After every restart and at the end an independent raw-protocol verifier checks
//! that every record acknowledged before the kill is stored once at its acknowledged offset with
//! identical bytes, that offsets have no holes, that every batch CRC holds, and that the group's
//! committed offsets never went below an acknowledged commit (nor past the log end).
//!
//! What it tolerates: a record whose produce failed may be stored (once) or not. No record is
//! ever stored twice: the producers are idempotent, so a batch retried after a lost answer
//! (the broker died between the fsync and the answer) must be recognised by the restarted broker,
//! acknowledged or not. The seed (printed; `RUSTLOG_CRASH_SEED` replays it) fixes the kill and
//! restart moments; the thread schedule, and so what is in flight at each kill, still varies.
//!
//! SIGKILL ends the process, not the machine: written pages survive in the page cache, so this
//! proves the broker's own crash consistency (recovery of segments, indexes, producer state and
//! group files at any instant), not fsync ordering under power loss (that is for the storage
//! model test on fault-injecting I/O, `broker/tests/model.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use client_support::client;
use parking_lot::Mutex;
use rustlog::{Acks, AutoOffsetReset, Client, ConsumerConfig, ProducerConfig, Record};
use rustlog::{Consumer, TopicPartition};
use rustlog_tests::crash::{
    cycles_from_env, parse_record, record_key, record_value, seed_from_env, Ledger, Placed,
    RecordId, Rng, Verified, Verifier,
};
use rustlog_tests::{free_port, BrokerProcess};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOPIC: &str = "crash";
const PARTITIONS: u32 = 3;
const PRODUCERS: u32 = 3;
const GROUP: &str = "crash-verifier";
/// Records a producer sends before it waits for their acknowledgements.
const SEND_WINDOW: u64 = 16;
/// Small segments, so restarts recover across rolled segments and the active one.
const SEGMENT_BYTES: &str = "16384";
/// Broker up-time before a kill, drawn per cycle.
const RUN_MS: (u64, u64) = (30, 400);
/// Pause between the kill and the restart, drawn per cycle.
const DOWN_MS: (u64, u64) = (0, 100);
/// How long the clients may take to make progress again after a restart.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(30);
/// A progress line every this many cycles (soak runs are long).
const PROGRESS_EVERY_CYCLES: u32 = 100;

type Shared = Arc<Mutex<Ledger>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_cycles_lose_no_acknowledged_record_and_commits_never_go_back() {
    let seed = seed_from_env();
    let cycles = cycles_from_env();
    println!("crash harness: {cycles} cycles, seed {seed} (replay with RUSTLOG_CRASH_SEED={seed})");
    let started = Instant::now();
    let dir = KeepOnFailure(Some(tempfile::tempdir().unwrap()));
    let listen = format!("127.0.0.1:{}", free_port());
    let args = [
        "--listen",
        &listen,
        "--metrics-listen",
        "off",
        "--kafka-listen",
        "off",
    ];
    let mut broker = BrokerProcess::start(&dir.path().join("data"), &args);
    let mut slowest_restart = Duration::ZERO;
    broker
        .client()
        .create_topic(TOPIC, PARTITIONS, &[("segment.bytes", SEGMENT_BYTES)]);
    let client = client(&listen).await;

    let ledger: Shared = Arc::default();
    let acks = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for producer in 0..PRODUCERS {
        let work = produce(
            &client,
            producer,
            ledger.clone(),
            acks.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(work));
    }
    let consumer = client.consumer(consumer_config()).unwrap();
    tasks.push(tokio::spawn(consume(
        consumer,
        ledger.clone(),
        stop.clone(),
    )));

    let mut rng = Rng::new(seed);
    let mut from = vec![0u64; PARTITIONS as usize];
    let mut total = Verified::default();
    for cycle in 0..cycles {
        wait_for_progress(&acks, cycle).await;
        tokio::time::sleep(rng.duration_ms(RUN_MS.0, RUN_MS.1)).await;
        tokio::task::block_in_place(|| broker.kill9());
        // Nothing can be acknowledged after the kill: these are the acks the broker gave.
        let (acked, commits) = {
            let ledger = ledger.lock();
            (ledger.acked_from(&from), ledger.commits.clone())
        };
        tokio::time::sleep(rng.duration_ms(DOWN_MS.0, DOWN_MS.1)).await;
        let (verified, violations) = tokio::task::block_in_place(|| {
            let restart_started = Instant::now();
            broker.restart();
            slowest_restart = slowest_restart.max(restart_started.elapsed());
            verify(&broker, &from, &acked, &commits)
        });
        assert_clean(seed, cycle, &violations, &broker);
        add(&mut total, verified);
        // The next cycle checks from the end of what was acknowledged before this kill.
        from = next_from(&acked, &from);
        if (cycle + 1) % PROGRESS_EVERY_CYCLES == 0 {
            println!(
                "crash harness: cycle {} of {cycles} after {:.1} s, {} acknowledged records \
                 verified, slowest restart {:.2} s",
                cycle + 1,
                started.elapsed().as_secs_f64(),
                total.acked_verified,
                slowest_restart.as_secs_f64()
            );
        }
    }

    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    let end = ledger.lock().clone();
    let all = end.acked_from(&[0; PARTITIONS as usize]);
    let (last, violations) = tokio::task::block_in_place(|| {
        verify(&broker, &[0; PARTITIONS as usize], &all, &end.commits)
    });
    assert_clean(seed, cycles, &violations, &broker);
    assert_clean(seed, cycles, &end.client_violations, &broker);
    println!(
        "crash harness: {cycles} cycles in {:.1} s, seed {seed}: {} records acknowledged \
         ({} verified at their offset in the final pass, {} verified across the cycles), {} \
         failed produces ({} of them stored once), {} records consumed, commits {:?}, slowest \
         restart {:.2} s",
        started.elapsed().as_secs_f64(),
        end.acked.len(),
        last.acked_verified,
        total.acked_verified,
        end.failed,
        last.unacked_present,
        end.consumed,
        end.commits,
        slowest_restart.as_secs_f64(),
    );
    assert_eq!(last.acked_verified, end.acked.len() as u64);
    assert!(
        total.acked_verified > 0 || cycles == 0,
        "no cycle verified anything"
    );
}

/// The temp dir, kept (and its path printed) when the run fails, for the post-mortem.
struct KeepOnFailure(Option<tempfile::TempDir>);

impl KeepOnFailure {
    fn path(&self) -> &std::path::Path {
        self.0.as_ref().map(tempfile::TempDir::path).unwrap()
    }
}

impl Drop for KeepOnFailure {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take().filter(|_| std::thread::panicking()) {
            eprintln!(
                "crash harness failed: data dir and broker logs kept in {}",
                dir.keep().display()
            );
        }
    }
}

fn consumer_config() -> ConsumerConfig {
    ConsumerConfig::new(GROUP)
        .topic(TOPIC)
        .auto_offset_reset(AutoOffsetReset::Earliest)
        .session_timeout_ms(3_000)
        .fetch_max_wait_ms(50)
}

fn producer_config() -> ProducerConfig {
    ProducerConfig::default()
        .acks(Acks::Durable)
        .idempotence(true)
        .linger_ms(1)
        .batch_bytes(4_096)
        .retry_backoff_ms(20)
        // Long enough for a batch in flight at a kill to be retried after the restart.
        .delivery_timeout_ms(60_000)
}

/// One producer: windows of records, each window's acknowledgements awaited before the next.
fn produce(
    client: &Client,
    producer: u32,
    ledger: Shared,
    acks: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> impl std::future::Future<Output = ()> {
    let producer_handle = client.producer(producer_config()).unwrap();
    async move {
        let mut seq = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let mut window = Vec::new();
            for _ in 0..SEND_WINDOW {
                let id = RecordId { producer, seq };
                seq += 1;
                let record = Record::new(TOPIC)
                    .key(record_key(id))
                    .value(record_value(id));
                match producer_handle.send(record).await {
                    Ok(handle) => window.push((id, handle)),
                    Err(_) => ledger.lock().failed += 1,
                }
            }
            for (id, handle) in window {
                let result = handle.await;
                let mut ledger = ledger.lock();
                match result {
                    Ok(meta) => {
                        let placed = Placed {
                            partition: meta.partition,
                            offset: meta.offset,
                        };
                        ledger.acked.insert(id, placed);
                        acks.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => ledger.failed += 1,
                }
            }
        }
        let _ = producer_handle.close(Duration::from_secs(30)).await;
    }
}

/// The group member: polls, checks each record's bytes, commits what it consumed, and notes
/// each acknowledged commit.
async fn consume(consumer: Consumer, ledger: Shared, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(batch) = consumer.poll_batch(500, Duration::from_millis(100)).await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let mut next: BTreeMap<u32, u64> = BTreeMap::new();
        {
            let mut ledger = ledger.lock();
            ledger.consumed += batch.len() as u64;
            for m in &batch {
                if parse_record(m.value.as_deref().unwrap_or_default()).is_none() {
                    let problem = format!("consumed {}/{} has wrong bytes", m.partition, m.offset);
                    ledger.client_violations.push(problem);
                }
                next.insert(m.partition, m.offset + 1);
            }
        }
        let offsets: Vec<(TopicPartition, u64)> = next
            .iter()
            .map(|(partition, offset)| {
                let tp = TopicPartition {
                    topic: TOPIC.into(),
                    partition: *partition,
                };
                (tp, *offset)
            })
            .collect();
        if consumer.commit_offsets(&offsets).await.is_ok() {
            let mut ledger = ledger.lock();
            for (partition, offset) in next {
                ledger.commit_acked(partition, offset);
            }
        }
    }
    let _ = consumer.close().await;
}

/// Waits until the producers got at least one acknowledgement after the last restart.
async fn wait_for_progress(acks: &AtomicU64, cycle: u32) {
    let at_start = acks.load(Ordering::Relaxed);
    let deadline = Instant::now() + RECOVERY_TIMEOUT;
    while acks.load(Ordering::Relaxed) == at_start {
        assert!(
            Instant::now() < deadline,
            "cycle {cycle}: no produce acknowledged within {RECOVERY_TIMEOUT:?} of the restart"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The independent check of the log (from `from` per partition) and of the commits.
fn verify(
    broker: &BrokerProcess,
    from: &[u64],
    acked: &[(RecordId, Placed)],
    commits: &BTreeMap<u32, u64>,
) -> (Verified, Vec<String>) {
    let mut verifier = Verifier::connect(broker.addr(), TOPIC);
    let (verified, mut violations) = verifier.check(from, acked);
    violations.extend(verifier.check_commits(GROUP, PARTITIONS, commits));
    (verified, violations)
}

/// Per partition, the offset after the last record verified (the end of what was acknowledged
/// before this kill); later passes start there, the final pass reads everything again.
fn next_from(verified: &[(RecordId, Placed)], from: &[u64]) -> Vec<u64> {
    let mut next = from.to_vec();
    for (_, placed) in verified {
        let slot = &mut next[placed.partition as usize];
        *slot = (*slot).max(placed.offset + 1);
    }
    next
}

fn add(total: &mut Verified, more: Verified) {
    total.records_read += more.records_read;
    total.acked_verified += more.acked_verified;
    total.unacked_present += more.unacked_present;
}

fn assert_clean(seed: u64, cycle: u32, violations: &[String], broker: &BrokerProcess) {
    assert!(
        violations.is_empty(),
        "seed {seed}, cycle {cycle}: {} violations:\n{}\nbroker log {}",
        violations.len(),
        violations.join("\n"),
        broker.log_path().display()
    );
}
