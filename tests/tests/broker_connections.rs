//! Many connections and misbehaving ones: 1,000 concurrent clients producing and fetching, the
//! connection cap, the idle timeout, a client that never reads its responses, and a burst of
//! connects while the broker is not accepting (the listen backlog).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_protocol::frame::decode_response_frame;
use rustlog_protocol::limits::FRAME_BYTES_MAX;
use rustlog_protocol::messages::ping::PingRequest;
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::{ErrorCode, Response, ResponseBody};
use rustlog_tests::{
    fetch_request, produce_request, raise_nofile_limit, rss_kib, AsyncRawClient, BrokerProcess,
    RawClient,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const CONNECTIONS: usize = 1000;

#[test]
fn a_thousand_concurrent_connections_produce_and_fetch() {
    // Each connection costs a descriptor here and one in the broker.
    raise_nofile_limit(4 * CONNECTIONS as u64 + 256);
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    let mut admin = broker.client();
    admin.create_topic("many", 4, &[]);
    let addr = broker.addr();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let mut clients = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            clients.push(AsyncRawClient::connect(addr).await.unwrap());
        }
        // All connections are open at once; now every one produces and fetches.
        let tasks: Vec<_> = clients
            .into_iter()
            .enumerate()
            .map(|(i, mut client)| {
                tokio::spawn(async move {
                    let partition = (i % 4) as u32;
                    let value = format!("conn-{i}");
                    let request =
                        produce_request("many", partition, Acks::Leader, &[value.as_bytes()]);
                    let ResponseBody::Ok(Response::Produce(p)) =
                        client.call(request).await.unwrap()
                    else {
                        panic!("produce failed")
                    };
                    assert_eq!(p.partitions[0].error_code, ErrorCode::None);
                    let offset = p.partitions[0].base_offset;
                    let ResponseBody::Ok(Response::Fetch(f)) = client
                        .call(fetch_request("many", partition, offset, 0, 1))
                        .await
                        .unwrap()
                    else {
                        panic!("fetch failed")
                    };
                    let records = rustlog_tests::records_of(&f.partitions[0].records);
                    assert!(records
                        .iter()
                        .any(|(o, _, v)| *o == offset && v.as_deref() == Some(value.as_bytes())));
                    client
                })
            })
            .collect();
        let mut alive = Vec::new();
        for task in tasks {
            alive.push(task.await.unwrap());
        }
        assert_eq!(alive.len(), CONNECTIONS);
    });
    let total: u64 = (0..4)
        .map(|p| admin.fetch("many", p, 0).high_watermark)
        .sum();
    assert_eq!(total, CONNECTIONS as u64);
}

#[test]
fn connections_above_the_cap_are_refused_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &["--connections-max", "3"]);
    let mut held: Vec<_> = (0..3).map(|_| broker.client()).collect();
    for client in &mut held {
        assert!(matches!(client.call_ok(PingRequest {}), Response::Ping(_)));
    }
    let mut refused = broker.client();
    let frame = refused.read_frame().unwrap();
    assert_eq!(
        frame.header.error_code,
        ErrorCode::TooManyConnections.code()
    );
    assert!(refused.is_closed_by_broker());
    // Closing one frees a slot (as soon as the broker notices the close).
    drop(held.pop());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = broker.client();
        again.send(&PingRequest {}.into());
        let frame = again.read_frame().unwrap();
        if frame.header.error_code == ErrorCode::None.code() {
            break;
        }
        assert_eq!(
            frame.header.error_code,
            ErrorCode::TooManyConnections.code()
        );
        assert!(std::time::Instant::now() < deadline, "slot never freed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn idle_connections_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &["--idle-timeout-ms", "300"]);
    let mut client = broker.client();
    assert!(matches!(client.call_ok(PingRequest {}), Response::Ping(_)));
    assert!(client.is_closed_by_broker());
}

#[test]
fn a_client_that_never_reads_does_not_grow_broker_memory_past_its_bound() {
    let dir = tempfile::tempdir().unwrap();
    let queued_max: usize = 4 * 1024 * 1024;
    let broker = BrokerProcess::start(
        &dir.path().join("data"),
        &["--queued-response-bytes-max", &queued_max.to_string()],
    );
    let pid = broker.pid().unwrap();
    let mut admin = fill_a_two_mib_topic(&broker);
    let before_kib = rss_kib(pid).unwrap();
    // 20,000 unread 2 MiB fetches would be 40 GB of responses.
    let (mut hog, sent) = pipeline_unread_fetches(&broker, 20_000);
    std::thread::sleep(Duration::from_millis(500));
    let after_kib = rss_kib(pid).unwrap();
    // Budget plus socket buffers plus one oversized in-flight response, with generous slack.
    let bound_kib = (queued_max as u64 * 4 + 64 * 1024 * 1024) / 1024;
    assert!(
        after_kib.saturating_sub(before_kib) < bound_kib,
        "broker RSS grew from {before_kib} KiB to {after_kib} KiB after {sent} unread fetches"
    );
    // Others are still served.
    assert!(matches!(admin.call_ok(PingRequest {}), Response::Ping(_)));
    // And the hog gets its answers, in order, once it reads.
    hog.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = bytes::BytesMut::new();
    let mut chunk = vec![0u8; 1 << 20];
    let n = hog.read(&mut chunk).unwrap();
    buf.extend_from_slice(&chunk[..n]);
    while decode_response_frame(&mut buf, FRAME_BYTES_MAX)
        .unwrap()
        .is_none()
    {
        let n = hog.read(&mut chunk).unwrap();
        assert!(n > 0);
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[test]
fn a_client_that_stops_reading_is_closed_after_the_idle_timeout_and_frees_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(
        &dir.path().join("data"),
        &[
            "--queued-response-bytes-max",
            &(4 * 1024 * 1024).to_string(),
            "--idle-timeout-ms",
            "500",
        ],
    );
    let metrics = broker.metrics_addr().unwrap();
    let metric = |series: &str| {
        let (_, text) = rustlog_tests::http_get(metrics, "/metrics").unwrap();
        rustlog_tests::metric_value(&text, series).unwrap()
    };
    let queued = || metric("rustlog_queued_response_bytes");
    let closed = || metric("rustlog_connections_closed_bad_input_total");
    // The admin connection closes here, by the client: not counted as bad input.
    drop(fill_a_two_mib_topic(&broker));
    let closed_before = closed();
    let (mut hog, _) = pipeline_unread_fetches(&broker, 5_000);
    // First the broker holds the hog's answers (on a loaded machine it may not have read its
    // requests yet when the writes above return)...
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while queued() == 0.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing was ever queued"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // ...then nothing was taken for the idle timeout: the broker closes the connection and
    // every byte it held goes back to the broker-wide pool.
    while queued() > 0.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the stalled connection still holds {} bytes",
            queued()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(closed(), closed_before + 1.0, "counted once, as bad input");
    // What the hog finds when it reads at last: what the kernel buffered, then the close.
    hog.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        match hog.read(&mut chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(err) => {
                assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
                break;
            }
        }
    }
    // Others are served.
    assert!(matches!(
        broker.client().call_ok(PingRequest {}),
        Response::Ping(_)
    ));
}

#[test]
fn pipelining_past_the_in_flight_limit_is_back_pressured_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &["--in-flight-requests-max", "2"]);
    let mut client = broker.client();
    client.create_topic("bp", 1, &[]);
    let ids: Vec<u32> = (0..300)
        .map(|i| {
            let value = format!("{i}");
            client.send(&produce_request("bp", 0, Acks::Leader, &[value.as_bytes()]).into())
        })
        .collect();
    for (i, id) in ids.into_iter().enumerate() {
        let ResponseBody::Ok(Response::Produce(p)) =
            client.receive(rustlog_protocol::ApiKey::Produce, id)
        else {
            panic!()
        };
        assert_eq!(p.partitions[0].base_offset, i as u64);
    }
}

/// Connects one socket after another to `addr` until one does not complete within `wait`
/// (the listen queue is full) or `count` did; returns the sockets.
fn connect_until_stalled(
    addr: std::net::SocketAddr,
    count: usize,
    wait: Duration,
) -> Vec<TcpStream> {
    let mut held = Vec::new();
    while held.len() < count {
        match TcpStream::connect_timeout(&addr, wait) {
            Ok(stream) => held.push(stream),
            Err(_) => break,
        }
    }
    held
}

#[test]
fn a_burst_of_connects_fits_the_listen_backlog_while_the_broker_is_not_accepting() {
    // The kernel caps any backlog at somaxconn; the old fixed backlog of 128 queued 129.
    let somaxconn: usize = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(4096);
    let burst = somaxconn.min(400);
    if burst <= 129 {
        eprintln!(
            "skipped: net.core.somaxconn is {somaxconn}, no room above the old backlog of 128"
        );
        return;
    }
    raise_nofile_limit(2 * burst as u64 + 256);
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(&dir.path().join("data"), &[]);
    // A stopped broker accepts nothing: every connect must wait in the kernel's listen queue.
    broker.send_signal(libc::SIGSTOP);
    let held = connect_until_stalled(broker.addr(), burst, Duration::from_secs(2));
    broker.send_signal(libc::SIGCONT);
    assert_eq!(
        held.len(),
        burst,
        "only {} connects completed while the broker was stopped",
        held.len()
    );
    // Once it runs again the broker accepts and serves them.
    for stream in held.into_iter().step_by(burst / 4) {
        let mut client = RawClient::from_stream(stream);
        assert!(matches!(client.call_ok(PingRequest {}), Response::Ping(_)));
    }
}

/// Topic `big`, one partition of four 512 KiB records; returns the admin client that filled it.
fn fill_a_two_mib_topic(broker: &BrokerProcess) -> RawClient {
    let mut admin = broker.client();
    admin.create_topic("big", 1, &[]);
    let value = vec![7u8; 512 * 1024];
    for _ in 0..4 {
        admin.produce("big", 0, Acks::Leader, &[&value]);
    }
    admin
}

/// Pipelines up to `count` fetches of all of `big` (2 MiB answers each) on a new connection
/// and reads none, stopping when the broker stops reading (back-pressure reached us). Returns
/// the connection and how many were sent.
fn pipeline_unread_fetches(broker: &BrokerProcess, count: usize) -> (TcpStream, usize) {
    let mut hog = TcpStream::connect(broker.addr()).unwrap();
    hog.set_write_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut request = bytes::BytesMut::new();
    rustlog_protocol::Request::from(fetch_request("big", 0, 0, 0, 1))
        .encode_frame(1, &mut request)
        .unwrap();
    let sent = (0..count)
        .take_while(|_| hog.write_all(&request).is_ok())
        .count();
    (hog, sent)
}
