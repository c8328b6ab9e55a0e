//! `rustlog-tests`: the shared harness of the cross-crate end-to-end tests.
//!
//! Module map (all in this file but the crash harness):
//! - [`broker_binary`]: builds `rustlog-broker` once per test process (same profile and target
//!   dir as the running test) and returns its path.
//! - [`BrokerProcess`]: a real broker process on `127.0.0.1:0` in a data dir; learns its bound
//!   addresses from the `rustlog-broker listening on ...` line; SIGKILL / SIGTERM / restart.
//! - [`RawClient`]: a tiny blocking protocol client over `std::net::TcpStream` built only on
//!   `rustlog-protocol` (send typed requests or raw bytes, read typed responses).
//! - batch helpers: [`batch_of`], [`idempotent_batch_of`], [`records_of`].
//! - [`start_in_process`]: the in-process variant, `rustlog_broker::Broker::start` on free ports.
//! - [`crash`]: the kill -9 crash harness's records, ledger and independent verifier.
//!
//! Tests live under `tests/tests/`, one scenario family per file.

// A test harness: a failed setup step must fail the test loudly, so panicking is the intent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod crash;

use bytes::{Buf, BytesMut};
use rustlog_protocol::frame::decode_response_frame;
use rustlog_protocol::limits::FRAME_BYTES_MAX;
use rustlog_protocol::messages::fetch::{FetchPartition, FetchPartitionResponse, FetchRequest};
use rustlog_protocol::messages::produce::{
    Acks, ProducePartition, ProducePartitionResponse, ProduceRequest,
};
use rustlog_protocol::{
    ApiKey, ErrorCode, ProducerStamp, RecordBatchBuilder, Request, Response, ResponseBody,
    ResponseFrame,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a test waits for a broker to print its listening line.
pub const BROKER_START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a test waits for a broker to exit after SIGTERM.
pub const BROKER_STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Socket read timeout of [`RawClient`]: a hung broker fails the test instead of hanging it.
pub const CLIENT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The line prefix the broker prints on stdout once it is listening.
pub const LISTENING_PREFIX: &str = "rustlog-broker listening on ";

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// The profile dir (`<target>/debug` or `<target>/release`) the running test binary lives in.
fn profile_dir() -> Option<PathBuf> {
    // Test executables live in `<target>/<profile>/deps/<name>-<hash>`.
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    Some(deps.parent()?.to_path_buf())
}

/// Builds `rustlog-broker` once per test process and returns the binary's path.
///
/// `RUSTLOG_BROKER_BIN` overrides the path (skips the build).
pub fn broker_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Ok(path) = std::env::var("RUSTLOG_BROKER_BIN") {
            return PathBuf::from(path);
        }
        let profile_dir = profile_dir().unwrap_or_else(|| workspace_root().join("target/debug"));
        let release = profile_dir
            .file_name()
            .is_some_and(|name| name == "release");
        let target_dir = profile_dir
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| workspace_root().join("target"));
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace_root())
            .args([
                "build",
                "--quiet",
                "-p",
                "rustlog-broker",
                "--bin",
                "rustlog-broker",
            ])
            .env("CARGO_TARGET_DIR", &target_dir);
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status();
        match status {
            Ok(status) if status.success() => {}
            other => panic!("building rustlog-broker failed: {other:?}"),
        }
        profile_dir.join(format!("rustlog-broker{}", std::env::consts::EXE_SUFFIX))
    })
}

/// A `rustlog-broker` process on free loopback ports. Killed (SIGKILL) on drop.
#[derive(Debug)]
pub struct BrokerProcess {
    child: Option<Child>,
    data_dir: PathBuf,
    extra_args: Vec<String>,
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    kafka_addr: Option<SocketAddr>,
    log_path: PathBuf,
}

impl BrokerProcess {
    /// Starts a broker on `127.0.0.1:0` (protocol, metrics and Kafka: many brokers run in
    /// parallel, so never the fixed default ports) with `data_dir`, plus `extra_args` (which may
    /// override those, e.g. `--kafka-listen off`).
    pub fn start(data_dir: &Path, extra_args: &[&str]) -> BrokerProcess {
        let extra_args: Vec<String> = extra_args.iter().map(|s| s.to_string()).collect();
        let started = spawn_broker(data_dir, &extra_args);
        BrokerProcess {
            child: Some(started.child),
            data_dir: data_dir.to_path_buf(),
            extra_args,
            addr: started.addrs.addr,
            metrics_addr: started.addrs.metrics,
            kafka_addr: started.addrs.kafka,
            log_path: started.log_path,
        }
    }

    /// The Kafka-protocol address, when the Kafka listener is on.
    pub fn kafka_addr(&self) -> Option<SocketAddr> {
        self.kafka_addr
    }

    /// The protocol address the broker bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The metrics address, when the metrics listener is on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The broker's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The file the broker's stderr (its logs) goes to.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The broker's logs so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// A new raw client connected to this broker.
    pub fn client(&self) -> RawClient {
        RawClient::connect(self.addr)
    }

    /// SIGKILL: the process dies at once, nothing is flushed.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits for the exit; returns the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        self.send_sigterm();
        self.wait_exit()
    }

    /// Sends SIGTERM and returns at once (the broker shuts down while the test goes on).
    pub fn send_sigterm(&self) {
        self.send_signal(libc::SIGTERM);
    }

    /// Sends `signal` (`libc::SIGSTOP`, `libc::SIGCONT`, ...) to the broker process.
    #[allow(unsafe_code)]
    pub fn send_signal(&self, signal: libc::c_int) {
        let pid = self.pid().expect("broker already stopped");
        let pid = libc::pid_t::try_from(pid).expect("pid fits pid_t");
        // SAFETY: kill(2) only sends a signal to our own child process.
        let sent = unsafe { libc::kill(pid, signal) };
        assert_eq!(sent, 0, "kill -{signal} {pid} failed");
    }

    /// Waits for the broker to exit (after [`Self::send_sigterm`]); returns its exit status.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("broker already stopped");
        let deadline = Instant::now() + BROKER_STOP_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().expect("wait for broker") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("broker did not exit within {BROKER_STOP_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the broker again on the same data dir and arguments (new ports). Kills the old
    /// process first if it still runs.
    pub fn restart(&mut self) {
        self.kill9();
        let started = spawn_broker(&self.data_dir, &self.extra_args);
        self.child = Some(started.child);
        self.addr = started.addrs.addr;
        self.metrics_addr = started.addrs.metrics;
        self.kafka_addr = started.addrs.kafka;
        self.log_path = started.log_path;
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A spawned broker process and what it printed.
struct Spawned {
    child: Child,
    addrs: ListeningLine,
    log_path: PathBuf,
}

fn spawn_broker(data_dir: &Path, extra_args: &[String]) -> Spawned {
    static RUN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let log_path = data_dir.with_extension(format!("broker-{}-{run}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).expect("create broker log file");
    let mut cmd = Command::new(broker_binary());
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"])
        .args(["--kafka-listen", "127.0.0.1:0"])
        .args(extra_args)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log));
    let mut child = cmd.spawn().expect("spawn rustlog-broker");
    let stdout = child.stdout.take().expect("broker stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix(LISTENING_PREFIX) {
                let _ = tx.send(rest.to_string());
            }
        }
    });
    let Ok(rest) = rx.recv_timeout(BROKER_START_TIMEOUT) else {
        let _ = child.kill();
        let _ = child.wait();
        let logs = std::fs::read_to_string(&log_path).unwrap_or_default();
        panic!("broker did not print its listening line; logs:\n{logs}");
    };
    let addrs = parse_listening_addrs(&rest).expect("parse listening line");
    Spawned {
        child,
        addrs,
        log_path,
    }
}

/// Starts a broker inside this process (on the current tokio runtime) on free loopback ports.
pub async fn start_in_process(data_dir: &Path) -> rustlog_broker::BrokerHandle {
    rustlog_broker::Broker::start(rustlog_broker::BrokerConfig::ephemeral(data_dir))
        .await
        .expect("start in-process broker")
}

/// Parses `127.0.0.1:7400 metrics 127.0.0.1:7401` (or `metrics off`).
pub fn parse_listening_line(rest: &str) -> Option<(SocketAddr, Option<SocketAddr>)> {
    parse_listening_addrs(rest).map(|line| (line.addr, line.metrics))
}

/// Every address of the listening line: `ADDR [metrics ADDR|off] [kafka ADDR|off]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListeningLine {
    pub addr: SocketAddr,
    pub metrics: Option<SocketAddr>,
    pub kafka: Option<SocketAddr>,
}

/// Parses the listening line after its prefix; older lines without a `kafka` pair parse too.
pub fn parse_listening_addrs(rest: &str) -> Option<ListeningLine> {
    let mut words = rest.split_whitespace();
    let mut line = ListeningLine {
        addr: words.next()?.parse().ok()?,
        metrics: None,
        kafka: None,
    };
    while let Some(name) = words.next() {
        let value = match words.next()? {
            "off" => None,
            addr => Some(addr.parse().ok()?),
        };
        match name {
            "metrics" => line.metrics = value,
            "kafka" => line.kafka = value,
            _ => return None,
        }
    }
    Some(line)
}

/// A blocking protocol client for tests: typed requests, raw bytes, pipelining.
#[derive(Debug)]
pub struct RawClient {
    stream: TcpStream,
    buf: BytesMut,
    next_correlation_id: u32,
}

impl RawClient {
    /// Connects (panics on failure: this is a test helper).
    pub fn connect(addr: SocketAddr) -> RawClient {
        let stream = TcpStream::connect(addr).expect("connect to broker");
        RawClient::from_stream(stream)
    }

    /// Wraps a connected stream.
    pub fn from_stream(stream: TcpStream) -> RawClient {
        stream.set_nodelay(true).expect("set nodelay");
        stream
            .set_read_timeout(Some(CLIENT_READ_TIMEOUT))
            .expect("set read timeout");
        RawClient {
            stream,
            buf: BytesMut::new(),
            next_correlation_id: 1,
        }
    }

    /// The underlying socket.
    pub fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Writes raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Sends a request without waiting; returns its correlation id.
    pub fn send(&mut self, request: &Request) -> u32 {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);
        let mut out = BytesMut::new();
        request
            .encode_frame(correlation_id, &mut out)
            .expect("encode request");
        self.stream.write_all(&out).expect("write request");
        correlation_id
    }

    /// Reads the next response frame; `Err` when the broker closed the connection or it failed.
    pub fn read_frame(&mut self) -> std::io::Result<ResponseFrame> {
        loop {
            match decode_response_frame(&mut self.buf, FRAME_BYTES_MAX) {
                Ok(Some(frame)) => return Ok(frame),
                Ok(None) => {}
                Err(err) => {
                    return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, err));
                }
            }
            let mut chunk = [0u8; 64 * 1024];
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// True when the broker closed the connection (EOF or reset) before sending anything more.
    pub fn is_closed_by_broker(&mut self) -> bool {
        match self.read_frame() {
            Ok(_) => false,
            Err(err) => matches!(
                err.kind(),
                std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            ),
        }
    }

    /// Reads the next response and decodes it as an answer to `api`; checks the correlation id.
    pub fn receive(&mut self, api: ApiKey, correlation_id: u32) -> ResponseBody {
        let frame = self.read_frame().expect("read response frame");
        assert_eq!(
            frame.header.correlation_id, correlation_id,
            "responses must come in request order"
        );
        Response::decode(api, &frame).expect("decode response")
    }

    /// Sends a request and waits for its answer.
    pub fn call(&mut self, request: impl Into<Request>) -> ResponseBody {
        let request = request.into();
        let api = request.api_key();
        let correlation_id = self.send(&request);
        self.receive(api, correlation_id)
    }

    /// Sends a request and returns the successful response, panicking on an error response.
    pub fn call_ok(&mut self, request: impl Into<Request>) -> Response {
        match self.call(request) {
            ResponseBody::Ok(response) => response,
            ResponseBody::Err { code, message } => panic!("broker error {code}: {message}"),
        }
    }

    /// Sends a request that must fail; returns the error code and message.
    pub fn call_err(&mut self, request: impl Into<Request>) -> (ErrorCode, String) {
        match self.call(request) {
            ResponseBody::Ok(response) => panic!("expected an error, got {response:?}"),
            ResponseBody::Err { code, message } => (code, message),
        }
    }

    /// Creates a topic with `partitions` partitions and config overrides.
    pub fn create_topic(&mut self, name: &str, partitions: u32, config: &[(&str, &str)]) {
        use rustlog_protocol::messages::create_topic::CreateTopicRequest;
        let config = config
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.call_ok(CreateTopicRequest {
            name: name.to_string(),
            partitions,
            config,
        });
    }

    /// Produces one batch of `values` to one partition; returns the base offset.
    pub fn produce(&mut self, topic: &str, partition: u32, acks: Acks, values: &[&[u8]]) -> u64 {
        let response = self.call_ok(produce_request(topic, partition, acks, values));
        let Response::Produce(response) = response else {
            panic!("not a produce response: {response:?}")
        };
        let p = response.partitions.first().expect("one partition answer");
        assert_eq!(
            p.error_code,
            ErrorCode::None,
            "produce failed: {}",
            p.error_message
        );
        p.base_offset
    }

    /// Produces `count` small records (one batch) to one partition, so a test can commit
    /// offsets up to `count` (commits past the high watermark are refused).
    pub fn fill(&mut self, topic: &str, partition: u32, count: usize) {
        let values: Vec<Vec<u8>> = (0..count)
            .map(|i| format!("fill-{i}").into_bytes())
            .collect();
        let values: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
        self.produce(topic, partition, Acks::Leader, &values);
    }

    /// Produces one encoded batch to one partition and returns the partition answer, whether it
    /// succeeded or not (the frame itself must succeed).
    pub fn produce_batch(
        &mut self,
        topic: &str,
        partition: u32,
        acks: Acks,
        batch: &[u8],
    ) -> ProducePartitionResponse {
        let response = self.call_ok(ProduceRequest {
            acks,
            timeout_ms: 30_000,
            partitions: vec![ProducePartition {
                topic: topic.to_string(),
                partition,
                batch: bytes::Bytes::copy_from_slice(batch),
            }],
        });
        let Response::Produce(mut response) = response else {
            panic!("not a produce response: {response:?}")
        };
        response.partitions.pop().expect("one partition answer")
    }

    /// InitProducer: `(-1, -1)` for a new id; returns the granted `(id, epoch)`.
    pub fn init_producer(&mut self, producer_id: i64, producer_epoch: i16) -> (i64, i16) {
        use rustlog_protocol::messages::init_producer::InitProducerRequest;
        let response = self.call_ok(InitProducerRequest {
            producer_id,
            producer_epoch,
        });
        let Response::InitProducer(granted) = response else {
            panic!("not an InitProducer response: {response:?}")
        };
        (granted.producer_id, granted.producer_epoch)
    }

    /// The partition's high watermark and size in bytes (DescribePartition).
    pub fn partition_end(&mut self, topic: &str, partition: u32) -> (u64, u64) {
        use rustlog_protocol::messages::describe_partition::DescribePartitionRequest;
        let response = self.call_ok(DescribePartitionRequest {
            topic: topic.to_string(),
            partition,
        });
        let Response::DescribePartition(p) = response else {
            panic!("not a DescribePartition response: {response:?}")
        };
        (p.high_watermark, p.size_bytes)
    }

    /// Fetches one partition from `offset` (no waiting) and returns the partition answer.
    pub fn fetch(&mut self, topic: &str, partition: u32, offset: u64) -> FetchPartitionResponse {
        self.fetch_wait(topic, partition, offset, 0, 1)
    }

    /// Fetches with long-poll parameters.
    pub fn fetch_wait(
        &mut self,
        topic: &str,
        partition: u32,
        offset: u64,
        max_wait_ms: u32,
        min_bytes: u32,
    ) -> FetchPartitionResponse {
        let response = self.call_ok(fetch_request(
            topic,
            partition,
            offset,
            max_wait_ms,
            min_bytes,
        ));
        let Response::Fetch(mut response) = response else {
            panic!("not a fetch response: {response:?}")
        };
        response.partitions.pop().expect("one partition answer")
    }

    /// Reads every record value of a partition from `offset` up to the high watermark.
    pub fn fetch_all_values(&mut self, topic: &str, partition: u32, offset: u64) -> Vec<Vec<u8>> {
        let mut values = Vec::new();
        let mut next = offset;
        loop {
            let p = self.fetch(topic, partition, next);
            assert_eq!(p.error_code, ErrorCode::None, "fetch failed at {next}");
            for (record_offset, _key, value) in records_of(&p.records) {
                if record_offset >= next {
                    values.push(value.unwrap_or_default());
                    next = record_offset + 1;
                }
            }
            if next >= p.high_watermark {
                return values;
            }
        }
    }
}

/// A produce request of one batch holding `values` (no keys) for one partition.
pub fn produce_request(
    topic: &str,
    partition: u32,
    acks: Acks,
    values: &[&[u8]],
) -> ProduceRequest {
    ProduceRequest {
        acks,
        timeout_ms: 30_000,
        partitions: vec![ProducePartition {
            topic: topic.to_string(),
            partition,
            batch: batch_of(values).into(),
        }],
    }
}

/// A fetch request for one partition.
pub fn fetch_request(
    topic: &str,
    partition: u32,
    offset: u64,
    max_wait_ms: u32,
    min_bytes: u32,
) -> FetchRequest {
    FetchRequest {
        max_wait_ms,
        min_bytes,
        max_bytes: 1024 * 1024,
        partitions: vec![FetchPartition {
            topic: topic.to_string(),
            partition,
            fetch_offset: offset,
            partition_max_bytes: 1024 * 1024,
        }],
    }
}

/// Encodes one batch of records with `values` (null keys, timestamp now).
pub fn batch_of(values: &[&[u8]]) -> Vec<u8> {
    batch_of_keyed(&values.iter().map(|v| (None, Some(*v))).collect::<Vec<_>>())
}

/// A record to encode: nullable key and value.
pub type KeyValue<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// A decoded record: offset, key, value.
pub type OwnedRecord = (u64, Option<Vec<u8>>, Option<Vec<u8>>);

/// Encodes one batch of `(key, value)` records (timestamp now).
pub fn batch_of_keyed(records: &[KeyValue<'_>]) -> Vec<u8> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let mut builder = RecordBatchBuilder::new();
    for (key, value) in records {
        builder
            .push(now_ms, *key, *value, &[])
            .expect("record fits");
    }
    builder.finish(0).expect("batch fits")
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Encodes one batch of `values` (null keys, timestamp now) from an idempotent producer.
pub fn idempotent_batch_of(
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    values: &[&[u8]],
) -> Vec<u8> {
    let mut builder = RecordBatchBuilder::new().producer(ProducerStamp {
        producer_id,
        producer_epoch,
        base_sequence,
    });
    let now_ms = now_ms();
    for value in values {
        builder
            .push(now_ms, None, Some(value), &[])
            .expect("record fits");
    }
    builder.finish(0).expect("batch fits")
}

/// Byte offset of a batch's CRC field (Kafka RecordBatch v2); the CRC covers bytes 21..end.
pub const BATCH_CRC_AT: usize = 17;

/// Recomputes the CRC-32C of a batch whose bytes a test changed on purpose, so the broker judges
/// the change itself and not a checksum mismatch. Bitwise and independent of the code under test.
pub fn reseal_crc32c(batch: &mut [u8]) {
    let crc = crc32c(&batch[BATCH_CRC_AT + 4..]);
    batch[BATCH_CRC_AT..BATCH_CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
}

/// CRC-32C (Castagnoli), bitwise: independent of the code under test.
pub fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A free loopback port (bound then released): for a broker that must keep its address across
/// restarts, so clients that reconnect by address find it again.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// Every record in `records` (whole stored batches) as `(offset, key, value)`.
pub fn records_of(records: &[u8]) -> Vec<OwnedRecord> {
    let mut out = Vec::new();
    for batch in rustlog_protocol::batch::batches(records) {
        let batch = batch.expect("valid batch in fetch response");
        batch.verify_crc().expect("batch CRC");
        let section = batch.records().expect("decompressible records");
        for record in section.iter() {
            let record = record.expect("valid record");
            out.push((
                record.offset,
                record.key.map(<[u8]>::to_vec),
                record.value.map(<[u8]>::to_vec),
            ));
        }
    }
    out
}

/// Reads a whole HTTP/1.0 response from `addr` for `GET path` (for `/metrics`).
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(CLIENT_READ_TIMEOUT))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// Value of one un-labelled or labelled sample line in Prometheus text (`name{labels} value`).
pub fn metric_value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            (name == series).then(|| value.parse().ok()).flatten()
        })
}

/// Reads a big-endian u32 off a buffer (raw-socket tests).
pub fn read_u32(buf: &mut impl Buf) -> u32 {
    buf.get_u32()
}

/// Raises this process's soft open-files limit to at least `wanted` (up to the hard limit), so
/// tests with many sockets work on machines with a low default. Child brokers inherit it.
#[allow(unsafe_code, clippy::unnecessary_cast)] // rlim_t is not u64 everywhere
pub fn raise_nofile_limit(wanted: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        if (limit.rlim_cur as u64) < wanted {
            limit.rlim_cur = (wanted as libc::rlim_t).min(limit.rlim_max);
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
    limit.rlim_cur as u64
}

/// Resident memory of a process in KiB (Linux `/proc/<pid>/status`, `VmRSS`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// A minimal async protocol client (tokio) for tests with many concurrent connections.
#[derive(Debug)]
pub struct AsyncRawClient {
    stream: tokio::net::TcpStream,
    buf: BytesMut,
    next_correlation_id: u32,
}

impl AsyncRawClient {
    /// Connects.
    pub async fn connect(addr: SocketAddr) -> std::io::Result<AsyncRawClient> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(AsyncRawClient {
            stream,
            buf: BytesMut::new(),
            next_correlation_id: 1,
        })
    }

    /// Sends a request and reads its answer.
    pub async fn call(&mut self, request: impl Into<Request>) -> std::io::Result<ResponseBody> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let request = request.into();
        let api = request.api_key();
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);
        let mut out = BytesMut::new();
        request
            .encode_frame(correlation_id, &mut out)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        self.stream.write_all(&out).await?;
        loop {
            match decode_response_frame(&mut self.buf, FRAME_BYTES_MAX) {
                Ok(Some(frame)) => {
                    if frame.header.correlation_id != correlation_id {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            "correlation id mismatch",
                        ));
                    }
                    return Response::decode(api, &frame)
                        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e));
                }
                Ok(None) => {}
                Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
    }
}
