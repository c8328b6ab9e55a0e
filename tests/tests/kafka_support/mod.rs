//! Helpers of the `kafka_*` scenario files: a broker process with its Kafka listener on a free
//! port, `kcat` (installed with apt-get when missing: the tests run as root on Debian), run with
//! a deadline, and [`KafkaRaw`], a tiny blocking Kafka client built on the `kafka-protocol`
//! crate for the requests kcat cannot make on purpose (bad frames, chosen versions).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

pub mod admin;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use rustlog_tests::BrokerProcess;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub mod groups;

/// The longest a kcat run may take before the test fails (kcat's own timeouts are shorter).
pub const KCAT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`KafkaRaw`] waits for a response.
pub const RAW_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A broker process with the Kafka listener on a free loopback port (the harness default).
pub fn kafka_broker(dir: &tempfile::TempDir, extra_args: &[&str]) -> (BrokerProcess, String) {
    let broker = BrokerProcess::start(&dir.path().join("data"), extra_args);
    let kafka = broker.kafka_addr().expect("the Kafka listener is on");
    (broker, kafka.to_string())
}

/// Makes sure `kcat` is on PATH, installing the Debian package once when it is not.
pub fn ensure_kcat() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        if kcat_works() {
            return;
        }
        let update = Command::new("apt-get").arg("update").status();
        assert!(
            update.is_ok_and(|s| s.success()),
            "kcat is missing and `apt-get update` failed"
        );
        let install = Command::new("apt-get")
            .args(["install", "-y", "kcat"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
        assert!(
            install.is_ok_and(|s| s.success()) && kcat_works(),
            "kcat is missing and `apt-get install -y kcat` failed"
        );
    });
}

fn kcat_works() -> bool {
    Command::new("kcat")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `kcat -b <bootstrap> <args>` with `stdin`, killed at [`KCAT_TIMEOUT`].
pub fn kcat(bootstrap: &str, args: &[&str], stdin: &str) -> Output {
    ensure_kcat();
    let mut child = Command::new("kcat")
        .args(["-b", bootstrap])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kcat");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let deadline = Instant::now() + KCAT_TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!("kcat {args:?} did not finish within {KCAT_TIMEOUT:?}: {output:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// [`kcat`] that must succeed; returns stdout.
pub fn kcat_ok(bootstrap: &str, args: &[&str], stdin: &str) -> String {
    let output = kcat(bootstrap, args, stdin);
    assert!(
        output.status.success(),
        "kcat {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Partition 0 of `topic` from `start` (`beginning`, `end`, an offset, `s@<ms>`) to its current
/// end, one kcat `format` line per record (`%o|%s\\n` and the like).
pub fn kcat_read(bootstrap: &str, topic: &str, start: &str, format: &str) -> String {
    let args = [
        "-C", "-t", topic, "-p", "0", "-o", start, "-e", "-q", "-f", format,
    ];
    kcat_ok(bootstrap, &args, "")
}

/// A blocking Kafka client over one connection: typed requests at a chosen version, raw bytes.
#[derive(Debug)]
pub struct KafkaRaw {
    stream: TcpStream,
    next_correlation_id: i32,
}

impl KafkaRaw {
    pub fn connect(addr: &str) -> KafkaRaw {
        let addr: SocketAddr = addr.parse().unwrap();
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(RAW_READ_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        KafkaRaw {
            stream,
            next_correlation_id: 1,
        }
    }

    /// Sends a request at `version` (header version from the api); returns its correlation id.
    pub fn send<R: Encodable>(&mut self, api: ApiKey, version: i16, request: &R) -> i32 {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id += 1;
        let mut body = BytesMut::new();
        RequestHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("rustlog-tests")))
            .encode(&mut body, api.request_header_version(version))
            .unwrap();
        request.encode(&mut body, version).unwrap();
        let mut frame = BytesMut::new();
        frame.put_i32(i32::try_from(body.len()).unwrap());
        frame.extend_from_slice(&body);
        self.send_raw(&frame);
        correlation_id
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// The next response frame (without its length), or `None` when the broker closed.
    pub fn recv_frame(&mut self) -> Option<Bytes> {
        let mut length = [0u8; 4];
        if self.stream.read_exact(&mut length).is_err() {
            return None;
        }
        let mut frame = vec![0u8; usize::try_from(i32::from_be_bytes(length)).unwrap()];
        self.stream.read_exact(&mut frame).ok()?;
        Some(Bytes::from(frame))
    }

    /// Reads the next response as `R` at `version`; asserts its correlation id.
    pub fn recv<R: Decodable>(&mut self, api: ApiKey, version: i16, correlation_id: i32) -> R {
        let mut frame = self
            .recv_frame()
            .expect("a response, not a closed connection");
        let header = ResponseHeader::decode(&mut frame, api.response_header_version(version))
            .expect("response header");
        assert_eq!(header.correlation_id, correlation_id, "responses in order");
        let response = R::decode(&mut frame, version).expect("response body");
        assert_eq!(frame.remaining(), 0, "{api:?} v{version}: trailing bytes");
        response
    }

    /// One request and its response.
    pub fn call<Q: Encodable, R: Decodable>(
        &mut self,
        api: ApiKey,
        version: i16,
        request: &Q,
    ) -> R {
        let correlation_id = self.send(api, version, request);
        self.recv(api, version, correlation_id)
    }

    /// True when the broker closed the connection (EOF within the read timeout).
    pub fn is_closed_by_broker(&mut self) -> bool {
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte) {
            Ok(0) => true,
            // Unread bytes at close turn the FIN into a reset: closed all the same.
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
            Ok(_) => false,
        }
    }
}

/// Parses one line of `kcat -f '%o|%k|%s|%h\n'` output.
pub fn kcat_fields(line: &str) -> Vec<&str> {
    line.split('|').collect()
}

/// Produces one record to partition 0 of `topic` (Produce v9, acks 1); returns the partition's
/// error code.
pub fn produce_one_code(client: &mut KafkaRaw, topic: &str) -> i16 {
    use kafka_protocol::messages::produce_request::{
        PartitionProduceData, ProduceRequest, TopicProduceData,
    };
    use kafka_protocol::messages::produce_response::ProduceResponse;
    let request = ProduceRequest::default()
        .with_acks(1)
        .with_timeout_ms(5_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(admin::name(topic))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(Bytes::from(rustlog_tests::batch_of(&[b"x"]))))])]);
    let response: ProduceResponse = client.call(ApiKey::Produce, 9, &request);
    response.responses[0].partition_responses[0].error_code
}
