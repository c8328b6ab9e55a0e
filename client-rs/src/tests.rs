//! Producer and partition-consumer scenarios against the in-memory mock broker
//! ([`crate::mock_broker`]): batching, ordering under injected retriable failures and
//! disconnects, non-retriable failures, flush/close, and reading back what was written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::mock_broker::{Fault, MockBroker};
use crate::{Client, ClientBuilder, ErrorCode, ProducerConfig, Record, StartOffset};
use std::time::Duration;

async fn client(mock: &MockBroker) -> Client {
    ClientBuilder::new(mock.addr.to_string())
        .request_timeout(Duration::from_secs(5))
        .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(50))
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn records_are_batched_and_offsets_follow_send_order() {
    let mock = MockBroker::start(&[("orders", 2)]).await;
    let client = client(&mock).await;
    let producer = client
        .producer(ProducerConfig::default().linger_ms(20))
        .unwrap();
    let mut handles = Vec::new();
    for i in 0..1_000u32 {
        let record = Record::new("orders")
            .partition(i % 2)
            .value(format!("v{i}"));
        handles.push(producer.send(record).await.unwrap());
    }
    producer.flush(Duration::from_secs(5)).await.unwrap();
    let mut next = [0u64; 2];
    for (i, h) in handles.into_iter().enumerate() {
        let meta = h.await.unwrap();
        let p = i % 2;
        assert_eq!(meta.partition as usize, p);
        assert_eq!(meta.offset, next[p]);
        next[p] += 1;
    }
    assert!(
        mock.produce_requests() < 100,
        "1000 records took {} requests: not batched",
        mock.produce_requests()
    );
    let stored = mock.records("orders", 1);
    assert_eq!(stored.len(), 500);
    assert_eq!(stored[3].2.as_deref(), Some(b"v7".as_slice()));
}

#[tokio::test]
async fn ordering_per_partition_survives_retriable_errors_and_disconnects() {
    let mock = MockBroker::start(&[("events", 3)]).await;
    mock.inject(&[
        Fault::Code(ErrorCode::RequestTimedOut),
        Fault::Disconnect,
        Fault::Code(ErrorCode::Throttled),
        Fault::Disconnect,
        Fault::Code(ErrorCode::BrokerShuttingDown),
    ]);
    let client = client(&mock).await;
    let producer = client
        .producer(
            ProducerConfig::default()
                .linger_ms(1)
                .batch_bytes(2_048)
                .retry_backoff_ms(5),
        )
        .unwrap();
    let mut handles = Vec::new();
    for i in 0..3_000u32 {
        let key = format!("key-{}", i % 7);
        let record = Record::new("events")
            .key(key)
            .value(i.to_be_bytes().to_vec());
        handles.push(producer.send(record).await.unwrap());
    }
    producer.flush(Duration::from_secs(10)).await.unwrap();
    for h in &handles {
        h.wait().await.unwrap();
    }
    // Within each partition, values (send sequence numbers) must be strictly increasing.
    let mut total = 0;
    for p in 0..3 {
        let stored = mock.records("events", p);
        total += stored.len();
        let seq: Vec<u32> = stored
            .iter()
            .map(|(_, _, v)| u32::from_be_bytes(v.as_deref().unwrap().try_into().unwrap()))
            .collect();
        assert!(
            seq.windows(2).all(|w| w[0] < w[1]),
            "partition {p} out of order"
        );
    }
    assert_eq!(total, 3_000, "every record stored exactly once");
    assert!(
        mock.state.lock().unwrap().faults.is_empty(),
        "all faults hit"
    );
}

#[tokio::test]
async fn a_non_retriable_error_fails_the_batch_and_later_records_still_go_through() {
    let mock = MockBroker::start(&[("t", 1)]).await;
    mock.inject(&[Fault::Code(ErrorCode::StorageError)]);
    let client = client(&mock).await;
    let producer = client
        .producer(ProducerConfig::default().linger_ms(0))
        .unwrap();
    let first = producer.send(Record::new("t").value("a")).await.unwrap();
    let err = first.await.unwrap_err();
    assert_eq!(err.kind(), ErrorCode::StorageError);
    assert!(!err.is_retriable());
    assert!(err.message().contains("injected"));
    let second = producer.send(Record::new("t").value("b")).await.unwrap();
    assert_eq!(second.await.unwrap().offset, 0);
}

#[tokio::test]
async fn unknown_topics_and_bad_partitions_fail_before_anything_is_queued() {
    let mock = MockBroker::start(&[("t", 2)]).await;
    let client = client(&mock).await;
    let producer = client.producer(ProducerConfig::default()).unwrap();
    let err = producer
        .send(Record::new("nope").value("x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::TopicNotFound);
    let err = producer
        .send(Record::new("t").partition(2).value("x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::PartitionNotFound);
    let err = producer
        .send_batch(vec![
            Record::new("t").value("ok"),
            Record::new("t").value(vec![0u8; 5 * 1024 * 1024]),
        ])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::RecordTooLarge);
    assert!(err.to_string().contains("record 1"));
    producer.flush(Duration::from_secs(2)).await.unwrap();
    assert_eq!(mock.produce_requests(), 0, "nothing was sent");
}

#[tokio::test]
async fn close_flushes_and_later_sends_fail_with_closed() {
    let mock = MockBroker::start(&[("t", 1)]).await;
    let client = client(&mock).await;
    let producer = client
        .producer(ProducerConfig::default().linger_ms(10_000))
        .unwrap();
    let handle = producer.send(Record::new("t").value("x")).await.unwrap();
    producer.close(Duration::from_secs(5)).await.unwrap();
    assert!(
        handle.try_result().unwrap().is_ok(),
        "close delivered the lingering batch"
    );
    let err = producer
        .send(Record::new("t").value("y"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::Closed);
}

#[tokio::test]
async fn a_partition_consumer_reads_back_keys_headers_and_nulls_from_an_offset() {
    let mock = MockBroker::start(&[("t", 1)]).await;
    let client = client(&mock).await;
    let producer = client
        .producer(ProducerConfig::default().linger_ms(50))
        .unwrap();
    let mut handles = Vec::new();
    for i in 0..10u32 {
        let mut record = Record::new("t")
            .key(format!("k{i}"))
            .header("n", i.to_string());
        if i != 4 {
            record = record.value(format!("v{i}"));
        }
        handles.push(producer.send(record).await.unwrap());
    }
    producer.flush(Duration::from_secs(5)).await.unwrap();
    // All ten records share one batch, so fetching from 6 returns a batch starting at 0.
    let consumer = client
        .partition_consumer("t", 0, StartOffset::Offset(3))
        .unwrap();
    let got = consumer
        .poll_batch(100, Duration::from_secs(2))
        .await
        .unwrap();
    let offsets: Vec<u64> = got.iter().map(|m| m.offset).collect();
    assert_eq!(offsets, (3..10).collect::<Vec<_>>());
    assert_eq!(got[1].value, None, "null value of record 4");
    assert_eq!(got[0].key_str(), Some("k3"));
    assert_eq!(got[0].header("n").unwrap().unwrap().as_ref(), b"3");
    assert_eq!(consumer.position().await, Some(10));
    // Nothing new: an empty poll after the wait.
    let none = consumer.poll(Duration::from_millis(50)).await.unwrap();
    assert!(none.is_none());
    consumer.seek(8).await;
    assert_eq!(
        consumer
            .poll(Duration::from_secs(1))
            .await
            .unwrap()
            .unwrap()
            .offset,
        8
    );
}
