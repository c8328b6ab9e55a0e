//! An in-memory broker for the client's unit tests: enough of the protocol (ApiVersions,
//! DescribeTopic, ListOffsets, InitProducer, Produce, Fetch) to exercise batching, retries,
//! ordering, idempotent sequences and fetch decoding, with injectable faults. Its producer
//! dedup follows the broker's rules: a batch must continue its producer's sequence, a retried
//! one of the last 5 batches is answered with its original base offset. End-to-end tests
//! against the real broker live in the workspace's `tests/` crate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use rustlog_protocol::batch::{increment_sequence, set_base_offset, BatchHeader, RecordBatchView};
use rustlog_protocol::frame::decode_request_frame;
use rustlog_protocol::limits::FRAME_BYTES_MAX;
use rustlog_protocol::messages::api_versions::ApiVersionsResponse;
use rustlog_protocol::messages::describe_topic::{DescribeTopicResponse, PartitionSummary};
use rustlog_protocol::messages::fetch::{FetchPartitionResponse, FetchResponse};
use rustlog_protocol::messages::init_producer::InitProducerResponse;
use rustlog_protocol::messages::list_offsets::{
    ListOffsetsPartitionResponse, ListOffsetsResponse, OffsetSpec,
};
use rustlog_protocol::messages::produce::{ProducePartitionResponse, ProduceResponse};
use rustlog_protocol::{encode_error_response, encode_rejection, ErrorCode, Request, Response};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
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
    /// Append, then close the connection without answering (a lost response).
    AppendThenDisconnect,
}

/// Batches per producer and partition the mock remembers for dedup (as Kafka does).
const DEDUP_BATCHES: usize = 5;

/// What the mock knows of one producer id in one partition.
#[derive(Debug, Default)]
pub struct ProducerLog {
    pub epoch: i16,
    /// (base sequence, last sequence, base offset) of the last batches.
    pub recent: VecDeque<(i32, i32, u64)>,
}

#[derive(Debug, Default)]
pub struct State {
    /// Partition logs: stored batches (base offset stamped) and the next offset.
    pub logs: BTreeMap<(String, u32), (Vec<Bytes>, u64)>,
    pub partitions: BTreeMap<String, u32>,
    /// Faults applied to the next produce requests, in order.
    pub faults: VecDeque<Fault>,
    pub produce_requests: usize,
    /// Every batch received per partition, as sent (before dedup), in arrival order.
    pub received: BTreeMap<(String, u32), Vec<Bytes>>,
    /// Current epoch per issued producer id.
    pub producers: BTreeMap<i64, i16>,
    pub init_producer_requests: usize,
    /// Answer InitProducer with this code (a broker without idempotence, say).
    pub refuse_init_producer: Option<ErrorCode>,
    /// Producer state per (topic, partition, producer id).
    pub sequences: BTreeMap<(String, u32, i64), ProducerLog>,
    /// Refuse this many next connections as a broker at its connection cap does (SPEC.md
    /// §3.4: the unsolicited `TooManyConnections` frame, then close).
    pub refuse_connections: usize,
    pub refused_connections: usize,
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
        self.state.lock().faults.extend(faults.iter().copied());
    }

    /// Every batch received for a partition, as sent.
    pub fn received(&self, topic: &str, partition: u32) -> Vec<Bytes> {
        let state = self.state.lock();
        state
            .received
            .get(&(topic.to_string(), partition))
            .cloned()
            .unwrap_or_default()
    }

    /// The stored batches of a partition.
    pub fn batches(&self, topic: &str, partition: u32) -> Vec<Bytes> {
        let state = self.state.lock();
        state.logs[&(topic.to_string(), partition)].0.clone()
    }

    pub fn init_producer_requests(&self) -> usize {
        self.state.lock().init_producer_requests
    }

    /// Every stored record of a partition as (offset, key, value).
    pub fn records(&self, topic: &str, partition: u32) -> Vec<StoredRecord> {
        let state = self.state.lock();
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

    /// Refuses the next `count` connections (SPEC.md §3.4).
    pub fn refuse_connections(&self, count: usize) {
        self.state.lock().refuse_connections = count;
    }

    pub fn refused_connections(&self) -> usize {
        self.state.lock().refused_connections
    }

    pub fn produce_requests(&self) -> usize {
        self.state.lock().produce_requests
    }
}

async fn serve(mut sock: tokio::net::TcpStream, state: Arc<Mutex<State>>) {
    if take_refusal(&state) {
        let mut out = BytesMut::new();
        encode_rejection(&mut out, ErrorCode::TooManyConnections, "mock at its cap");
        let _ = sock.write_all(&out).await;
        return;
    }
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

/// Whether this connection is one of the ones to refuse.
fn take_refusal(state: &Mutex<State>) -> bool {
    let mut st = state.lock();
    if st.refuse_connections == 0 {
        return false;
    }
    st.refuse_connections -= 1;
    st.refused_connections += 1;
    true
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
            let st = state.lock();
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
                        quarantined: None,
                    })
                    .collect(),
            })))
        }
        Request::ListOffsets(r) => {
            let st = state.lock();
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
        Request::InitProducer(r) => {
            let mut st = state.lock();
            st.init_producer_requests += 1;
            if let Some(code) = st.refuse_init_producer {
                return Err((code, format!("injected {}", code.name())));
            }
            if r.producer_id < 0 {
                let id = st.producers.len() as i64 + 1000;
                st.producers.insert(id, 0);
                return Ok(Some(init_producer_response(id, 0)));
            }
            match st.producers.get_mut(&r.producer_id) {
                Some(epoch) if *epoch == r.producer_epoch => {
                    *epoch += 1;
                    Ok(Some(init_producer_response(r.producer_id, *epoch)))
                }
                Some(_) => Err((ErrorCode::InvalidProducerEpoch, "stale epoch".into())),
                None => Err((ErrorCode::UnknownProducerId, "unknown id".into())),
            }
        }
        Request::Produce(r) => {
            let mut st = state.lock();
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
                st.received
                    .entry((p.topic.clone(), p.partition))
                    .or_default()
                    .push(p.batch.clone());
                if let Some(Fault::Code(code)) = fault {
                    answer.error_code = code;
                    answer.error_message = format!("injected {}", code.name());
                } else {
                    match append(&mut st, &p.topic, p.partition, &p.batch) {
                        Ok(base) => answer.base_offset = base,
                        Err(code) => {
                            answer.error_code = code;
                            answer.error_message = format!("mock {}", code.name());
                        }
                    }
                }
                answers.push(answer);
            }
            if fault == Some(Fault::AppendThenDisconnect) {
                return Ok(None);
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
                    let st = state.lock();
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
            let st = state.lock();
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

fn init_producer_response(producer_id: i64, producer_epoch: i16) -> Response {
    Response::InitProducer(InitProducerResponse {
        producer_id,
        producer_epoch,
    })
}

/// Appends a batch after the producer checks; returns its base offset (the original one for
/// a duplicate) or the error code the broker would answer.
fn append(st: &mut State, topic: &str, partition: u32, batch: &Bytes) -> Result<u64, ErrorCode> {
    let view = RecordBatchView::parse(batch).unwrap();
    view.validate_for_append().unwrap();
    let h = *view.header();
    let next = st.logs[&(topic.to_string(), partition)].1;
    if h.has_producer_id() {
        if let Some(original) = check_sequence(st, topic, partition, &h, next)? {
            return Ok(original);
        }
    }
    let log = st.logs.get_mut(&(topic.to_string(), partition)).unwrap();
    let mut stored = batch.to_vec();
    set_base_offset(&mut stored, log.1);
    log.1 += u64::from(h.record_count);
    log.0.push(Bytes::from(stored));
    Ok(next)
}

/// The broker's dedup rules; `Some(offset)` for a duplicate of a recent batch.
fn check_sequence(
    st: &mut State,
    topic: &str,
    partition: u32,
    h: &BatchHeader,
    next_offset: u64,
) -> Result<Option<u64>, ErrorCode> {
    let Some(&current_epoch) = st.producers.get(&h.producer_id) else {
        return Err(ErrorCode::UnknownProducerId);
    };
    if h.producer_epoch < current_epoch {
        return Err(ErrorCode::InvalidProducerEpoch);
    }
    let log = st
        .sequences
        .entry((topic.to_string(), partition, h.producer_id))
        .or_default();
    if h.producer_epoch > log.epoch {
        log.epoch = h.producer_epoch;
        log.recent.clear();
    }
    if let Some(&(_, _, offset)) = log
        .recent
        .iter()
        .find(|(base, _, _)| *base == h.base_sequence)
    {
        return Ok(Some(offset));
    }
    let expected = log
        .recent
        .back()
        .map_or(0, |(_, last, _)| increment_sequence(*last, 1));
    if h.base_sequence != expected {
        return Err(if log.recent.is_empty() && h.base_sequence > 0 {
            ErrorCode::UnknownProducerId
        } else {
            ErrorCode::OutOfOrderSequenceNumber
        });
    }
    log.recent
        .push_back((h.base_sequence, h.last_sequence(), next_offset));
    if log.recent.len() > DEDUP_BATCHES {
        log.recent.pop_front();
    }
    Ok(None)
}
