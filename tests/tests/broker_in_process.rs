//! The library API: `Broker::start` in-process (tokio) and the blocking `EmbeddedBroker` the
//! bindings use; graceful shutdown flushes, a restart on the same dir sees everything, and
//! start-up errors are typed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_broker::{Broker, BrokerConfig, BrokerError, EmbeddedBroker};
use rustlog_protocol::messages::create_topic::CreateTopicRequest;
use rustlog_protocol::messages::produce::Acks;
use rustlog_protocol::{Response, ResponseBody};
use rustlog_tests::{
    fetch_request, produce_request, records_of, start_in_process, AsyncRawClient, RawClient,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_broker_serves_shuts_down_and_restarts_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let handle = start_in_process(dir.path()).await;
    assert_ne!(handle.local_addr().port(), 0);
    assert!(handle.metrics_addr().is_some());
    let mut client = AsyncRawClient::connect(handle.local_addr()).await.unwrap();
    let created = client
        .call(CreateTopicRequest {
            name: "inproc".into(),
            partitions: 1,
            config: [("fsync.policy".to_string(), "never".to_string())].into(),
        })
        .await
        .unwrap();
    assert!(matches!(
        created,
        ResponseBody::Ok(Response::CreateTopic(_))
    ));
    for i in 0..10 {
        let value = format!("v{i}");
        let r = client
            .call(produce_request(
                "inproc",
                0,
                Acks::Leader,
                &[value.as_bytes()],
            ))
            .await
            .unwrap();
        assert!(matches!(r, ResponseBody::Ok(Response::Produce(_))));
    }
    handle.shutdown().await.unwrap();

    let handle = start_in_process(dir.path()).await;
    let mut client = AsyncRawClient::connect(handle.local_addr()).await.unwrap();
    let ResponseBody::Ok(Response::Fetch(f)) = client
        .call(fetch_request("inproc", 0, 0, 0, 1))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(f.partitions[0].high_watermark, 10);
    assert_eq!(records_of(&f.partitions[0].records).len(), 10);
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_ends_a_waiting_long_poll() {
    let dir = tempfile::tempdir().unwrap();
    let handle = start_in_process(dir.path()).await;
    let addr = handle.local_addr();
    let mut client = AsyncRawClient::connect(addr).await.unwrap();
    client
        .call(CreateTopicRequest {
            name: "lp".into(),
            partitions: 1,
            config: Default::default(),
        })
        .await
        .unwrap();
    let waiter =
        tokio::spawn(async move { client.call(fetch_request("lp", 0, 0, 60_000, 1)).await });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    handle.shutdown().await.unwrap();
    // The fetch was answered (empty) rather than cut off.
    let answer = waiter.await.unwrap().unwrap();
    assert!(matches!(answer, ResponseBody::Ok(Response::Fetch(_))));
}

#[tokio::test]
async fn start_up_errors_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let first = start_in_process(dir.path()).await;
    let mut config = BrokerConfig::ephemeral(dir.path().join("other"));
    config.listen = first.local_addr();
    assert!(matches!(
        Broker::start(config).await,
        Err(BrokerError::Bind { .. })
    ));
    let mut config = BrokerConfig::ephemeral(dir.path().join("third"));
    config.limits.connections_max = 0;
    let err = Broker::start(config).await.unwrap_err();
    assert!(err.to_string().contains("limits.connections_max"), "{err}");
    first.shutdown().await.unwrap();
}

#[test]
fn embedded_broker_runs_on_its_own_thread_and_stops_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = EmbeddedBroker::start(BrokerConfig::ephemeral(dir.path())).unwrap();
    let mut client = RawClient::connect(broker.addr());
    client.create_topic("emb", 1, &[]);
    client.produce("emb", 0, Acks::Durable, &[b"embedded"]);
    broker.stop().unwrap();
    broker.stop().unwrap(); // idempotent
    assert!(client.is_closed_by_broker());
    drop(broker);

    let broker = EmbeddedBroker::start(BrokerConfig::ephemeral(dir.path())).unwrap();
    let mut client = RawClient::connect(broker.addr());
    assert_eq!(
        client.fetch_all_values("emb", 0, 0),
        vec![b"embedded".to_vec()]
    );
    let addr = broker.addr();
    drop(broker);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "dropped broker still listens"
    );
}
