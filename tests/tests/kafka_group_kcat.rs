//! Balanced consumers of librdkafka (`kcat -G`) against the broker: two consumers split the
//! partitions, the survivor of a kill -9 takes them all, and committed offsets survive a
//! kill -9 of the broker so a new consumer resumes after them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kafka_support;

use kafka_support::groups::{wait_until, KcatConsumer};
use kafka_support::{kafka_broker, KafkaRaw};
use rustlog_protocol::messages::produce::Acks;
use rustlog_tests::RawClient;
use std::collections::BTreeSet;

const PARTITIONS: u32 = 4;

/// Produces `values` round-robin over the partitions of "t".
fn produce(client: &mut RawClient, values: &[String]) {
    for (i, value) in values.iter().enumerate() {
        let partition = u32::try_from(i).unwrap() % PARTITIONS;
        client.produce("t", partition, Acks::Durable, &[value.as_bytes()]);
    }
}

fn values(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("v{i}")).collect()
}

fn seen(consumers: &[&KcatConsumer]) -> BTreeSet<String> {
    consumers
        .iter()
        .flat_map(|c| c.records().into_iter().map(|(_, _, value)| value))
        .collect()
}

#[test]
fn two_kcat_consumers_split_the_partitions_and_the_survivor_takes_all() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, kafka) = kafka_broker(&dir, &[]);
    let mut native = broker.client();
    native.create_topic("t", PARTITIONS, &[]);
    produce(&mut native, &values(0..40));
    let first = KcatConsumer::start(&kafka, "split", "t");
    wait_until("the first consumer owns every partition", || {
        first.assigned() == Some(vec![0, 1, 2, 3])
    });
    let mut second = KcatConsumer::start(&kafka, "split", "t");
    wait_until("the two consumers split the partitions", || {
        match (first.assigned(), second.assigned()) {
            (Some(a), Some(b)) => {
                let all: BTreeSet<u32> = a.iter().chain(&b).copied().collect();
                a.len() == 2 && b.len() == 2 && all.len() == 4
            }
            _ => false,
        }
    });
    second.kill9();
    // The broker expires the killed member's session and rebalances the survivor.
    wait_until("the survivor owns every partition again", || {
        first.assigned() == Some(vec![0, 1, 2, 3])
    });
    produce(&mut native, &values(40..48));
    let expected: BTreeSet<String> = values(0..48).into_iter().collect();
    wait_until("every record was consumed", || {
        seen(&[&first, &second]) == expected
    });
    assert!(
        first.stderr().contains("rebalanced"),
        "kcat logs its rebalances: {}",
        first.stderr()
    );
}

#[test]
fn committed_offsets_survive_a_broker_kill_9_and_kcat_resumes_after_them() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, kafka) = kafka_broker(&dir, &[]);
    let mut native = broker.client();
    native.create_topic("t", PARTITIONS, &[]);
    produce(&mut native, &values(0..20));
    let mut consumer = KcatConsumer::start(&kafka, "resume", "t");
    let first_batch: BTreeSet<String> = values(0..20).into_iter().collect();
    wait_until("the first 20 records were consumed", || {
        seen(&[&consumer]) == first_batch
    });
    let mut raw = KafkaRaw::connect(&kafka);
    wait_until("kcat committed the end of every partition", || {
        (0..4).all(|p| raw.committed("resume", "t", p) == 5)
    });
    consumer.kill9();
    broker.kill9();
    broker.restart();
    let kafka = broker.kafka_addr().unwrap().to_string();
    let mut raw = KafkaRaw::connect(&kafka);
    for partition in 0..4 {
        assert_eq!(
            raw.committed("resume", "t", partition),
            5,
            "partition {partition}"
        );
    }
    let mut native = broker.client();
    produce(&mut native, &values(20..28));
    let resumed = KcatConsumer::start(&kafka, "resume", "t");
    let second_batch: BTreeSet<String> = values(20..28).into_iter().collect();
    wait_until("the resumed consumer read the new records", || {
        seen(&[&resumed]) == second_batch
    });
    assert!(
        resumed.records().iter().all(|(_, offset, _)| *offset >= 5),
        "nothing before the committed offsets is read again: {:?}",
        resumed.records()
    );
}
