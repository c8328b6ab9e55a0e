//! Idempotent produce through a lost response: a proxy between the Rust client and a real
//! broker swallows the first Produce response and closes the connection, so the client
//! reconnects and sends the same batch again. With idempotence (the default) the topic then
//! holds each record exactly once at the offsets the client was told; with idempotence off the
//! very same scenario stores the batch twice, which shows the first test can fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use client_support::proxy::LossyProxy;
use client_support::{client, read_partition};
use rustlog::{Client, ProducerConfig, Record};
use rustlog_protocol::ApiKey;
use rustlog_tests::BrokerProcess;
use std::time::Duration;

/// Records in the batch whose response is lost.
const FIRST_BATCH: usize = 20;
/// Records sent after it, to see that later sequences still line up.
const LATER: usize = 5;

/// What the scenario saw: acknowledged offsets in send order, and every stored value.
struct Outcome {
    acked: Vec<u64>,
    stored: Vec<(u64, String)>,
}

/// Sends one batch of `FIRST_BATCH` records through a proxy that loses its response, then
/// `LATER` records one by one, and reads the partition back directly from the broker.
async fn lose_the_first_produce_response(idempotence: bool) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let direct = client(&broker.addr().to_string()).await;
    direct
        .admin()
        .create_topic("idem", 1, Default::default())
        .await
        .unwrap();
    let proxy = LossyProxy::start(broker.addr()).await;
    proxy.drop_responses(ApiKey::Produce, 1);
    let through_proxy = client(&proxy.addr()).await;
    let acked = produce(&through_proxy, idempotence).await;
    assert_eq!(proxy.dropped(), 1, "the first Produce response was lost");
    assert!(proxy.connections() >= 2, "the client reconnected");
    assert!(
        proxy.requests(ApiKey::Produce) >= 1 + 1 + LATER,
        "the lost batch was sent again"
    );
    let stored = read_partition(&direct, "idem", 0)
        .await
        .iter()
        .map(|m| (m.offset, m.value_str().unwrap().to_string()))
        .collect();
    Outcome { acked, stored }
}

/// The first batch (all records queued before it is sent), then `LATER` single-record batches.
/// The linger is long and each batch is sent by a flush, so batch boundaries do not depend on
/// timing.
async fn produce(client: &Client, idempotence: bool) -> Vec<u64> {
    let producer = client
        .producer(
            ProducerConfig::default()
                .linger_ms(10_000)
                .retry_backoff_ms(10)
                .idempotence(idempotence),
        )
        .unwrap();
    let mut handles = Vec::new();
    for i in 0..FIRST_BATCH {
        let record = Record::new("idem").partition(0).value(format!("first-{i}"));
        handles.push(producer.send(record).await.unwrap());
    }
    producer.flush(Duration::from_secs(20)).await.unwrap();
    let mut acked = Vec::new();
    for handle in handles {
        acked.push(handle.await.unwrap().offset);
    }
    for i in 0..LATER {
        let record = Record::new("idem").partition(0).value(format!("later-{i}"));
        let handle = producer.send(record).await.unwrap();
        producer.flush(Duration::from_secs(10)).await.unwrap();
        acked.push(handle.await.unwrap().offset);
    }
    producer.close(Duration::from_secs(10)).await.unwrap();
    acked
}

fn sent_values() -> Vec<String> {
    (0..FIRST_BATCH)
        .map(|i| format!("first-{i}"))
        .chain((0..LATER).map(|i| format!("later-{i}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_retried_after_a_lost_response_is_stored_once_at_the_acknowledged_offsets() {
    let outcome = lose_the_first_produce_response(true).await;
    let values: Vec<String> = outcome.stored.iter().map(|(_, v)| v.clone()).collect();
    assert_eq!(values, sent_values(), "each record exactly once, in order");
    let stored_offsets: Vec<u64> = outcome.stored.iter().map(|(o, _)| *o).collect();
    assert_eq!(outcome.acked, stored_offsets, "offsets as acknowledged");
    assert_eq!(
        outcome.acked,
        (0..(FIRST_BATCH + LATER) as u64).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_idempotence_the_same_loss_stores_the_batch_twice() {
    let outcome = lose_the_first_produce_response(false).await;
    assert_eq!(
        outcome.stored.len(),
        2 * FIRST_BATCH + LATER,
        "the retried batch is stored again"
    );
    let values: Vec<&str> = outcome.stored.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(values[0], "first-0");
    assert_eq!(
        values[FIRST_BATCH], "first-0",
        "the duplicate follows the original"
    );
    assert_eq!(
        outcome.acked[0], FIRST_BATCH as u64,
        "acknowledged at the duplicate"
    );
}
