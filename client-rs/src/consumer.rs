//! [`Consumer`]: a member of a consumer group.
//!
//! - The first `poll` joins the group (JoinGroup); the broker computes the assignment. A
//!   background task heartbeats every `heartbeat_interval_ms`; when the broker answers
//!   `RebalanceInProgress` (or no longer knows the member), the next `poll` rejoins and a
//!   long-polling fetch in progress is abandoned at once.
//! - Start positions come from the group's committed offsets (OffsetFetch), else from
//!   `auto_offset_reset` (ListOffsets earliest/latest). A partition the same member keeps
//!   across a rebalance goes on from its position, so nothing handed out is handed out again.
//! - One Fetch covers every assigned partition; records below the position are skipped. A
//!   background task (`FetchAhead`) fetches and decodes the next response while the caller
//!   works through the last; a seek or a rebalance stops it and it restarts from the new
//!   positions.
//! - Commits are manual by default (`commit`, `commit_offsets`, `commit_consumed`). Auto-commit
//!   (opt-in) commits only offsets of messages already returned to the caller: periodically
//!   during `poll`, before a rejoin, and on `close`.
//! - `close` leaves the group (LeaveGroup) so the others take over at once.
//! - A [`RebalanceListener`] set with `set_rebalance_listener` runs inside `poll` around each
//!   rebalance (revoked before the rejoin, assigned after it) and in `close`; `events()` streams
//!   [`ConsumerEvent`]s (joins, rebalances, heartbeats, commits, stop) for instrumentation.
//! - `pause` / `resume` stop and restart fetching of assigned partitions without leaving the
//!   group (what was fetched of a paused partition and not handed out is fetched again later).
//! - A consumer that does not poll for `max_poll_interval_ms` (a hung handler) leaves the group
//!   from its heartbeat task, so the others take its partitions; its next poll rejoins, and its
//!   commits fail until then.

use crate::client::{expect_response, Client};
use crate::config::{AutoOffsetReset, ConsumerConfig};
use crate::connection::ConnSlot;
use crate::error::{Error, Result};
use crate::fetcher::{
    buffer_messages, message_stream, take_buffered, FetchAhead, FetchSettings, FetchTarget,
    Fetched, STREAM_BATCH, STREAM_POLL,
};
use crate::rebalance::{ConsumerEvent, Hooks, RebalanceListener};
use crate::record::Message;
use futures::stream::BoxStream;
use parking_lot::Mutex;
use rustlog_protocol::messages::heartbeat::HeartbeatRequest;
use rustlog_protocol::messages::join_group::JoinGroupRequest;
use rustlog_protocol::messages::leave_group::LeaveGroupRequest;
use rustlog_protocol::messages::list_offsets::{ListOffsetsPartition, OffsetSpec};
use rustlog_protocol::messages::offset_commit::{OffsetCommitEntry, OffsetCommitRequest};
use rustlog_protocol::messages::offset_fetch::OffsetFetchRequest;
use rustlog_protocol::{ErrorCode, Request, TopicPartition};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
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
    /// Left the group after `max_poll_interval_ms` without a poll; cleared by the next join.
    evicted: bool,
    /// The assignment an eviction took away, for the listener's `on_partitions_lost`.
    lost: Vec<TopicPartition>,
    heartbeat_interval_ms: u64,
    /// Partitions the application named with `assign` (start offsets where it gave them):
    /// no group is joined; `needs_rejoin` means "apply them at the next poll".
    manual: Option<Vec<(TopicPartition, Option<u64>)>>,
}

/// What `poll` owns: fetch positions and fetched messages not yet handed out.
#[derive(Debug)]
struct FetchState {
    /// Fetches and decodes ahead from `fetch_offsets`; dropped (stopping it) whenever
    /// `fetch_offsets` change other than by applying its own results.
    ahead: Option<FetchAhead>,
    /// Next offset to fetch per assigned partition.
    fetch_offsets: HashMap<TopicPartition, u64>,
    buffer: VecDeque<Message>,
    last_auto_commit: Instant,
    topic_names: HashMap<String, Arc<str>>,
    /// Assigned partitions not fetched (a copy of `Inner::paused` as last applied).
    paused: HashSet<TopicPartition>,
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
    fetch_slot: Arc<ConnSlot>,
    /// Join, heartbeat, commit, offset fetch, leave.
    group_slot: ConnSlot,
    membership: Mutex<Membership>,
    /// Set by the heartbeat task when the group rebalances.
    rejoin: Notify,
    fetch: tokio::sync::Mutex<FetchState>,
    /// Next offset to hand out per partition (what `position` reports).
    positions: Mutex<HashMap<TopicPartition, u64>>,
    /// The high watermark each partition's latest fetch response reported.
    high_watermarks: Mutex<HashMap<TopicPartition, u64>>,
    /// Offsets after the last message handed out, not committed yet (auto-commit's input).
    delivered: Mutex<HashMap<TopicPartition, u64>>,
    /// Seeks not applied to the fetch state yet.
    seeks: Mutex<HashMap<TopicPartition, u64>>,
    /// Paused partitions; `pause_changed` tells `poll` to apply them.
    paused: Mutex<HashSet<TopicPartition>>,
    pause_changed: AtomicBool,
    /// When the last poll returned, and how many run now (`max_poll_interval_ms`).
    last_poll: Mutex<Instant>,
    polls_running: AtomicUsize,
    hooks: Hooks,
    closed: AtomicBool,
    heartbeat: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.heartbeat.lock().take() {
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
                fetch_slot: Arc::new(client.new_slot()),
                group_slot: client.new_slot(),
                client,
                config,
                membership: Mutex::new(membership),
                rejoin: Notify::new(),
                fetch: tokio::sync::Mutex::new(FetchState {
                    ahead: None,
                    fetch_offsets: HashMap::new(),
                    buffer: VecDeque::new(),
                    last_auto_commit: Instant::now(),
                    topic_names: HashMap::new(),
                    paused: HashSet::new(),
                }),
                positions: Mutex::new(HashMap::new()),
                high_watermarks: Mutex::new(HashMap::new()),
                delivered: Mutex::new(HashMap::new()),
                seeks: Mutex::new(HashMap::new()),
                paused: Mutex::new(HashSet::new()),
                pause_changed: AtomicBool::new(false),
                last_poll: Mutex::new(Instant::now()),
                polls_running: AtomicUsize::new(0),
                hooks: Hooks::new(),
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
        if self.inner.config.group_id.is_empty() {
            return Err(Error::invalid(
                "subscribe needs a group id; a consumer without one reads the partitions given to assign",
            ));
        }
        let mut m = self.inner.membership.lock();
        if m.manual.is_some() {
            return Err(Error::invalid(
                "this consumer has partitions from assign: subscribe and assign cannot be mixed",
            ));
        }
        m.topics = topics.iter().map(|t| (*t).to_string()).collect();
        m.needs_rejoin = true;
        drop(m);
        self.inner.rejoin.notify_one();
        Ok(())
    }

    /// Reads exactly `partitions` (Kafka's `assign`), replacing any earlier assignment, without
    /// joining a group: no rebalance moves them and no other member shares them. Each starts at
    /// the offset given, else where it is now (a partition kept from the previous assignment),
    /// else at the group's committed offset (with a group id), else per `auto_offset_reset`;
    /// a kept partition stays paused if it was. Every partition must exist; an unknown one changes nothing. Commits need a group id
    /// (they are stored for it, outside any generation). Cannot be mixed with `subscribe`.
    pub async fn assign(&self, partitions: &[(TopicPartition, Option<u64>)]) -> Result<()> {
        self.ensure_open()?;
        if !self.inner.membership.lock().topics.is_empty() {
            return Err(Error::invalid(
                "this consumer is subscribed to topics: subscribe and assign cannot be mixed",
            ));
        }
        for (key, _) in partitions {
            let count = self.inner.client.partition_count(&key.topic).await?;
            if key.partition >= count {
                return Err(Error::Rejected {
                    code: ErrorCode::PartitionNotFound,
                    message: format!(
                        "cannot assign {}/{}: the topic has {count} partitions",
                        key.topic, key.partition
                    ),
                });
            }
        }
        let mut m = self.inner.membership.lock();
        m.manual = Some(partitions.to_vec());
        // At once, as in Kafka: `seek` and `pause` take them before the next poll.
        m.assignment = partitions.iter().map(|(k, _)| k.clone()).collect();
        m.needs_rejoin = true;
        drop(m);
        self.inner.rejoin.notify_one();
        Ok(())
    }

    /// Gives up every partition of `assign` (positions are forgotten); polls return nothing
    /// until the next `assign`. A no-op for a consumer that never assigned.
    pub fn unassign(&self) {
        let mut m = self.inner.membership.lock();
        if m.manual.is_some() {
            m.manual = Some(Vec::new());
            m.assignment.clear();
            m.needs_rejoin = true;
            drop(m);
            self.inner.rejoin.notify_one();
        }
    }

    /// The subscribed topics.
    pub fn subscription(&self) -> Vec<String> {
        self.inner.membership.lock().topics.clone()
    }

    /// The partitions assigned in the current generation (empty before the first join).
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.inner.membership.lock().assignment.clone()
    }

    /// The member id the broker gave this consumer, once joined.
    pub fn member_id(&self) -> Option<String> {
        self.inner.membership.lock().member_id.clone()
    }

    /// The current generation id (0 before the first join).
    pub fn generation_id(&self) -> i32 {
        self.inner.membership.lock().generation_id
    }

    /// The offset of the next message `poll` returns for `tp`, if known.
    pub fn position(&self, topic: &str, partition: u32) -> Option<u64> {
        self.inner
            .positions
            .lock()
            .get(&tp(topic, partition))
            .copied()
    }

    /// The high watermark (last offset + 1) the latest fetch of `topic`/`partition` reported,
    /// `None` before one did (and for partitions no longer assigned). It costs no request: every fetch response carries it, so callers
    /// computing lag per batch (KafkaJS's `batch.highWatermark`) need no ListOffsets. Fetches
    /// run ahead of `poll`, so it may be newer than the messages polled so far.
    pub fn high_watermark(&self, topic: &str, partition: u32) -> Option<u64> {
        self.inner
            .high_watermarks
            .lock()
            .get(&tp(topic, partition))
            .copied()
    }

    /// Moves `tp` to `offset`; applies before the next fetch (buffered messages of the
    /// partition are dropped). Only assigned partitions can be moved.
    pub fn seek(&self, topic: &str, partition: u32, offset: u64) -> Result<()> {
        let key = tp(topic, partition);
        if !self.inner.membership.lock().assignment.contains(&key) {
            return Err(Error::invalid(format!(
                "cannot seek {topic}/{partition}: it is not assigned to this consumer"
            )));
        }
        self.inner.seeks.lock().insert(key.clone(), offset);
        self.inner.positions.lock().insert(key, offset);
        Ok(())
    }

    /// Runs `listener` around every rebalance from now on (replacing any other). Its hooks run
    /// inside `poll` and `close` and must not call `poll` themselves.
    pub fn set_rebalance_listener(&self, listener: impl RebalanceListener) {
        self.inner.hooks.set_listener(Some(Arc::new(listener)));
    }

    /// Removes the rebalance listener.
    pub fn clear_rebalance_listener(&self) {
        self.inner.hooks.set_listener(None);
    }

    /// A receiver of this consumer's events from now on (each receiver sees every event; one
    /// that falls more than 256 behind skips ahead with `Lagged`).
    pub fn events(&self) -> tokio::sync::broadcast::Receiver<ConsumerEvent> {
        self.inner.hooks.subscribe()
    }

    /// Stops fetching `partitions` (each must be assigned) until `resume`; the consumer stays
    /// in the group and keeps their positions. Messages of them already fetched but not handed
    /// out are dropped and fetched again after `resume`.
    pub fn pause(&self, partitions: &[TopicPartition]) -> Result<()> {
        self.check_assigned(partitions, "pause")?;
        self.inner.paused.lock().extend(partitions.iter().cloned());
        self.pause_changed();
        Ok(())
    }

    /// Fetches `partitions` again from their positions (partitions not paused are ignored).
    pub fn resume(&self, partitions: &[TopicPartition]) -> Result<()> {
        self.check_assigned(partitions, "resume")?;
        let mut paused = self.inner.paused.lock();
        for key in partitions {
            paused.remove(key);
        }
        drop(paused);
        self.pause_changed();
        Ok(())
    }

    /// The paused partitions, sorted.
    pub fn paused(&self) -> Vec<TopicPartition> {
        let mut out: Vec<TopicPartition> = self.inner.paused.lock().iter().cloned().collect();
        out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        out
    }

    fn check_assigned(&self, partitions: &[TopicPartition], what: &str) -> Result<()> {
        let m = self.inner.membership.lock();
        match partitions.iter().find(|p| !m.assignment.contains(p)) {
            Some(p) => Err(Error::invalid(format!(
                "cannot {what} {}/{}: it is not assigned to this consumer",
                p.topic, p.partition
            ))),
            None => Ok(()),
        }
    }

    /// Makes a poll in progress (waiting on a long fetch) apply the change now.
    fn pause_changed(&self) {
        self.inner.pause_changed.store(true, Ordering::Release);
        self.inner.rejoin.notify_one();
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
        let _running = PollRunning::start(&self.inner);
        let inner = &self.inner;
        let deadline = Instant::now() + timeout;
        let mut state = inner.fetch.lock().await;
        loop {
            if inner.closed.load(Ordering::Acquire) {
                state.ahead = None;
                return Err(Error::Closed { what: "consumer" });
            }
            let (joined, needs_rejoin) = {
                let m = inner.membership.lock();
                (m.joined, m.needs_rejoin)
            };
            let manual = inner.membership.lock().manual.clone();
            if let (Some(partitions), true) = (manual, !joined || needs_rejoin) {
                self.apply_assignment(&mut state, partitions).await?;
            } else if !joined || needs_rejoin {
                if joined && inner.config.enable_auto_commit {
                    // Best effort: the old generation may already be gone.
                    let _ = self.commit_consumed().await;
                }
                self.before_rejoin(joined).await;
                self.join(&mut state).await?;
            }
            self.apply_seeks(&mut state);
            self.apply_pauses(&mut state);
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
            let fetching = state
                .fetch_offsets
                .keys()
                .any(|k| !state.paused.contains(k));
            if !fetching {
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
                r = self.fetch_once(&mut state, max_messages, wait_ms, deadline) => Some(r),
                () = inner.rejoin.notified() => None,
            };
            match fetched {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(e),
                // A rebalance started (or a pause): act now rather than after the long poll.
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
        let out = take_buffered(&mut state.buffer, max_messages);
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
        let mut positions = self.inner.positions.lock();
        let mut delivered = self.inner.delivered.lock();
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
        let seeks: Vec<(TopicPartition, u64)> = self.inner.seeks.lock().drain().collect();
        for (key, offset) in seeks {
            if state.fetch_offsets.contains_key(&key) {
                state.ahead = None;
                state
                    .buffer
                    .retain(|m| !(m.partition == key.partition && *m.topic == *key.topic));
                state.fetch_offsets.insert(key, offset);
            }
        }
    }

    /// Applies `pause` / `resume` calls: a paused partition's fetched messages not handed out
    /// are dropped and its fetch offset goes back to its position; the fetch-ahead task
    /// restarts with the new targets.
    fn apply_pauses(&self, state: &mut FetchState) {
        if !self.inner.pause_changed.swap(false, Ordering::AcqRel) {
            return;
        }
        state.paused = self.inner.paused.lock().clone();
        state.ahead = None;
        let positions = self.inner.positions.lock();
        let paused = &state.paused;
        state
            .buffer
            .retain(|m| !paused.contains(&tp(&m.topic, m.partition)));
        for key in paused {
            if let (Some(offset), Some(position)) =
                (state.fetch_offsets.get_mut(key), positions.get(key))
            {
                *offset = *position;
            }
        }
    }

    /// The fetch targets of every assigned partition not paused, sorted.
    fn targets(state: &mut FetchState) -> Vec<FetchTarget> {
        let mut targets: Vec<FetchTarget> = Vec::with_capacity(state.fetch_offsets.len());
        for (key, offset) in &state.fetch_offsets {
            if state.paused.contains(key) {
                continue;
            }
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

    /// Waits (until `deadline`, plus a small grace) for the next response of the fetch-ahead
    /// task, starting one from the current positions if none runs, and applies it; then applies
    /// the responses already decoded behind it while the buffer holds fewer than
    /// `max_messages`. A response still on its way at the deadline is kept for the next poll.
    async fn fetch_once(
        &self,
        state: &mut FetchState,
        max_messages: usize,
        wait_ms: u32,
        deadline: Instant,
    ) -> Result<()> {
        let inner = &self.inner;
        let ahead = match &mut state.ahead {
            Some(ahead) => ahead,
            None => {
                let settings = FetchSettings {
                    max_wait_ms: inner.config.fetch_max_wait_ms,
                    max_bytes: inner.config.fetch_max_bytes,
                    partition_bytes: inner.config.partition_fetch_bytes,
                };
                let targets = Self::targets(state);
                state.ahead.insert(FetchAhead::start(
                    inner.fetch_slot.clone(),
                    targets,
                    wait_ms,
                    settings,
                ))
            }
        };
        let mut next = ahead.next(deadline + POLL_GRACE).await;
        loop {
            let fetched = match next {
                Ok(Some(fetched)) => fetched,
                Ok(None) => return Ok(()),
                Err(e) => {
                    state.ahead = None;
                    return Err(e);
                }
            };
            self.apply_fetched(state, fetched).await?;
            if state.buffer.len() >= max_messages {
                return Ok(());
            }
            next = match &mut state.ahead {
                Some(ahead) => ahead.try_next(),
                None => return Ok(()),
            };
        }
    }

    fn note_high_watermarks(&self, fetched: &Fetched) {
        let mut known = self.inner.high_watermarks.lock();
        for part in &fetched.partitions {
            if let (Some(high), ErrorCode::None) = (part.high_watermark, part.error_code) {
                known.insert(tp(&part.topic, part.partition), high);
            }
        }
    }

    /// Takes one decoded response into the buffer and moves the fetch positions past it; resets
    /// out-of-range partitions; reports a partition's failure after keeping what the others
    /// brought.
    async fn apply_fetched(&self, state: &mut FetchState, fetched: Fetched) -> Result<()> {
        if !fetched.fetched_from(&Self::targets(state)) {
            // Fetched from positions that moved since (a seek, a new assignment).
            state.ahead = None;
            return Ok(());
        }
        let mut out_of_range = Vec::new();
        let mut failure = None;
        self.note_high_watermarks(&fetched);
        for part in &fetched.partitions {
            let key = tp(&part.topic, part.partition);
            match part.error_code {
                ErrorCode::None => {
                    state.fetch_offsets.insert(key, part.next_offset);
                }
                ErrorCode::OffsetOutOfRange => out_of_range.push(key),
                code if code.is_retriable() => {}
                code => {
                    failure.get_or_insert_with(|| {
                        Error::broker(
                            code,
                            format!(
                                "fetch {}/{} at offset {}",
                                part.topic, part.partition, part.from_offset
                            ),
                        )
                    });
                }
            }
        }
        buffer_messages(&mut state.buffer, fetched.messages);
        if let Some(e) = failure {
            // The task stopped at this response; the next poll fetches afresh.
            state.ahead = None;
            return Err(e);
        }
        if !out_of_range.is_empty() {
            state.ahead = None;
            let reset = self.reset_offsets(&out_of_range).await?;
            for (key, offset) in reset {
                self.inner.positions.lock().insert(key.clone(), offset);
                state.fetch_offsets.insert(key, offset);
            }
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

    /// Positions the partitions `assign` named (see there) and makes them the assignment.
    async fn apply_assignment(
        &self,
        state: &mut FetchState,
        partitions: Vec<(TopicPartition, Option<u64>)>,
    ) -> Result<()> {
        let inner = &self.inner;
        let keys: Vec<TopicPartition> = partitions.iter().map(|(k, _)| k.clone()).collect();
        let kept: HashMap<TopicPartition, u64> = {
            let positions = inner.positions.lock();
            keys.iter()
                .filter_map(|k| positions.get(k).map(|o| (k.clone(), *o)))
                .collect()
        };
        // A seek made after `assign` (Kafka's assign-then-seek) decides over everything else.
        let seeks: HashMap<TopicPartition, u64> = inner.seeks.lock().drain().collect();
        let mut starts: HashMap<TopicPartition, u64> = HashMap::new();
        let mut unknown = Vec::new();
        for (key, offset) in partitions {
            let sought = seeks.get(&key).copied();
            match sought.or(offset).or_else(|| kept.get(&key).copied()) {
                Some(offset) => {
                    starts.insert(key, offset);
                }
                None => unknown.push(key),
            }
        }
        if !unknown.is_empty() && !inner.config.group_id.is_empty() {
            let committed = self.committed(&unknown).await?;
            let mut missing = Vec::new();
            for (key, offset) in unknown.into_iter().zip(committed) {
                match offset {
                    Some(offset) => {
                        starts.insert(key, offset);
                    }
                    None => missing.push(key),
                }
            }
            unknown = missing;
        }
        if !unknown.is_empty() {
            starts.extend(self.reset_offsets(&unknown).await?);
        }
        state.ahead = None;
        state.buffer.clear();
        state.fetch_offsets = starts.clone();
        inner.paused.lock().retain(|k| keys.contains(k));
        state.paused = inner.paused.lock().clone();
        *inner.positions.lock() = starts;
        inner.delivered.lock().retain(|k, _| keys.contains(k));
        inner.high_watermarks.lock().retain(|k, _| keys.contains(k));
        let mut m = inner.membership.lock();
        m.assignment = keys;
        m.joined = true;
        m.needs_rejoin = false;
        Ok(())
    }

    /// Tells the listener what the member is about to give up (or has lost) before a rejoin.
    async fn before_rejoin(&self, joined: bool) {
        let (member_id, revoked, lost) = {
            let mut m = self.inner.membership.lock();
            let lost = std::mem::take(&mut m.lost);
            match (joined, m.member_id.is_some()) {
                (true, true) => (m.member_id.clone(), m.assignment.clone(), lost),
                // The broker forgot the member (session expired): nothing is given up cleanly.
                (true, false) => (None, Vec::new(), [lost, m.assignment.clone()].concat()),
                (false, _) => (None, Vec::new(), lost),
            }
        };
        if joined {
            self.inner
                .hooks
                .emit(ConsumerEvent::Rebalancing { member_id });
        }
        let Some(listener) = self.inner.hooks.listener() else {
            return;
        };
        if !revoked.is_empty() {
            listener.on_partitions_revoked(self, &revoked).await;
        }
        if !lost.is_empty() {
            listener.on_partitions_lost(self, &lost).await;
        }
    }

    /// Joins (or rejoins) the group, sets positions for the new assignment, then tells the
    /// listener and the event receivers.
    async fn join(&self, state: &mut FetchState) -> Result<()> {
        self.join_and_position(state).await?;
        let (member_id, generation_id, assignment) = {
            let m = self.inner.membership.lock();
            (
                m.member_id.clone().unwrap_or_default(),
                m.generation_id,
                m.assignment.clone(),
            )
        };
        if let Some(listener) = self.inner.hooks.listener() {
            listener.on_partitions_assigned(self, &assignment).await;
        }
        self.inner.hooks.emit(ConsumerEvent::GroupJoin {
            member_id,
            generation_id,
            assignment,
        });
        Ok(())
    }

    async fn join_and_position(&self, state: &mut FetchState) -> Result<()> {
        let inner = &self.inner;
        let config = &inner.config;
        let deadline = Instant::now()
            + Duration::from_millis(u64::from(config.rebalance_timeout_ms))
            + inner.client.config().request_timeout;
        let previous_member = inner.membership.lock().member_id.clone();
        let response = loop {
            let (member_id, topics) = {
                let mut m = inner.membership.lock();
                m.joining = true;
                (m.member_id.clone(), m.topics.clone())
            };
            if topics.is_empty() {
                inner.membership.lock().joining = false;
                return Err(Error::invalid(
                    "consumer has no topics: set ConsumerConfig::topics, call subscribe, or assign partitions",
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
                    inner.membership.lock().member_id = None;
                }
                Err(e) => {
                    inner.membership.lock().joining = false;
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
            let mut m = inner.membership.lock();
            m.member_id = Some(response.member_id.clone());
            m.generation_id = response.generation_id;
            m.assignment = assignment.clone();
            m.joined = true;
            m.joining = false;
            m.needs_rejoin = false;
            m.evicted = false;
            m.heartbeat_interval_ms = u64::from(response.heartbeat_interval_ms.max(1));
        }
        self.start_heartbeat();
        // Positions the same member keeps: no other member owned these partitions since.
        let kept: HashMap<TopicPartition, u64> =
            if previous_member.as_deref() == Some(response.member_id.as_str()) {
                let positions = inner.positions.lock();
                assignment
                    .iter()
                    .filter_map(|k| positions.get(k).map(|o| (k.clone(), *o)))
                    .collect()
            } else {
                HashMap::new()
            };
        // Other positions for the new assignment: committed offsets, else the reset policy.
        state.ahead = None;
        state.buffer.clear();
        state.fetch_offsets.clear();
        inner.seeks.lock().clear();
        // Partitions kept across the rebalance stay paused.
        inner.paused.lock().retain(|k| assignment.contains(k));
        state.paused = inner.paused.lock().clone();
        {
            let mut positions = inner.positions.lock();
            positions.retain(|k, _| assignment.contains(k));
            inner.delivered.lock().retain(|k, _| assignment.contains(k));
            inner
                .high_watermarks
                .lock()
                .retain(|k, _| assignment.contains(k));
        }
        state.fetch_offsets.extend(kept.clone());
        let unknown: Vec<TopicPartition> = assignment
            .iter()
            .filter(|k| !kept.contains_key(*k))
            .cloned()
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let committed = self.committed(&unknown).await?;
        let mut missing = Vec::new();
        for (key, offset) in unknown.iter().zip(committed) {
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
        let mut positions = inner.positions.lock();
        for (key, offset) in &state.fetch_offsets {
            positions.insert(key.clone(), *offset);
        }
        Ok(())
    }

    fn start_heartbeat(&self) {
        let mut slot = self.inner.heartbeat.lock();
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
        if self.inner.config.group_id.is_empty() {
            return Err(Error::invalid(
                "commits need a group id: this consumer has none (give ConsumerConfig::group_id to store offsets)",
            ));
        }
        let (generation_id, member_id) = {
            let m = self.inner.membership.lock();
            if m.evicted {
                return Err(Error::Rejected {
                    code: ErrorCode::UnknownMemberId,
                    message: format!(
                        "the consumer left group {} after {} ms without a poll (max_poll_interval_ms); poll to rejoin before committing",
                        self.inner.config.group_id, self.inner.config.max_poll_interval_ms
                    ),
                });
            }
            if m.joined && m.manual.is_none() {
                (Some(m.generation_id), m.member_id.clone())
            } else {
                // Not a member (assigned partitions): committed for the group as such.
                (None, None)
            }
        };
        let request = Request::OffsetCommit(OffsetCommitRequest {
            group_id: self.inner.config.group_id.clone(),
            generation_id,
            member_id,
            only_if_empty: false,
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
        let mut delivered = self.inner.delivered.lock();
        for (key, offset) in offsets {
            if delivered.get(key).is_some_and(|d| d <= offset) {
                delivered.remove(key);
            }
        }
        drop(delivered);
        self.inner.hooks.emit(ConsumerEvent::CommitOffsets {
            offsets: offsets.to_vec(),
        });
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
        self.inner
            .delivered
            .lock()
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
            let mut m = self.inner.membership.lock();
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

    /// Runs the listener's `on_partitions_revoked`, commits consumed offsets when auto-commit is
    /// on, leaves the group and stops heartbeating. Later polls fail with `Closed`. Idempotent.
    pub async fn close(&self) -> Result<()> {
        let inner = &self.inner;
        if inner.closed.load(Ordering::Acquire) {
            return Ok(());
        }
        // Before the consumer counts as closed, so the hook's commits still work.
        let assignment = inner.membership.lock().assignment.clone();
        if let (false, Some(listener)) = (assignment.is_empty(), inner.hooks.listener()) {
            listener.on_partitions_revoked(self, &assignment).await;
        }
        if inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        inner.rejoin.notify_one();
        // Stop fetching ahead now; a poll in progress holds the state and stops it itself.
        if let Ok(mut state) = inner.fetch.try_lock() {
            state.ahead = None;
        }
        let mut first_error = None;
        let joined = inner.membership.lock().joined;
        if joined && inner.config.enable_auto_commit {
            if let Err(e) = self.send_commit(&self.consumed_offsets()).await {
                first_error.get_or_insert(e);
            }
        }
        if let Some(task) = inner.heartbeat.lock().take() {
            task.abort();
        }
        let member_id = {
            let mut m = inner.membership.lock();
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
        inner.hooks.emit(ConsumerEvent::Stop);
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

/// Counts a running poll; when it ends, records the time `max_poll_interval_ms` counts from.
struct PollRunning<'a>(&'a Inner);

impl<'a> PollRunning<'a> {
    fn start(inner: &'a Inner) -> Self {
        inner.polls_running.fetch_add(1, Ordering::AcqRel);
        PollRunning(inner)
    }
}

impl Drop for PollRunning<'_> {
    fn drop(&mut self) {
        *self.0.last_poll.lock() = Instant::now();
        self.0.polls_running.fetch_sub(1, Ordering::AcqRel);
    }
}

/// No poll runs and none returned within `max_poll_interval_ms`: the application is stuck.
fn poll_overdue(inner: &Inner) -> bool {
    inner.polls_running.load(Ordering::Acquire) == 0
        && inner.last_poll.lock().elapsed()
            > Duration::from_millis(inner.config.max_poll_interval_ms)
}

/// Leaves the group for a consumer that stopped polling, as Kafka's heartbeat thread does, so
/// the others take its partitions; its commits fail until its next poll rejoins.
async fn leave_overdue(inner: &Inner, member_id: String) {
    tracing::warn!(
        group = %inner.config.group_id,
        max_poll_interval_ms = inner.config.max_poll_interval_ms,
        "no poll within max_poll_interval_ms; leaving the group so others take its partitions"
    );
    inner.hooks.emit(ConsumerEvent::PollIntervalExceeded {
        max_poll_interval_ms: inner.config.max_poll_interval_ms,
    });
    {
        let mut m = inner.membership.lock();
        m.joined = false;
        m.evicted = true;
        m.lost = m.assignment.clone();
        m.needs_rejoin = true;
        m.assignment.clear();
        m.member_id = None;
    }
    // Messages handed out before are not this member's to commit any more.
    inner.delivered.lock().clear();
    let request = Request::LeaveGroup(LeaveGroupRequest {
        group_id: inner.config.group_id.clone(),
        member_id,
    });
    if let Err(e) = inner
        .group_slot
        .call(&request, inner.client.deadline())
        .await
    {
        // The broker drops the member after its session timeout anyway.
        tracing::debug!(error = %e, "leave after max_poll_interval_ms failed");
    }
    inner.rejoin.notify_one();
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
            Some(inner) => inner.membership.lock().heartbeat_interval_ms,
            None => return,
        };
        tokio::time::sleep(Duration::from_millis(interval)).await;
        let Some(inner) = weak.upgrade() else { return };
        if inner.closed.load(Ordering::Acquire) {
            return;
        }
        let (member_id, generation_id) = {
            let m = inner.membership.lock();
            if !m.joined || m.joining || m.needs_rejoin {
                continue;
            }
            match &m.member_id {
                Some(id) => (id.clone(), m.generation_id),
                None => continue,
            }
        };
        if poll_overdue(&inner) {
            leave_overdue(&inner, member_id).await;
            continue;
        }
        let request = Request::Heartbeat(HeartbeatRequest {
            group_id: inner.config.group_id.clone(),
            member_id: member_id.clone(),
            generation_id,
        });
        let session = Duration::from_millis(u64::from(inner.config.session_timeout_ms));
        let deadline = Instant::now() + session.min(inner.client.config().request_timeout);
        match inner
            .group_slot
            .call_no_broker_retry(&request, deadline)
            .await
        {
            Ok(_) => inner.hooks.emit(ConsumerEvent::Heartbeat {
                member_id,
                generation_id,
            }),
            Err(e) => match e.kind() {
                ErrorCode::RebalanceInProgress
                | ErrorCode::IllegalGeneration
                | ErrorCode::UnknownMemberId => {
                    let mut m = inner.membership.lock();
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
