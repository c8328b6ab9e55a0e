//! An in-memory broker for the client's unit tests: enough of the protocol (ApiVersions,
//! DescribeTopic, ListOffsets, Produce, Fetch) to exercise batching, retries, ordering and
//! fetch decoding, with injectable faults. End-to-end tests against the real broker live in
//! the workspace's `tests/` crate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::{Bytes, BytesMut};
use rustlog_protocol::batch::{set_base_offset, RecordBatchView};
use rustlog_protocol::frame::decode_request_frame;
use rustlog_protocol::limits::FRAME_BYTES_MAX;
use rustlog_protocol::messages::api_versions::ApiVersionsResponse;
use rustlog_protocol::messages::describe_topic::{DescribeTopicResponse, PartitionSummary};
use rustlog_protocol::messages::fetch::{FetchPartitionResponse, FetchResponse};
use rustlog_protocol::messages::list_offsets::{
    ListOffsetsPartitionResponse, ListOffsetsResponse, OffsetSpec,
};
use rustlog_protocol::messages::produce::{ProducePartitionResponse, ProduceResponse};
use rustlog_protocol::{encode_error_response, ErrorCode, Request, Response};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// (offset, key, value) of a stored record.
pub type StoredRecord = (u64, Option<Vec<u8>>, Option<Vec<u8>>);

/// What the mock does with one produce request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer every partition with this code, appending nothing.
    Code(ErrorCode),
    /// Close the connection without appending or answering.
    Disconnect,
}

#[derive(Debug, Default)]
pub struct State {
    /// Partition logs: stored batches (base offset stamped) and the next offset.
    pub logs: BTreeMap<(String, u32), (Vec<Bytes>, u64)>,
    pub partitions: BTreeMap<String, u32>,
    /// Faults applied to the next produce requests, in order.
    pub faults: VecDeque<Fault>,
    pub produce_requests: usize,
}

#[derive(Debug, Clone)]
pub struct MockBroker {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<State>>,
}

impl MockBroker {
    pub async fn start(topics: &[(&str, u32)]) -> MockBroker {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut state = State::default();
        for (name, count) in topics {
            state.partitions.insert((*name).to_string(), *count);
            for p in 0..*count {
                state.logs.insert(((*name).to_string(), p), (Vec::new(), 0));
            }
        }
        let state = Arc::new(Mutex::new(state));
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(serve(sock, shared.clone()));
            }
        });
        MockBroker { addr, state }
    }

    pub fn inject(&self, faults: &[Fault]) {
        self.state
            .lock()
            .unwrap()
            .faults
            .extend(faults.iter().copied());
    }

    /// Every stored record of a partition as (offset, key, value).
    pub fn records(&self, topic: &str, partition: u32) -> Vec<StoredRecord> {
        let state = self.state.lock().unwrap();
        let (batches, _) = &state.logs[&(topic.to_string(), partition)];
        let mut out = Vec::new();
        for batch in batches {
            let view = RecordBatchView::parse(batch).unwrap();
            for r in view.records().unwrap().iter() {
                let r = r.unwrap();
                out.push((
                    r.offset,
                    r.key.map(<[u8]>::to_vec),
                    r.value.map(<[u8]>::to_vec),
                ));
            }
        }
        out
    }

    pub fn produce_requests(&self) -> usize {
        self.state.lock().unwrap().produce_requests
    }
}

async fn serve(mut sock: tokio::net::TcpStream, state: Arc<Mutex<State>>) {
    let mut buf = BytesMut::new();
    loop {
        while let Some(frame) = decode_request_frame(&mut buf, FRAME_BYTES_MAX).unwrap() {
            let request = Request::decode(&frame).unwrap();
            let id = frame.header.correlation_id;
            let mut out = BytesMut::new();
            let response = handle(&state, request).await;
            match response {
                Ok(Some(r)) => r.encode_frame(id, &mut out).unwrap(),
                Ok(None) => return, // injected disconnect
                Err((code, message)) => encode_error_response(&mut out, id, code, &message),
            }
            if sock.write_all(&out).await.is_err() {
                return;
            }
        }
        match sock.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

async fn handle(
    state: &Arc<Mutex<State>>,
    request: Request,
) -> Result<Option<Response>, (ErrorCode, String)> {
    match request {
        Request::ApiVersions(_) => Ok(Some(Response::ApiVersions(ApiVersionsResponse::supported(
            "mock",
        )))),
        Request::DescribeTopic(r) => {
            let st = state.lock().unwrap();
            let Some(count) = st.partitions.get(&r.name) else {
                return Err((
                    ErrorCode::TopicNotFound,
                    format!("topic {} does not exist", r.name),
                ));
            };
            Ok(Some(Response::DescribeTopic(DescribeTopicResponse {
                name: r.name.clone(),
                config: BTreeMap::new(),
                partitions: (0..*count)
                    .map(|p| PartitionSummary {
                        partition: p,
                        log_start_offset: 0,
                        high_watermark: st.logs[&(r.name.clone(), p)].1,
                        size_bytes: 0,
                        segment_count: 1,
                    })
                    .collect(),
            })))
        }
        Request::ListOffsets(r) => {
            let st = state.lock().unwrap();
            let partitions = r
                .partitions
                .iter()
                .map(|p| {
                    let next = st.logs.get(&(p.topic.clone(), p.partition)).map(|l| l.1);
                    ListOffsetsPartitionResponse {
                        topic: p.topic.clone(),
                        partition: p.partition,
                        error_code: if next.is_some() {
                            ErrorCode::None
                        } else {
                            ErrorCode::PartitionNotFound
                        },
                        offset: match p.spec {
                            OffsetSpec::Earliest => Some(0),
                            _ => next,
                        },
                        timestamp_ms: None,
                    }
                })
                .collect();
            Ok(Some(Response::ListOffsets(ListOffsetsResponse {
                partitions,
            })))
        }
        Request::Produce(r) => {
            let mut st = state.lock().unwrap();
            st.produce_requests += 1;
            let fault = st.faults.pop_front();
            if fault == Some(Fault::Disconnect) {
                return Ok(None);
            }
            let mut answers = Vec::new();
            for p in r.partitions {
                let mut answer = ProducePartitionResponse {
                    topic: p.topic.clone(),
                    partition: p.partition,
                    error_code: ErrorCode::None,
                    base_offset: 0,
                    log_append_time_ms: 0,
                    log_start_offset: 0,
                    error_message: String::new(),
                };
                if let Some(Fault::Code(code)) = fault {
                    answer.error_code = code;
                    answer.error_message = format!("injected {}", code.name());
                } else {
                    let view = RecordBatchView::parse(&p.batch).unwrap();
                    view.verify_crc().unwrap();
                    let count = u64::from(view.header().record_count);
                    let log = st.logs.get_mut(&(p.topic.clone(), p.partition)).unwrap();
                    let mut stored = p.batch.to_vec();
                    set_base_offset(&mut stored, log.1);
                    answer.base_offset = log.1;
                    log.1 += count;
                    log.0.push(Bytes::from(stored));
                }
                answers.push(answer);
            }
            Ok(Some(Response::Produce(ProduceResponse {
                partitions: answers,
            })))
        }
        Request::Fetch(r) => {
            // Long poll lite: wait up to max_wait for any data.
            let deadline = tokio::time::Instant::now()
                + std::time::Duration::from_millis(u64::from(r.max_wait_ms.min(200)));
            loop {
                let has_data = {
                    let st = state.lock().unwrap();
                    r.partitions.iter().any(|p| {
                        st.logs
                            .get(&(p.topic.clone(), p.partition))
                            .is_some_and(|l| l.1 > p.fetch_offset)
                    })
                };
                if has_data || tokio::time::Instant::now() >= deadline {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            let st = state.lock().unwrap();
            let partitions = r
                .partitions
                .iter()
                .map(|p| {
                    let (batches, next) = &st.logs[&(p.topic.clone(), p.partition)];
                    let mut records = Vec::new();
                    // Whole batches containing offsets >= fetch_offset (the first may start earlier).
                    for b in batches {
                        let h = *RecordBatchView::parse(b).unwrap().header();
                        if h.next_offset() > p.fetch_offset {
                            records.extend_from_slice(b);
                        }
                    }
                    FetchPartitionResponse {
                        topic: p.topic.clone(),
                        partition: p.partition,
                        error_code: ErrorCode::None,
                        high_watermark: *next,
                        log_start_offset: 0,
                        records: Bytes::from(records),
                    }
                })
                .collect();
            Ok(Some(Response::Fetch(FetchResponse { partitions })))
        }
        other => Err((
            ErrorCode::UnknownApiKey,
            format!("mock broker does not handle {}", other.api_key()),
        )),
    }
}
