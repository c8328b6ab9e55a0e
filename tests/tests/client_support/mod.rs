//! Helpers shared by the `client_*` and `cli_*` scenario files: a broker process on a *fixed*
//! port (so a restarted broker is found at the same address by a client that reconnects), the
//! `rustlog` CLI binary, small async helpers, and [`proxy::LossyProxy`], a TCP proxy that
//! loses responses on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

pub mod proxy;

use rustlog::{
    Client, ClientBuilder, Message, PartitionConsumer, ProducerConfig, Record, StartOffset,
    TopicPartition,
};
use rustlog_tests::{broker_binary, workspace_root, BROKER_START_TIMEOUT, LISTENING_PREFIX};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// A broker process that listens on the same port across restarts. SIGKILLed on drop.
#[derive(Debug)]
pub struct FixedPortBroker {
    child: Option<Child>,
    port: u16,
    data_dir: PathBuf,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl FixedPortBroker {
    /// Starts a broker on a free port with `data_dir`.
    pub fn start(data_dir: &Path) -> FixedPortBroker {
        let mut broker = FixedPortBroker {
            child: None,
            port: free_port(),
            data_dir: data_dir.to_path_buf(),
        };
        broker.spawn();
        broker
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(self.data_dir.with_extension(format!("{}.log", self.port)))
            .unwrap();
        let mut child = Command::new(broker_binary())
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--listen", &self.addr(), "--metrics-listen", "off"])
            .args(["--kafka-listen", "off"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn rustlog-broker");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with(LISTENING_PREFIX) {
                    let _ = tx.send(());
                }
            }
        });
        if rx.recv_timeout(BROKER_START_TIMEOUT).is_err() {
            let _ = child.kill();
            panic!("broker on port {} did not start", self.port);
        }
        self.child = Some(child);
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// SIGKILL: nothing is flushed or closed gracefully.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port and data dir.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }
}

impl Drop for FixedPortBroker {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Builds the `rustlog` CLI once per test process and returns its path (`RUSTLOG_CLI_BIN`
/// overrides).
pub fn cli_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Ok(path) = std::env::var("RUSTLOG_CLI_BIN") {
            return PathBuf::from(path);
        }
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let target_dir = profile_dir.parent().unwrap().to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace_root())
            .args(["build", "--quiet", "-p", "rustlog", "--bin", "rustlog"])
            .env("CARGO_TARGET_DIR", &target_dir);
        if release {
            cmd.arg("--release");
        }
        assert!(
            cmd.status().unwrap().success(),
            "building the rustlog CLI failed"
        );
        profile_dir.join(format!("rustlog{}", std::env::consts::EXE_SUFFIX))
    })
}

/// A client with short timeouts and fast reconnects, so failure scenarios stay quick.
pub async fn client(addr: &str) -> Client {
    ClientBuilder::new(addr)
        .request_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(10))
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200))
        .connect()
        .await
        .unwrap()
}

/// A fresh broker process in a temp dir, a client of it, and `topic` with `partitions`
/// partitions: the start of most client scenarios. Keep the first two alive for the test.
pub async fn broker_with_topic(
    topic: &str,
    partitions: u32,
) -> (tempfile::TempDir, rustlog_tests::BrokerProcess, Client) {
    let dir = tempfile::tempdir().unwrap();
    let broker = rustlog_tests::BrokerProcess::start(&dir.path().join("data"), &[]);
    let client = client(&broker.addr().to_string()).await;
    client
        .admin()
        .create_topic(topic, partitions, Default::default())
        .await
        .unwrap();
    (dir, broker, client)
}

/// `topic`/`partition` as the client names it.
pub fn tp(topic: &str, partition: u32) -> TopicPartition {
    TopicPartition {
        topic: topic.into(),
        partition,
    }
}

/// Produces `values` (as decimal text) to one partition and waits for every acknowledgement.
pub async fn produce(client: &Client, topic: &str, partition: u32, values: std::ops::Range<u32>) {
    let producer = client.producer(ProducerConfig::default()).unwrap();
    let mut handles = Vec::new();
    for i in values {
        let record = Record::new(topic).partition(partition).value(i.to_string());
        handles.push(producer.send(record).await.unwrap());
    }
    for h in handles {
        h.await.unwrap();
    }
    producer.close(Duration::from_secs(5)).await.unwrap();
}

/// Every message of one partition from the log start to the current end.
pub async fn read_partition(client: &Client, topic: &str, partition: u32) -> Vec<Message> {
    let end = client
        .list_offset(topic, partition, rustlog::OffsetSpec::Latest)
        .await
        .unwrap()
        .unwrap();
    let reader: PartitionConsumer = client
        .partition_consumer(topic, partition, StartOffset::Earliest)
        .unwrap();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while out.last().map_or(0, |m: &Message| m.offset + 1) < end {
        assert!(
            tokio::time::Instant::now() < deadline,
            "reading {topic}/{partition} timed out"
        );
        out.extend(
            reader
                .poll_batch(10_000, Duration::from_millis(500))
                .await
                .unwrap(),
        );
    }
    out
}

/// The `rustlog` CLI aimed at `broker` (through `RUSTLOG_BROKER`), with a 30 s timeout so a
/// hung command fails its test instead of stalling the suite.
pub fn cli(broker: &rustlog_tests::BrokerProcess) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(cli_binary());
    cmd.env("RUSTLOG_BROKER", broker.addr().to_string())
        .timeout(Duration::from_secs(30));
    cmd
}
