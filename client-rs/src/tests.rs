//! Producer and partition-consumer scenarios against the in-memory mock broker
//! ([`crate::mock_broker`]): batching, ordering under injected retriable failures and
//! disconnects, non-retriable failures, flush/close, reading back what was written, idempotent
//! sequences (stamped, advanced, kept on retry, restarted after an epoch bump) and compression
//! round trips per codec.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::mock_broker::{Fault, MockBroker};
use crate::{
    Acks, Client, ClientBuilder, Compression, ErrorCode, Producer, ProducerConfig, Record, Result,
    StartOffset,
};
use rustlog_protocol::{ProducerStamp, RecordBatchView};
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
    assert!(mock.state.lock().faults.is_empty(), "all faults hit");
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

/// The code of a send that must fail at once.
async fn refused(producer: &Producer, record: Record) -> ErrorCode {
    producer.send(record).await.unwrap_err().kind()
}

#[tokio::test]
async fn unknown_topics_and_bad_partitions_fail_before_anything_is_queued() {
    let mock = MockBroker::start(&[("t", 2)]).await;
    let client = client(&mock).await;
    let producer = client.producer(ProducerConfig::default()).unwrap();
    assert_eq!(
        refused(&producer, Record::new("nope").value("x")).await,
        ErrorCode::TopicNotFound
    );
    assert_eq!(
        refused(&producer, Record::new("t").partition(2).value("x")).await,
        ErrorCode::PartitionNotFound
    );
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

/// After a good send the topic is the producer's hot one, whose sends skip the name check and
/// the partition lookup: each bad record must still fail at once, and none may be queued.
#[tokio::test]
async fn bad_records_after_a_good_send_to_the_same_topic_fail_and_nothing_of_them_is_sent() {
    let mock = MockBroker::start(&[("t", 2)]).await;
    let client = client(&mock).await;
    let producer = client.producer(ProducerConfig::default()).unwrap();
    producer
        .send(Record::new("t").partition(0).value("good"))
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(
        refused(&producer, Record::new("t").partition(2).value("x")).await,
        ErrorCode::PartitionNotFound
    );
    assert_eq!(
        refused(
            &producer,
            Record::new("t").value(vec![0u8; 5 * 1024 * 1024])
        )
        .await,
        ErrorCode::RecordTooLarge
    );
    assert_eq!(
        refused(&producer, Record::new("t/x").value("x")).await,
        ErrorCode::InvalidTopicName
    );
    assert_eq!(
        refused(&producer, Record::new("nope").value("x")).await,
        ErrorCode::TopicNotFound
    );
    // The hot topic moved to nothing: "t" still takes records on both partitions.
    for p in 0..2 {
        producer
            .send(Record::new("t").partition(p).value("after"))
            .await
            .unwrap()
            .await
            .unwrap();
    }
    producer.flush(Duration::from_secs(2)).await.unwrap();
    let stored: Vec<_> = (0..2).flat_map(|p| mock.records("t", p)).collect();
    let values: Vec<_> = stored.iter().map(|r| r.2.clone().unwrap()).collect();
    assert_eq!(
        values,
        [b"good".to_vec(), b"after".to_vec(), b"after".to_vec()]
    );
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
    assert_eq!(
        refused(&producer, Record::new("t").value("y")).await,
        ErrorCode::Closed
    );
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

/// The producer fields of every batch received for a partition, in arrival order.
fn stamps(mock: &MockBroker, topic: &str, partition: u32) -> Vec<ProducerStamp> {
    mock.received(topic, partition)
        .iter()
        .map(|b| RecordBatchView::parse(b).unwrap().header().producer())
        .collect()
}

/// Sends `count` records to partition 0 of `topic` one batch at a time (linger 0, each send
/// awaited), returning their offsets.
async fn send_one_by_one(producer: &Producer, topic: &str, values: &[&str]) -> Vec<Result<u64>> {
    let mut out = Vec::new();
    for v in values {
        let handle = producer
            .send(Record::new(topic).partition(0).value(v.to_string()))
            .await
            .unwrap();
        out.push(handle.await.map(|m| m.offset));
    }
    out
}

#[tokio::test]
async fn idempotent_batches_carry_a_lazily_issued_id_and_sequences_advanced_by_record_count() {
    let mock = MockBroker::start(&[("t", 2)]).await;
    let client = client(&mock).await;
    // A long linger and a flush per round: each round is exactly one batch per partition.
    let producer = client
        .producer(ProducerConfig::default().linger_ms(10_000))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        mock.init_producer_requests(),
        0,
        "no InitProducer before a send"
    );
    for round in 0..3u32 {
        let mut handles = Vec::new();
        // Round r puts r + 1 records in partition 0 and one in partition 1.
        for i in 0..=round {
            handles.push(
                producer
                    .send(Record::new("t").partition(0).value(format!("{i}")))
                    .await
                    .unwrap(),
            );
        }
        handles.push(
            producer
                .send(Record::new("t").partition(1).value("x"))
                .await
                .unwrap(),
        );
        producer.flush(Duration::from_secs(5)).await.unwrap();
        for h in handles {
            h.await.unwrap();
        }
    }
    assert_eq!(mock.init_producer_requests(), 1);
    let p0 = stamps(&mock, "t", 0);
    assert!(p0
        .iter()
        .all(|s| s.producer_id == 1000 && s.producer_epoch == 0));
    let sequences: Vec<i32> = p0.iter().map(|s| s.base_sequence).collect();
    assert_eq!(sequences, vec![0, 1, 3]);
    let p1: Vec<i32> = stamps(&mock, "t", 1)
        .iter()
        .map(|s| s.base_sequence)
        .collect();
    assert_eq!(p1, vec![0, 1, 2], "each partition counts on its own");
}

#[tokio::test]
async fn a_retry_after_a_lost_response_resends_the_same_bytes_and_is_stored_once() {
    let mock = MockBroker::start(&[("t", 1)]).await;
    let client = client(&mock).await;
    let producer = client
        .producer(ProducerConfig::default().linger_ms(0).retry_backoff_ms(5))
        .unwrap();
    send_one_by_one(&producer, "t", &["a"]).await;
    mock.inject(&[Fault::AppendThenDisconnect]);
    let offsets = send_one_by_one(&producer, "t", &["b", "c"]).await;
    let offsets: Vec<u64> = offsets.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        offsets,
        vec![1, 2],
        "the retried batch keeps its original offset"
    );
    let received = mock.received("t", 0);
    assert_eq!(received.len(), 4, "a, b, b again, c");
    assert_eq!(received[1], received[2], "the retry is the same bytes");
    let values: Vec<Vec<u8>> = mock
        .records("t", 0)
        .into_iter()
        .map(|r| r.2.unwrap())
        .collect();
    assert_eq!(values, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
}

#[tokio::test]
async fn without_idempotence_a_lost_response_stores_a_duplicate() {
    let mock = MockBroker::start(&[("t", 1)]).await;
    let client = client(&mock).await;
    let producer = client
        .producer(
            ProducerConfig::default()
                .linger_ms(0)
                .retry_backoff_ms(5)
                .idempotence(false),
        )
        .unwrap();
    mock.inject(&[Fault::AppendThenDisconnect]);
    let offsets = send_one_by_one(&producer, "t", &["a"]).await;
    assert_eq!(
        offsets[0].as_ref().unwrap(),
        &1,
        "the retry was stored again"
    );
    assert_eq!(mock.records("t", 0).len(), 2);
    assert_eq!(mock.init_producer_requests(), 0);
    assert!(stamps(&mock, "t", 0)
        .iter()
        .all(|s| *s == ProducerStamp::NONE));
}

#[tokio::test]
async fn acks_none_turns_idempotence_off() {
    let mock = MockBroker::start(&[("t", 1)]).await;
    let client = client(&mock).await;
    let producer = client
        .producer(ProducerConfig::default().linger_ms(0).acks(Acks::None))
        .unwrap();
    assert!(!producer.config().uses_idempotence());
    send_one_by_one(&producer, "t", &["a"]).await;
    producer.flush(Duration::from_secs(2)).await.unwrap();
    assert_eq!(mock.init_producer_requests(), 0);
    assert!(stamps(&mock, "t", 0)
        .iter()
        .all(|s| *s == ProducerStamp::NONE));
}

#[tokio::test]
async fn a_sequence_error_fails_its_batch_bumps_the_epoch_and_restarts_sequences() {
    let mock = MockBroker::start(&[("t", 1)]).await;
    let client = client(&mock).await;
    let producer = client
        .producer(ProducerConfig::default().linger_ms(0))
        .unwrap();
    send_one_by_one(&producer, "t", &["a", "b"]).await;
    for code in [
        ErrorCode::OutOfOrderSequenceNumber,
        ErrorCode::UnknownProducerId,
        ErrorCode::InvalidProducerEpoch,
    ] {
        mock.inject(&[Fault::Code(code)]);
        let results = send_one_by_one(&producer, "t", &["lost", "after"]).await;
        assert_eq!(results[0].as_ref().unwrap_err().kind(), code, "not retried");
        assert!(results[1].is_ok(), "{code:?}: {:?}", results[1]);
    }
    let got: Vec<(i16, i32)> = stamps(&mock, "t", 0)
        .iter()
        .map(|s| (s.producer_epoch, s.base_sequence))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, 0),
            (0, 1),
            (0, 2),
            (1, 0),
            (1, 1),
            (2, 0),
            (2, 1),
            (3, 0)
        ]
    );
    assert_eq!(mock.init_producer_requests(), 4);
    let values: Vec<Vec<u8>> = mock
        .records("t", 0)
        .into_iter()
        .map(|r| r.2.unwrap())
        .collect();
    assert_eq!(values.len(), 5, "a, b and three 'after'");
}

#[tokio::test]
async fn every_codec_round_trips_with_null_and_repeated_headers() {
    let mock = MockBroker::start(&[("t", 1)]).await;
    let client = client(&mock).await;
    let mut offset = 0;
    for codec in Compression::ALL {
        let producer = client
            .producer(ProducerConfig::default().linger_ms(50).compression(*codec))
            .unwrap();
        let mut sent = Vec::new();
        for i in 0..50u32 {
            let record = Record::new("t")
                .partition(0)
                .key(format!("key-{i}"))
                .value(format!(
                    "{{\"event\":\"click\",\"n\":{i},\"codec\":\"{codec}\"}}"
                ))
                .header("trace", "abc")
                .header_null("absent")
                .header("trace", "");
            sent.push(record.clone());
            producer.send(record).await.unwrap();
        }
        producer.flush(Duration::from_secs(5)).await.unwrap();
        let batch = mock.batches("t", 0).pop().unwrap();
        let header = *RecordBatchView::parse(&batch).unwrap().header();
        assert_eq!(header.compression().unwrap(), *codec);
        let consumer = client
            .partition_consumer("t", 0, StartOffset::Offset(offset))
            .unwrap();
        let got = consumer
            .poll_batch(100, Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(got.len(), sent.len(), "{codec}");
        for (m, r) in got.iter().zip(&sent) {
            assert_eq!(
                (&m.key, &m.value, &m.headers),
                (&r.key, &r.value, &r.headers),
                "{codec}"
            );
        }
        assert_eq!(got[0].header("absent"), Some(None));
        assert_eq!(got[0].header("missing"), None);
        assert_eq!(got[0].header_values("trace").count(), 2);
        offset += sent.len() as u64;
    }
}

#[tokio::test]
async fn a_bad_compression_level_fails_when_the_producer_is_created() {
    let mock = MockBroker::start(&[("t", 1)]).await;
    let client = client(&mock).await;
    for (codec, level) in [
        (Compression::Gzip, 10),
        (Compression::Lz4, 1),
        (Compression::Zstd, 23),
    ] {
        let err = client
            .producer(
                ProducerConfig::default()
                    .compression(codec)
                    .compression_level(Some(level)),
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorCode::InvalidArgument, "{codec} {level}");
        assert!(err.to_string().contains(codec.name()), "{err}");
    }
    assert_eq!(mock.produce_requests(), 0);
}

#[tokio::test]
async fn a_broker_refusing_producer_ids_fails_idempotent_sends_with_a_hint() {
    let mock = MockBroker::start(&[("t", 1)]).await;
    mock.state.lock().refuse_init_producer = Some(ErrorCode::UnknownApiKey);
    let client = client(&mock).await;
    let producer = client
        .producer(ProducerConfig::default().linger_ms(0))
        .unwrap();
    let err = send_one_by_one(&producer, "t", &["a"])
        .await
        .remove(0)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::UnknownApiKey);
    assert!(err.message().contains("idempotence=false"), "{err}");
    assert_eq!(mock.produce_requests(), 0, "nothing was sent without an id");
    let plain = client
        .producer(ProducerConfig::default().linger_ms(0).idempotence(false))
        .unwrap();
    assert_eq!(
        send_one_by_one(&plain, "t", &["b"]).await[0]
            .as_ref()
            .unwrap(),
        &0
    );
}

#[tokio::test]
async fn a_connection_refused_at_the_cap_is_retried_with_backoff() {
    let mock = MockBroker::start(&[("orders", 1)]).await;
    mock.refuse_connections(3);
    let client = client(&mock).await;
    client.api_versions().await.unwrap();
    assert_eq!(mock.refused_connections(), 3);
}

#[tokio::test]
async fn a_broker_that_keeps_refusing_reports_too_many_connections() {
    let mock = MockBroker::start(&[("orders", 1)]).await;
    mock.refuse_connections(usize::MAX);
    let err = ClientBuilder::new(mock.addr.to_string())
        .request_timeout(Duration::from_millis(300))
        .connect_timeout(Duration::from_millis(300))
        .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(20))
        .connect()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorCode::TooManyConnections, "{err}");
    assert!(err.is_retriable());
    assert!(err.to_string().contains("mock at its cap"), "{err}");
    assert!(mock.refused_connections() > 1, "not retried");
}
