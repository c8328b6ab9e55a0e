//! A real broker on a small tmpfs runs out of disk: produces get the retriable DiskFull (native)
//! and KAFKA_STORAGE_ERROR (Kafka, retriable there too) while fetches keep working; deleting
//! another topic frees space and produces resume without a restart (the Rust producer retrying
//! through it delivers); every acknowledged record is readable; SIGTERM exits 0, even while the
//! disk is still full (saying what it could not write), and a restart on the full disk serves
//! everything.
//!
//! Mounting a tmpfs needs root (CAP_SYS_ADMIN): where that is not allowed the test prints why
//! and skips. The mount is undone even when the test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;
mod kafka_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::produce_request::{
    PartitionProduceData, ProduceRequest as KafkaProduceRequest, TopicProduceData,
};
use kafka_protocol::messages::produce_response::ProduceResponse as KafkaProduceResponse;
use kafka_protocol::messages::ApiKey as KafkaApiKey;
use kafka_protocol::ResponseError;
use kafka_support::admin::name;
use kafka_support::KafkaRaw;
use rustlog::{ProducerConfig, Record};
use rustlog_protocol::messages::delete_topic::DeleteTopicRequest;
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::ErrorCode;
use rustlog_tests::{
    batch_of, http_get, idempotent_batch_of, metric_value, BrokerProcess, RawClient,
};

/// Size of the tmpfs the data directory lives on.
const TMPFS_SIZE: &str = "8m";
/// Bytes of each produced value (one record per produce).
const VALUE_BYTES: usize = 16 * 1024;
/// Value sizes the disk is filled with, each until DiskFull: the smaller ones use up the slack
/// in the last pages, so afterwards not even a small file (a producer snapshot) fits.
const FILL_VALUE_BYTES: [usize; 3] = [VALUE_BYTES, 1024, 64];
/// Values produced to the topic that is deleted to free space (~3 MiB).
const FILLER_VALUES: usize = 192;
/// More produces than can ever fit in the tmpfs.
const PRODUCES_MAX: usize = 2_000;

/// A tmpfs mounted for the test; unmounted on drop (after the broker, declared later, died).
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    fn mount(path: &Path) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(path).map_err(|e| e.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={TMPFS_SIZE}"), "tmpfs"])
            .arg(path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
        }
        Ok(Tmpfs {
            path: path.to_path_buf(),
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: a straggler holding a file must not leave the mount behind.
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn value(tag: &str, i: usize) -> Vec<u8> {
    sized_value(tag, i, VALUE_BYTES)
}

fn sized_value(tag: &str, i: usize, bytes: usize) -> Vec<u8> {
    let mut v = format!("{tag}-{i}-").into_bytes();
    v.resize(bytes.max(v.len()), b'.');
    v
}

/// One durable produce of `value`: Ok(offset) or the partition's error.
fn produce(client: &mut RawClient, topic: &str, value: &[u8]) -> Result<u64, (ErrorCode, String)> {
    let p = client.produce_batch(topic, 0, Acks::Durable, &batch_of(&[value]));
    match p.error_code {
        ErrorCode::None => Ok(p.base_offset),
        code => Err((code, p.error_message)),
    }
}

fn disk_full_gauge(broker: &BrokerProcess) -> f64 {
    let (status, text) = http_get(broker.metrics_addr().unwrap(), "/metrics").unwrap();
    assert_eq!(status, 200);
    metric_value(&text, "rustlog_partitions_disk_full").expect("the disk-full gauge")
}

fn kafka_produce_code(kafka: &str, topic: &str) -> i16 {
    let mut client = KafkaRaw::connect(kafka);
    let request = KafkaProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(name(topic))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(Bytes::from(batch_of(&[&value("kafka", 0)]))))])]);
    let response: KafkaProduceResponse = client.call(KafkaApiKey::Produce, 9, &request);
    response.responses[0].partition_responses[0].error_code
}

/// Mounts the tmpfs at `data`, or says why not (the caller skips).
fn mount_or_skip(data: &Path, test: &str) -> Option<Tmpfs> {
    match Tmpfs::mount(data) {
        Ok(tmpfs) => Some(tmpfs),
        Err(why) => {
            println!("SKIPPED {test}: cannot mount a tmpfs (needs root): {why}");
            None
        }
    }
}

/// Produces `tag` values (durable) of each of [`FILL_VALUE_BYTES`] until the disk is full;
/// returns what was acknowledged and checks each refusal is the retriable DiskFull. `encode`
/// gets the produce's sequence number and the value.
fn fill_until_disk_full(
    client: &mut RawClient,
    topic: &str,
    tag: &str,
    mut encode: impl FnMut(usize, &[u8]) -> Vec<u8>,
) -> Vec<(u64, Vec<u8>)> {
    let mut acked = Vec::new();
    for bytes in FILL_VALUE_BYTES {
        let mut refused = false;
        for _ in 0..PRODUCES_MAX {
            let v = sized_value(tag, acked.len(), bytes);
            let p = client.produce_batch(topic, 0, Acks::Durable, &encode(acked.len(), &v));
            if p.error_code == ErrorCode::None {
                acked.push((p.base_offset, v));
                continue;
            }
            assert_eq!(p.error_code, ErrorCode::DiskFull, "{}", p.error_message);
            assert!(p.error_code.is_retriable());
            let message = &p.error_message;
            assert!(message.contains("no space left"), "{message}");
            refused = true;
            break;
        }
        assert!(
            refused,
            "{PRODUCES_MAX} values of {bytes} bytes fit in {TMPFS_SIZE}"
        );
    }
    acked
}

fn assert_all_readable(client: &mut RawClient, topic: &str, acked: &mut [(u64, Vec<u8>)]) {
    acked.sort();
    let values = client.fetch_all_values(topic, 0, 0);
    assert_eq!(values.len(), acked.len(), "no hole, no reused offset");
    for (offset, v) in acked.iter() {
        assert_eq!(
            &values[*offset as usize], v,
            "acknowledged record at {offset}"
        );
    }
}

#[test]
fn a_full_disk_recovers_without_a_restart_once_another_topic_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Declared before the broker: dropped after it, so the mount goes once the broker is dead.
    let Some(_tmpfs) = mount_or_skip(&data, "a_full_disk_recovers_without_a_restart") else {
        return;
    };
    let mut broker = BrokerProcess::start(&data, &[]);
    let mut client = broker.client();
    client.create_topic("filler", 1, &[]);
    client.create_topic("main", 1, &[("segment.bytes", "1048576")]);
    for i in 0..FILLER_VALUES {
        produce(&mut client, "filler", &value("filler", i)).unwrap();
    }
    // The Rust producer gets its producer id while there is room for the allocator's file.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (rust_client, producer, first) = runtime.block_on(async {
        let rust_client = client_support::client(&broker.addr().to_string()).await;
        let config = ProducerConfig::default()
            .linger_ms(0)
            .delivery_timeout_ms(60_000);
        let producer = rust_client.producer(config).unwrap();
        let record = Record::new("main").partition(0).value(value("rust", 0));
        let first = producer.send(record).await.unwrap().await.unwrap();
        (rust_client, producer, first)
    });
    let mut acked = vec![(first.offset, value("rust", 0))];
    acked.extend(fill_until_disk_full(&mut client, "main", "main", |_, v| {
        batch_of(&[v])
    }));
    assert_eq!(
        produce(&mut client, "main", &value("again", 0))
            .unwrap_err()
            .0,
        ErrorCode::DiskFull
    );
    let kafka = broker.kafka_addr().unwrap().to_string();
    assert_eq!(
        kafka_produce_code(&kafka, "main"),
        ResponseError::KafkaStorageError.code()
    );
    assert!(ResponseError::KafkaStorageError.is_retriable());
    assert_eq!(disk_full_gauge(&broker), 1.0);
    let values = client.fetch_all_values("main", 0, 0);
    assert_eq!(
        values.len(),
        acked.len(),
        "reads keep working on a full disk"
    );

    // The Rust producer retries DiskFull with backoff, within its delivery timeout.
    let pending = runtime.block_on(async {
        let record = Record::new("main").partition(0).value(value("rust", 1));
        producer.send(record).await.unwrap()
    });
    std::thread::sleep(Duration::from_millis(500));
    client.call_ok(DeleteTopicRequest {
        name: "filler".to_string(),
    });
    let delivered = runtime
        .block_on(pending.wait())
        .expect("delivered once space was back");
    acked.push((delivered.offset, value("rust", 1)));

    // Resumed without a restart, at the next offsets.
    for i in 0..10 {
        let v = value("after", i);
        let offset = produce(&mut client, "main", &v).expect("produce resumes");
        acked.push((offset, v));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while disk_full_gauge(&broker) != 0.0 {
        assert!(
            Instant::now() < deadline,
            "the disk-full gauge never cleared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_all_readable(&mut client, "main", &mut acked);

    runtime
        .block_on(producer.close(Duration::from_secs(5)))
        .unwrap();
    drop(rust_client);
    drop(runtime);
    let status = broker.terminate();
    let logs = broker.logs();
    assert!(status.success(), "SIGTERM exit {status:?}; logs:\n{logs}");
    assert!(logs.contains("disk full"), "{logs}");
    assert!(logs.contains("disk space is back"), "{logs}");
    assert!(logs.contains("shutdown complete"), "{logs}");
}

#[test]
fn sigterm_on_a_full_disk_exits_zero_and_a_restart_serves_everything() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let Some(_tmpfs) = mount_or_skip(&data, "sigterm_on_a_full_disk_exits_zero") else {
        return;
    };
    let mut broker = BrokerProcess::start(&data, &[]);
    let mut client = broker.client();
    client.create_topic("main", 1, &[("segment.bytes", "1048576")]);
    // An idempotent producer: its state is worth a snapshot at shutdown, which will not fit.
    let (producer_id, epoch) = client.init_producer(-1, -1);
    let mut acked = fill_until_disk_full(&mut client, "main", "idem", |i, v| {
        idempotent_batch_of(producer_id, epoch, i32::try_from(i).unwrap(), &[v])
    });
    assert!(!acked.is_empty());

    let status = broker.terminate();
    let logs = broker.logs();
    assert!(status.success(), "SIGTERM exit {status:?}; logs:\n{logs}");
    assert!(
        logs.contains("shutdown complete: every partition flushed"),
        "{logs}"
    );
    assert!(logs.contains("snapshots_not_written=main/0"), "{logs}");
    assert!(
        logs.contains("main/0"),
        "names what it could not write: {logs}"
    );

    broker.restart();
    let mut client = broker.client();
    assert_all_readable(&mut client, "main", &mut acked);
    // Still full: still refused, still retriable.
    assert_eq!(
        produce(&mut client, "main", &value("again", 0))
            .unwrap_err()
            .0,
        ErrorCode::DiskFull
    );
}
