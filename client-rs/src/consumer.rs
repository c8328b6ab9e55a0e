//! [`Consumer`]: a member of a consumer group.
//!
//! - The first `poll` joins the group (JoinGroup); the broker computes the assignment. A
//!   background task heartbeats every `heartbeat_interval_ms`; when the broker answers
//!   `RebalanceInProgress` (or no longer knows the member), the next `poll` rejoins and a
//!   long-polling fetch in progress is abandoned at once.
//! - Start positions come from the group's committed offsets (OffsetFetch), else from
//!   `auto_offset_reset` (ListOffsets earliest/latest).
//! - One Fetch covers every assigned partition; records below the position are skipped.
//! - Commits are manual by default (`commit`, `commit_offsets`, `commit_consumed`). Auto-commit
//!   (opt-in) commits only offsets of messages already returned to the caller: periodically
//!   during `poll`, before a rejoin, and on `close`.
//! - `close` leaves the group (LeaveGroup) so the others take over at once.

use crate::client::{expect_response, Client};
use crate::config::{AutoOffsetReset, ConsumerConfig};
use crate::connection::ConnSlot;
use crate::error::{Error, Result};
use crate::fetcher::{
    decode_records, fetch, fetch_request, message_stream, FetchTarget, STREAM_BATCH, STREAM_POLL,
};
use crate::record::Message;
use futures::stream::BoxStream;
use rustlog_protocol::messages::fetch::FetchResponse;
use rustlog_protocol::messages::heartbeat::HeartbeatRequest;
use rustlog_protocol::messages::join_group::JoinGroupRequest;
use rustlog_protocol::messages::leave_group::LeaveGroupRequest;
use rustlog_protocol::messages::list_offsets::{ListOffsetsPartition, OffsetSpec};
use rustlog_protocol::messages::offset_commit::{OffsetCommitEntry, OffsetCommitRequest};
use rustlog_protocol::messages::offset_fetch::OffsetFetchRequest;
use rustlog_protocol::{ErrorCode, Request, TopicPartition};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Fallback heartbeat period before the broker told us one.
const HEARTBEAT_INTERVAL_DEFAULT_MS: u64 = 1_000;
/// How long `poll` sleeps between checks while nothing is assigned.
const IDLE_POLL_MS: u64 = 100;
/// How long a poll waits past its deadline for a fetch answer already on its way.
const POLL_GRACE: Duration = Duration::from_millis(50);
/// How long `close` may spend committing and leaving.
const CLOSE_TIMEOUT_MS: u64 = 5_000;

/// Group membership as the broker last confirmed it.
#[derive(Debug, Default)]
struct Membership {
    topics: Vec<String>,
    member_id: Option<String>,
    generation_id: i32,
    assignment: Vec<TopicPartition>,
    joined: bool,
    joining: bool,
    needs_rejoin: bool,
    heartbeat_interval_ms: u64,
}

/// A fetch sent ahead while the caller works through the buffer.
#[derive(Debug)]
struct Prefetch {
    /// The (topic, partition, offset) list it asked for; stale once positions moved.
    asked: Vec<(Arc<str>, u32, u64)>,
    task: tokio::task::JoinHandle<Result<FetchResponse>>,
}

fn asked(targets: &[FetchTarget]) -> Vec<(Arc<str>, u32, u64)> {
    targets
        .iter()
        .map(|t| (t.topic.clone(), t.partition, t.offset))
        .collect()
}

/// What `poll` owns: fetch positions and fetched messages not yet handed out.
#[derive(Debug)]
struct FetchState {
    prefetch: Option<Prefetch>,
    /// Next offset to fetch per assigned partition.
    fetch_offsets: HashMap<TopicPartition, u64>,
    buffer: VecDeque<Message>,
    last_auto_commit: Instant,
    topic_names: HashMap<String, Arc<str>>,
}

/// A consumer-group member. Cheap to clone; clones share membership and position.
#[derive(Debug, Clone)]
pub struct Consumer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: Client,
    config: ConsumerConfig,
    /// Fetches only, so long polls never delay group traffic.
    fetch_slot: ConnSlot,
    /// Join, heartbeat, commit, offset fetch, leave.
    group_slot: ConnSlot,
    membership: Mutex<Membership>,
    /// Set by the heartbeat task when the group rebalances.
    rejoin: Notify,
    fetch: tokio::sync::Mutex<FetchState>,
    /// Next offset to hand out per partition (what `position` reports).
    positions: Mutex<HashMap<TopicPartition, u64>>,
    /// Offsets after the last message handed out, not committed yet (auto-commit's input).
    delivered: Mutex<HashMap<TopicPartition, u64>>,
    /// Seeks not applied to the fetch state yet.
    seeks: Mutex<HashMap<TopicPartition, u64>>,
    closed: AtomicBool,
    heartbeat: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.heartbeat).take() {
            task.abort();
        }
    }
}

impl Consumer {
    pub(crate) fn new(client: Client, config: ConsumerConfig) -> Result<Consumer> {
        config.validate()?;
        let membership = Membership {
            topics: config.topics.clone(),
            heartbeat_interval_ms: HEARTBEAT_INTERVAL_DEFAULT_MS,
            ..Membership::default()
        };
        Ok(Consumer {
            inner: Arc::new(Inner {
                fetch_slot: client.new_slot(),
                group_slot: client.new_slot(),
                client,
                config,
                membership: Mutex::new(membership),
                rejoin: Notify::new(),
                fetch: tokio::sync::Mutex::new(FetchState {
                    prefetch: None,
                    fetch_offsets: HashMap::new(),
                    buffer: VecDeque::new(),
                    last_auto_commit: Instant::now(),
                    topic_names: HashMap::new(),
                }),
                positions: Mutex::new(HashMap::new()),
                delivered: Mutex::new(HashMap::new()),
                seeks: Mutex::new(HashMap::new()),
                closed: AtomicBool::new(false),
                heartbeat: Mutex::new(None),
            }),
        })
    }

    /// The settings of this consumer.
    pub fn config(&self) -> &ConsumerConfig {
        &self.inner.config
    }

    /// The group id.
    pub fn group_id(&self) -> &str {
        &self.inner.config.group_id
    }

    /// Replaces the subscription; the next `poll` rejoins the group with it.
    pub fn subscribe(&self, topics: &[&str]) -> Result<()> {
        for topic in topics {
            rustlog_protocol::names::validate_topic_name(topic).map_err(|e| Error::rejected(&e))?;
        }
        let mut m = lock(&self.inner.membership);
        m.topics = topics.iter().map(|t| (*t).to_string()).collect();
        m.needs_rejoin = true;
        drop(m);
        self.inner.rejoin.notify_one();
        Ok(())
    }

    /// The subscribed topics.
    pub fn subscription(&self) -> Vec<String> {
        lock(&self.inner.membership).topics.clone()
    }

    /// The partitions assigned in the current generation (empty before the first join).
    pub fn assignment(&self) -> Vec<TopicPartition> {
        lock(&self.inner.membership).assignment.clone()
    }

    /// The member id the broker gave this consumer, once joined.
    pub fn member_id(&self) -> Option<String> {
        lock(&self.inner.membership).member_id.clone()
    }

    /// The current generation id (0 before the first join).
    pub fn generation_id(&self) -> i32 {
        lock(&self.inner.membership).generation_id
    }

    /// The offset of the next message `poll` returns for `tp`, if known.
    pub fn position(&self, topic: &str, partition: u32) -> Option<u64> {
        lock(&self.inner.positions)
            .get(&tp(topic, partition))
            .copied()
    }

    /// Moves `tp` to `offset`; applies before the next fetch (buffered messages of the
    /// partition are dropped). Only assigned partitions can be moved.
    pub fn seek(&self, topic: &str, partition: u32, offset: u64) -> Result<()> {
        let key = tp(topic, partition);
        if !lock(&self.inner.membership).assignment.contains(&key) {
            return Err(Error::invalid(format!(
                "cannot seek {topic}/{partition}: it is not assigned to this consumer"
            )));
        }
        lock(&self.inner.seeks).insert(key.clone(), offset);
        lock(&self.inner.positions).insert(key, offset);
        Ok(())
    }

    /// The next message, waiting up to `timeout`; `Ok(None)` when none arrived in time.
    ///
    /// Joining or rejoining the group may take longer than `timeout` (at most the rebalance
    /// timeout plus the request timeout).
    pub async fn poll(&self, timeout: Duration) -> Result<Option<Message>> {
        Ok(self.poll_batch(1, timeout).await?.pop())
    }

    /// Up to `max_messages` messages, waiting up to `timeout` for the first one.
    pub async fn poll_batch(&self, max_messages: usize, timeout: Duration) -> Result<Vec<Message>> {
        let inner = &self.inner;
        let deadline = Instant::now() + timeout;
        let mut state = inner.fetch.lock().await;
        loop {
            if inner.closed.load(Ordering::Acquire) {
                if let Some(p) = state.prefetch.take() {
                    p.task.abort();
                }
                return Err(Error::Closed { what: "consumer" });
            }
            let (joined, needs_rejoin) = {
                let m = lock(&inner.membership);
                (m.joined, m.needs_rejoin)
            };
            if !joined || needs_rejoin {
                if joined && inner.config.enable_auto_commit {
                    // Best effort: the old generation may already be gone.
                    let _ = self.commit_consumed().await;
                }
                self.join(&mut state).await?;
            }
            self.apply_seeks(&mut state);
            if inner.config.enable_auto_commit
                && state.last_auto_commit.elapsed()
                    >= Duration::from_millis(inner.config.auto_commit_interval_ms)
            {
                state.last_auto_commit = Instant::now();
                if let Err(e) = self.commit_consumed().await {
                    tracing::debug!(error = %e, "auto-commit failed");
                }
            }
            if !state.buffer.is_empty() {
                return Ok(self.hand_out(&mut state, max_messages.max(1)));
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if state.fetch_offsets.is_empty() {
                if remaining.is_zero() {
                    return Ok(Vec::new());
                }
                let nap = remaining.min(Duration::from_millis(IDLE_POLL_MS));
                tokio::select! {
                    () = inner.rejoin.notified() => {}
                    () = tokio::time::sleep(nap) => {}
                }
                continue;
            }
            let wait_ms = u32::try_from(remaining.as_millis())
                .unwrap_or(u32::MAX)
                .min(inner.config.fetch_max_wait_ms);
            let fetched = tokio::select! {
                r = self.fetch_once(&mut state, wait_ms, deadline) => Some(r),
                () = inner.rejoin.notified() => None,
            };
            match fetched {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(e),
                // A rebalance started: rejoin now rather than after the long poll.
                None => continue,
            }
            if state.buffer.is_empty() && Instant::now() >= deadline {
                return Ok(Vec::new());
            }
        }
    }

    /// Takes messages off the buffer and records them as handed out (one map update per
    /// partition, not per message).
    fn hand_out(&self, state: &mut FetchState, max_messages: usize) -> Vec<Message> {
        let take = max_messages.min(state.buffer.len());
        let out: Vec<Message> = state.buffer.drain(..take).collect();
        let mut last: Vec<(&Arc<str>, u32, u64)> = Vec::new();
        for message in &out {
            let next = message.offset + 1;
            match last
                .iter_mut()
                .find(|(t, p, _)| *p == message.partition && Arc::ptr_eq(t, &message.topic))
            {
                Some(entry) => entry.2 = entry.2.max(next),
                None => last.push((&message.topic, message.partition, next)),
            }
        }
        let mut positions = lock(&self.inner.positions);
        let mut delivered = lock(&self.inner.delivered);
        for (topic, partition, next) in last {
            let key = tp(topic, partition);
            positions.insert(key.clone(), next);
            delivered.insert(key, next);
        }
        drop(positions);
        drop(delivered);
        out
    }

    fn apply_seeks(&self, state: &mut FetchState) {
        let seeks: Vec<(TopicPartition, u64)> = lock(&self.inner.seeks).drain().collect();
        for (key, offset) in seeks {
            if state.fetch_offsets.contains_key(&key) {
                state
                    .buffer
                    .retain(|m| !(m.partition == key.partition && *m.topic == *key.topic));
                state.fetch_offsets.insert(key, offset);
            }
        }
    }

    /// The fetch targets of every assigned partition, sorted.
    fn targets(state: &mut FetchState) -> Vec<FetchTarget> {
        let mut targets: Vec<FetchTarget> = Vec::with_capacity(state.fetch_offsets.len());
        for (key, offset) in &state.fetch_offsets {
            let topic = match state.topic_names.get(&key.topic) {
                Some(name) => name.clone(),
                None => {
                    let name: Arc<str> = Arc::from(key.topic.as_str());
                    state.topic_names.insert(key.topic.clone(), name.clone());
                    name
                }
            };
            targets.push(FetchTarget {
                topic,
                partition: key.partition,
                offset: *offset,
            });
        }
        targets.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        targets
    }

    /// Sends a fetch in the background (on the fetch connection).
    fn spawn_fetch(&self, targets: &[FetchTarget], wait_ms: u32) -> Prefetch {
        let request = fetch_request(
            targets,
            wait_ms,
            self.inner.config.fetch_max_bytes,
            self.inner.config.partition_fetch_bytes,
        );
        let inner = self.inner.clone();
        Prefetch {
            asked: asked(targets),
            task: tokio::spawn(async move { fetch(&inner.fetch_slot, &request).await }),
        }
    }

    /// One fetch over every assigned partition: the prefetch sent after the previous fetch
    /// when it still asks for the current positions, else a new one. Waits until `deadline`
    /// (plus a small grace); a fetch still running then is kept for the next poll.
    async fn fetch_once(
        &self,
        state: &mut FetchState,
        wait_ms: u32,
        deadline: Instant,
    ) -> Result<()> {
        let inner = &self.inner;
        let targets = Self::targets(state);
        let mut pending = match state.prefetch.take() {
            Some(p) if p.asked == asked(&targets) => p,
            stale => {
                if let Some(p) = stale {
                    p.task.abort();
                }
                self.spawn_fetch(&targets, wait_ms)
            }
        };
        let response = match tokio::time::timeout_at(deadline + POLL_GRACE, &mut pending.task).await
        {
            Ok(Ok(result)) => result?,
            Ok(Err(e)) => return Err(Error::violation(format!("fetch task failed: {e}"))),
            Err(_) => {
                state.prefetch = Some(pending);
                return Ok(());
            }
        };
        let mut out_of_range = Vec::new();
        for part in response.partitions {
            let key = tp(&part.topic, part.partition);
            let Some(&from) = state.fetch_offsets.get(&key) else {
                continue;
            };
            match part.error_code {
                ErrorCode::None => {
                    let topic = state
                        .topic_names
                        .entry(key.topic.clone())
                        .or_insert_with(|| Arc::from(key.topic.as_str()))
                        .clone();
                    let next = decode_records(
                        &topic,
                        part.partition,
                        &part.records,
                        from,
                        &mut state.buffer,
                    )?;
                    state.fetch_offsets.insert(key, next);
                }
                ErrorCode::OffsetOutOfRange => out_of_range.push(key),
                code if code.is_retriable() => {}
                code => {
                    return Err(Error::broker(
                        code,
                        format!("fetch {}/{} at offset {from}", key.topic, key.partition),
                    ))
                }
            }
        }
        if !out_of_range.is_empty() {
            let reset = self.reset_offsets(&out_of_range).await?;
            for (key, offset) in reset {
                lock(&inner.positions).insert(key.clone(), offset);
                state.fetch_offsets.insert(key, offset);
            }
        }
        // More is likely where data came from: ask for it while the caller works.
        if !state.buffer.is_empty() && !state.fetch_offsets.is_empty() {
            let targets = Self::targets(state);
            state.prefetch = Some(self.spawn_fetch(&targets, inner.config.fetch_max_wait_ms));
        }
        Ok(())
    }

    /// Start offsets per `auto_offset_reset` for partitions without a usable position.
    async fn reset_offsets(&self, keys: &[TopicPartition]) -> Result<Vec<(TopicPartition, u64)>> {
        let spec = match self.inner.config.auto_offset_reset {
            AutoOffsetReset::Earliest => OffsetSpec::Earliest,
            AutoOffsetReset::Latest => OffsetSpec::Latest,
            AutoOffsetReset::None => {
                let list: Vec<String> = keys
                    .iter()
                    .map(|k| format!("{}/{}", k.topic, k.partition))
                    .collect();
                return Err(Error::Rejected {
                    code: ErrorCode::OffsetOutOfRange,
                    message: format!(
                        "no valid position for {} and auto_offset_reset is none",
                        list.join(", ")
                    ),
                });
            }
        };
        let asked = keys
            .iter()
            .map(|k| ListOffsetsPartition {
                topic: k.topic.clone(),
                partition: k.partition,
                spec,
            })
            .collect();
        let found = self.inner.client.list_offsets(asked).await?;
        let mut out = Vec::with_capacity(keys.len());
        for (key, result) in keys.iter().zip(found) {
            let offset = result?.ok_or_else(|| {
                Error::violation(format!(
                    "no {spec:?} offset for {}/{}",
                    key.topic, key.partition
                ))
            })?;
            out.push((key.clone(), offset));
        }
        Ok(out)
    }

    /// Joins (or rejoins) the group and resets positions for the new assignment.
    async fn join(&self, state: &mut FetchState) -> Result<()> {
        let inner = &self.inner;
        let config = &inner.config;
        let deadline = Instant::now()
            + Duration::from_millis(u64::from(config.rebalance_timeout_ms))
            + inner.client.config().request_timeout;
        let response = loop {
            let (member_id, topics) = {
                let mut m = lock(&inner.membership);
                m.joining = true;
                (m.member_id.clone(), m.topics.clone())
            };
            if topics.is_empty() {
                lock(&inner.membership).joining = false;
                return Err(Error::invalid(
                    "consumer has no topics: set ConsumerConfig::topics or call subscribe",
                ));
            }
            let request = Request::JoinGroup(JoinGroupRequest {
                group_id: config.group_id.clone(),
                member_id: member_id.clone(),
                client_id: inner.client.config().client_id.clone(),
                topics,
                session_timeout_ms: config.session_timeout_ms,
                rebalance_timeout_ms: config.rebalance_timeout_ms,
                assignor: config.assignor,
            });
            let result = inner.group_slot.call(&request, deadline).await;
            match result.and_then(|r| expect_response!(r, JoinGroup)) {
                Ok(response) => break response,
                // Forgotten by the broker (session expired): join as a new member.
                Err(Error::Broker {
                    code: ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration,
                    ..
                }) if member_id.is_some() && Instant::now() < deadline => {
                    lock(&inner.membership).member_id = None;
                }
                Err(e) => {
                    lock(&inner.membership).joining = false;
                    return Err(e);
                }
            }
        };
        let assignment: Vec<TopicPartition> = response
            .assignment
            .iter()
            .flat_map(|tps| tps.partitions.iter().map(move |p| tp(&tps.topic, *p)))
            .collect();
        tracing::debug!(group = %config.group_id, member = %response.member_id, generation = response.generation_id, partitions = assignment.len(), "joined group");
        {
            let mut m = lock(&inner.membership);
            m.member_id = Some(response.member_id.clone());
            m.generation_id = response.generation_id;
            m.assignment = assignment.clone();
            m.joined = true;
            m.joining = false;
            m.needs_rejoin = false;
            m.heartbeat_interval_ms = u64::from(response.heartbeat_interval_ms.max(1));
        }
        self.start_heartbeat();
        // Positions for the new assignment: committed offsets, else the reset policy.
        if let Some(p) = state.prefetch.take() {
            p.task.abort();
        }
        state.buffer.clear();
        state.fetch_offsets.clear();
        lock(&inner.seeks).clear();
        {
            let mut positions = lock(&inner.positions);
            positions.retain(|k, _| assignment.contains(k));
            lock(&inner.delivered).retain(|k, _| assignment.contains(k));
        }
        if assignment.is_empty() {
            return Ok(());
        }
        let committed = self.committed(&assignment).await?;
        let mut missing = Vec::new();
        for (key, offset) in assignment.iter().zip(committed) {
            match offset {
                Some(offset) => {
                    state.fetch_offsets.insert(key.clone(), offset);
                }
                None => missing.push(key.clone()),
            }
        }
        if !missing.is_empty() {
            for (key, offset) in self.reset_offsets(&missing).await? {
                state.fetch_offsets.insert(key, offset);
            }
        }
        let mut positions = lock(&inner.positions);
        for (key, offset) in &state.fetch_offsets {
            positions.insert(key.clone(), *offset);
        }
        Ok(())
    }

    fn start_heartbeat(&self) {
        let mut slot = lock(&self.inner.heartbeat);
        if slot.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        *slot = Some(tokio::spawn(heartbeat_loop(weak)));
    }

    /// The group's committed offsets for `partitions` (`None` where nothing is committed).
    pub async fn committed(&self, partitions: &[TopicPartition]) -> Result<Vec<Option<u64>>> {
        let request = Request::OffsetFetch(OffsetFetchRequest {
            group_id: self.inner.config.group_id.clone(),
            partitions: Some(partitions.to_vec()),
        });
        let deadline = self.inner.client.deadline();
        let response = expect_response!(
            self.inner.group_slot.call(&request, deadline).await?,
            OffsetFetch
        )?;
        let mut out = Vec::with_capacity(partitions.len());
        for key in partitions {
            let entry = response
                .offsets
                .iter()
                .find(|o| o.topic == key.topic && o.partition == key.partition);
            out.push(match entry {
                None => None,
                Some(o) if o.error_code == ErrorCode::None => o.offset,
                Some(o) => {
                    return Err(Error::broker(
                        o.error_code,
                        format!("offset fetch of {}/{}", key.topic, key.partition),
                    ))
                }
            });
        }
        Ok(out)
    }

    /// Commits `message.offset + 1` for the message's partition (the next offset to consume).
    pub async fn commit(&self, message: &Message) -> Result<()> {
        self.commit_offsets(&[(tp(&message.topic, message.partition), message.offset + 1)])
            .await
    }

    /// Commits explicit offsets (each the *next* offset to consume) in one request. Fails with
    /// `Closed` after `close`.
    pub async fn commit_offsets(&self, offsets: &[(TopicPartition, u64)]) -> Result<()> {
        self.ensure_open()?;
        self.send_commit(offsets).await
    }

    fn ensure_open(&self) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(Error::Closed { what: "consumer" });
        }
        Ok(())
    }

    /// The OffsetCommit round trip behind every commit (also `close`'s final auto-commit, which
    /// runs after the consumer is marked closed).
    async fn send_commit(&self, offsets: &[(TopicPartition, u64)]) -> Result<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        let (generation_id, member_id) = {
            let m = lock(&self.inner.membership);
            if m.joined {
                (Some(m.generation_id), m.member_id.clone())
            } else {
                (None, None)
            }
        };
        let request = Request::OffsetCommit(OffsetCommitRequest {
            group_id: self.inner.config.group_id.clone(),
            generation_id,
            member_id,
            offsets: offsets
                .iter()
                .map(|(key, offset)| OffsetCommitEntry {
                    topic: key.topic.clone(),
                    partition: key.partition,
                    offset: *offset,
                    metadata: None,
                })
                .collect(),
        });
        let deadline = self.inner.client.deadline();
        let result = self
            .inner
            .group_slot
            .call_no_broker_retry(&request, deadline)
            .await
            .and_then(|r| expect_response!(r, OffsetCommit));
        let response = match result {
            Ok(response) => response,
            Err(e) => {
                self.note_group_error(&e);
                return Err(e);
            }
        };
        for part in &response.partitions {
            if part.error_code != ErrorCode::None {
                let e = Error::broker(
                    part.error_code,
                    format!("commit of {}/{}", part.topic, part.partition),
                );
                self.note_group_error(&e);
                return Err(e);
            }
        }
        // Committed offsets need not be committed again by auto-commit.
        let mut delivered = lock(&self.inner.delivered);
        for (key, offset) in offsets {
            if delivered.get(key).is_some_and(|d| d <= offset) {
                delivered.remove(key);
            }
        }
        Ok(())
    }

    /// Commits the position after every message already returned by `poll` (what auto-commit
    /// does); a no-op when there is nothing new. Fails with `Closed` after `close`.
    pub async fn commit_consumed(&self) -> Result<()> {
        self.ensure_open()?;
        self.send_commit(&self.consumed_offsets()).await
    }

    /// The position after every message already returned by `poll`, per partition.
    fn consumed_offsets(&self) -> Vec<(TopicPartition, u64)> {
        lock(&self.inner.delivered)
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// A group error means the membership is stale: rejoin on the next poll.
    fn note_group_error(&self, e: &Error) {
        if matches!(
            e.kind(),
            ErrorCode::RebalanceInProgress
                | ErrorCode::IllegalGeneration
                | ErrorCode::UnknownMemberId
        ) {
            let mut m = lock(&self.inner.membership);
            m.needs_rejoin = true;
            if e.kind() == ErrorCode::UnknownMemberId {
                m.member_id = None;
            }
            drop(m);
            self.inner.rejoin.notify_one();
        }
    }

    /// Messages as a (boxed, `Unpin`) stream; ends after `close`.
    pub fn stream(&self) -> BoxStream<'static, Result<Message>> {
        let consumer = self.clone();
        message_stream(move || {
            let consumer = consumer.clone();
            async move { consumer.poll_batch(STREAM_BATCH, STREAM_POLL).await }
        })
    }

    /// Commits consumed offsets when auto-commit is on, leaves the group and stops
    /// heartbeating. Later polls fail with `Closed`. Idempotent.
    pub async fn close(&self) -> Result<()> {
        let inner = &self.inner;
        if inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        inner.rejoin.notify_one();
        let mut first_error = None;
        let joined = lock(&inner.membership).joined;
        if joined && inner.config.enable_auto_commit {
            if let Err(e) = self.send_commit(&self.consumed_offsets()).await {
                first_error.get_or_insert(e);
            }
        }
        if let Some(task) = lock(&inner.heartbeat).take() {
            task.abort();
        }
        let member_id = {
            let mut m = lock(&inner.membership);
            m.joined = false;
            m.assignment.clear();
            m.member_id.take()
        };
        if let (true, Some(member_id)) = (joined, member_id) {
            let request = Request::LeaveGroup(LeaveGroupRequest {
                group_id: inner.config.group_id.clone(),
                member_id,
            });
            let deadline = Instant::now() + Duration::from_millis(CLOSE_TIMEOUT_MS);
            if let Err(e) = inner.group_slot.call(&request, deadline).await {
                // The broker forgets us after the session timeout anyway.
                if e.kind() != ErrorCode::UnknownMemberId {
                    first_error.get_or_insert(e);
                }
            }
        }
        inner.fetch_slot.reset();
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }
}

fn tp(topic: &str, partition: u32) -> TopicPartition {
    TopicPartition {
        topic: topic.to_string(),
        partition,
    }
}

/// Heartbeats while the consumer lives; flags a rejoin when the broker asks for one.
async fn heartbeat_loop(weak: Weak<Inner>) {
    loop {
        let interval = match weak.upgrade() {
            Some(inner) => lock(&inner.membership).heartbeat_interval_ms,
            None => return,
        };
        tokio::time::sleep(Duration::from_millis(interval)).await;
        let Some(inner) = weak.upgrade() else { return };
        if inner.closed.load(Ordering::Acquire) {
            return;
        }
        let (member_id, generation_id) = {
            let m = lock(&inner.membership);
            if !m.joined || m.joining || m.needs_rejoin {
                continue;
            }
            match &m.member_id {
                Some(id) => (id.clone(), m.generation_id),
                None => continue,
            }
        };
        let request = Request::Heartbeat(HeartbeatRequest {
            group_id: inner.config.group_id.clone(),
            member_id,
            generation_id,
        });
        let session = Duration::from_millis(u64::from(inner.config.session_timeout_ms));
        let deadline = Instant::now() + session.min(inner.client.config().request_timeout);
        match inner
            .group_slot
            .call_no_broker_retry(&request, deadline)
            .await
        {
            Ok(_) => {}
            Err(e) => match e.kind() {
                ErrorCode::RebalanceInProgress
                | ErrorCode::IllegalGeneration
                | ErrorCode::UnknownMemberId => {
                    let mut m = lock(&inner.membership);
                    if m.generation_id == generation_id {
                        m.needs_rejoin = true;
                        if e.kind() == ErrorCode::UnknownMemberId {
                            m.member_id = None;
                        }
                    }
                    drop(m);
                    inner.rejoin.notify_one();
                }
                _ => tracing::debug!(error = %e, "heartbeat failed"),
            },
        }
    }
}
