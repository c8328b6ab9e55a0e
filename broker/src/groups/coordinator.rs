//! The consumer-group coordinator: membership, generations, rebalances, committed offsets.
//!
//! Semantics (see `protocol/src/messages/join_group.rs`):
//! - A join that changes membership (new member, changed subscription) starts a rebalance unless
//!   one is running. Members that are not waiting in a join learn of it from
//!   `RebalanceInProgress` on their next heartbeat and join again.
//! - The rebalance completes when every known member has joined, or when the largest
//!   `rebalance_timeout_ms` of the members passed (members that did not join are removed). Then
//!   the generation id is bumped, the assignment recomputed, and every waiting join answered.
//! - A member with no heartbeat (or join) for `session_timeout_ms` is removed; the rest rebalance.
//! - A commit that names a generation must come from a known member of that generation;
//!   otherwise `UnknownMemberId` / `IllegalGeneration`.
//!
//! All state is behind one `std::sync::Mutex` (short critical sections, never held across an
//! await); committed offsets are written through [`GroupStore`] before a commit is answered.

use super::assignor::{assign, Subscription};
use super::store::{GroupFile, GroupStore, StoredOffset};
use crate::error::{BrokerError, HandlerError};
use rustlog_protocol::limits::CLIENT_ID_BYTES_MAX;
use rustlog_protocol::messages::describe_group::MemberDescription;
use rustlog_protocol::messages::join_group::{Assignor, JoinGroupRequest, JoinGroupResponse};
use rustlog_protocol::messages::list_groups::GroupSummary;
use rustlog_protocol::messages::offset_commit::OffsetCommitRequest;
use rustlog_protocol::names::validate_group_id;
use rustlog_protocol::{ErrorCode, TopicPartitions};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Most members in one group.
pub const MEMBERS_PER_GROUP_MAX: usize = 10_000;
/// Most groups the broker tracks.
pub const GROUPS_MAX: usize = 100_000;
/// Most topics one member may subscribe to.
pub const TOPICS_PER_MEMBER_MAX: usize = 1024;
/// How often the coordinator checks session and rebalance timeouts.
pub const TICK_INTERVAL: Duration = Duration::from_millis(50);
/// Heartbeat interval suggested to members: a third of their session timeout, like Kafka.
const HEARTBEAT_FRACTION: u32 = 3;

/// Gives a topic's partition count (0 when it does not exist).
pub type PartitionsOf = Arc<dyn Fn(&str) -> u32 + Send + Sync>;

type JoinResult = Result<JoinGroupResponse, HandlerError>;

/// A committed offset lookup: topic, partition, and the offset with its metadata if committed.
pub type CommittedOffset = (String, u32, Option<(u64, Option<String>)>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupState {
    Empty,
    Rebalancing,
    Stable,
}

impl GroupState {
    fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "empty",
            GroupState::Rebalancing => "rebalancing",
            GroupState::Stable => "stable",
        }
    }
}

#[derive(Debug)]
struct Member {
    client_id: String,
    topics: Vec<String>,
    session_timeout: Duration,
    rebalance_timeout: Duration,
    last_seen: Instant,
    /// Joined the running rebalance.
    joined: bool,
    /// The pending join's answer channel.
    waiter: Option<oneshot::Sender<JoinResult>>,
}

#[derive(Debug)]
struct Group {
    generation_id: i32,
    assignor: Assignor,
    state: GroupState,
    members: BTreeMap<String, Member>,
    rebalance_deadline: Option<Instant>,
    assignment: BTreeMap<String, Vec<TopicPartitions>>,
    offsets: BTreeMap<(String, u32), (u64, Option<String>)>,
}

impl Group {
    fn new() -> Group {
        Group {
            generation_id: 0,
            assignor: Assignor::Range,
            state: GroupState::Empty,
            members: BTreeMap::new(),
            rebalance_deadline: None,
            assignment: BTreeMap::new(),
            offsets: BTreeMap::new(),
        }
    }

    fn start_rebalance(&mut self, now: Instant) {
        if self.state == GroupState::Rebalancing {
            return;
        }
        self.state = GroupState::Rebalancing;
        for member in self.members.values_mut() {
            member.joined = false;
        }
        let timeout = self
            .members
            .values()
            .map(|m| m.rebalance_timeout)
            .max()
            .unwrap_or_default();
        self.rebalance_deadline = Some(now + timeout);
    }

    /// True when a subscribed topic now has another partition count than the assignment
    /// covers (it grew, or was deleted): a rejoin must rebalance, not repeat the old answer.
    fn partitions_changed(&self, partitions_of: &PartitionsOf) -> bool {
        let mut assigned: BTreeMap<&str, usize> = BTreeMap::new();
        for parts in self.assignment.values().flatten() {
            *assigned.entry(parts.topic.as_str()).or_default() += parts.partitions.len();
        }
        let subscribed: std::collections::BTreeSet<&str> = self
            .members
            .values()
            .flat_map(|m| m.topics.iter().map(String::as_str))
            .collect();
        subscribed.into_iter().any(|topic| {
            let have = assigned.get(topic).copied().unwrap_or(0);
            usize::try_from(partitions_of(topic)).unwrap_or(usize::MAX) != have
        })
    }

    fn try_complete(&mut self, now: Instant, partitions_of: &PartitionsOf) {
        if self.state == GroupState::Rebalancing && self.members.values().all(|m| m.joined) {
            self.complete(now, partitions_of);
        }
    }

    fn complete(&mut self, now: Instant, partitions_of: &PartitionsOf) {
        self.generation_id = self.generation_id.wrapping_add(1).max(1);
        self.rebalance_deadline = None;
        let subscriptions: Vec<Subscription> = self
            .members
            .iter()
            .map(|(id, m)| Subscription {
                member_id: id.clone(),
                topics: m.topics.clone(),
            })
            .collect();
        self.assignment = assign(self.assignor, &subscriptions, |t| partitions_of(t));
        self.state = if self.members.is_empty() {
            GroupState::Empty
        } else {
            GroupState::Stable
        };
        let member_count = self.members.len() as u32;
        for (id, member) in self.members.iter_mut() {
            member.joined = false;
            member.last_seen = now;
            if let Some(waiter) = member.waiter.take() {
                let _ = waiter.send(Ok(JoinGroupResponse {
                    member_id: id.clone(),
                    generation_id: self.generation_id,
                    assignment: self.assignment.get(id).cloned().unwrap_or_default(),
                    heartbeat_interval_ms: heartbeat_interval_ms(member.session_timeout),
                    member_count,
                }));
            }
        }
    }

    /// Removes a member, failing its pending join; starts a rebalance for the others.
    fn remove_member(&mut self, member_id: &str, now: Instant, reason: ErrorCode) {
        if let Some(mut member) = self.members.remove(member_id) {
            if let Some(waiter) = member.waiter.take() {
                let _ = waiter.send(Err(HandlerError::new(
                    reason,
                    format!("member {member_id} was removed from the group"),
                )));
            }
        }
        self.assignment.remove(member_id);
        if self.members.is_empty() {
            if self.state != GroupState::Empty {
                self.generation_id = self.generation_id.wrapping_add(1).max(1);
            }
            self.state = GroupState::Empty;
            self.rebalance_deadline = None;
            self.assignment.clear();
        } else {
            self.start_rebalance(now);
        }
    }

    fn to_file(&self, group_id: &str) -> GroupFile {
        GroupFile {
            group_id: group_id.to_string(),
            generation_id: self.generation_id,
            assignor: self.assignor,
            offsets: self
                .offsets
                .iter()
                .map(|((topic, partition), (offset, metadata))| StoredOffset {
                    topic: topic.clone(),
                    partition: *partition,
                    offset: *offset,
                    metadata: metadata.clone(),
                })
                .collect(),
        }
    }
}

fn heartbeat_interval_ms(session_timeout: Duration) -> u32 {
    let ms = u32::try_from(session_timeout.as_millis()).unwrap_or(u32::MAX);
    (ms / HEARTBEAT_FRACTION).max(1)
}

/// A snapshot of one group for DescribeGroup (lag is added by the handler from storage).
#[derive(Debug, Clone)]
pub struct GroupSnapshot {
    pub state: String,
    pub generation_id: i32,
    pub assignor: Assignor,
    pub members: Vec<MemberDescription>,
    pub offsets: BTreeMap<(String, u32), u64>,
}

/// Limits the coordinator enforces.
#[derive(Debug, Clone, Copy)]
pub struct CoordinatorLimits {
    pub session_timeout_ms_min: u32,
    pub session_timeout_ms_max: u32,
}

/// Every group of the broker.
pub struct Coordinator {
    groups: Mutex<HashMap<String, Group>>,
    store: GroupStore,
    /// Serialises file writes per group so the newest snapshot is written last.
    write_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    partitions_of: PartitionsOf,
    limits: CoordinatorLimits,
    shutting_down: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Coordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coordinator")
            .field("store", &self.store)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The group's state, created on first use unless the broker already tracks `GROUPS_MAX`
/// groups (a bound on memory for clients inventing group ids).
fn group_entry<'a>(
    groups: &'a mut HashMap<String, Group>,
    group_id: &str,
) -> Result<&'a mut Group, HandlerError> {
    if !groups.contains_key(group_id) && groups.len() >= GROUPS_MAX {
        return Err(HandlerError::new(
            ErrorCode::InvalidGroupId,
            format!("the broker tracks its limit of {GROUPS_MAX} groups"),
        ));
    }
    Ok(groups
        .entry(group_id.to_string())
        .or_insert_with(Group::new))
}

impl Coordinator {
    /// Loads stored groups (offsets and last generation); members are never restored: after a
    /// restart every consumer joins again, getting a newer generation.
    pub fn open(
        store: GroupStore,
        partitions_of: PartitionsOf,
        limits: CoordinatorLimits,
    ) -> Result<Coordinator, BrokerError> {
        let mut groups = HashMap::new();
        for file in store.load_all()? {
            let mut group = Group::new();
            group.generation_id = file.generation_id;
            group.assignor = file.assignor;
            for o in file.offsets {
                group
                    .offsets
                    .insert((o.topic, o.partition), (o.offset, o.metadata));
            }
            groups.insert(file.group_id, group);
        }
        Ok(Coordinator {
            groups: Mutex::new(groups),
            store,
            write_locks: Mutex::new(HashMap::new()),
            partitions_of,
            limits,
            shutting_down: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, Group>>, HandlerError> {
        self.groups
            .lock()
            .map_err(|_| HandlerError::new(ErrorCode::Unknown, "group state lock poisoned"))
    }

    /// Handles a join; the returned receiver resolves when the rebalance completes.
    pub fn join(
        &self,
        request: JoinGroupRequest,
    ) -> Result<oneshot::Receiver<JoinResult>, HandlerError> {
        if self
            .shutting_down
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return Err(HandlerError::new(
                ErrorCode::BrokerShuttingDown,
                "broker is shutting down",
            ));
        }
        check_group_id(&request.group_id)?;
        let (min, max) = (
            self.limits.session_timeout_ms_min,
            self.limits.session_timeout_ms_max,
        );
        if request.session_timeout_ms < min || request.session_timeout_ms > max {
            return Err(HandlerError::new(
                ErrorCode::InvalidSessionTimeout,
                format!(
                    "session_timeout_ms {} is outside {min}..={max}",
                    request.session_timeout_ms
                ),
            ));
        }
        if request.client_id.len() > CLIENT_ID_BYTES_MAX {
            return Err(HandlerError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "client_id of {} bytes exceeds the limit of {CLIENT_ID_BYTES_MAX}",
                    request.client_id.len()
                ),
            ));
        }
        if request.topics.len() > TOPICS_PER_MEMBER_MAX {
            return Err(HandlerError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "{} subscribed topics exceed the limit of {TOPICS_PER_MEMBER_MAX}",
                    request.topics.len()
                ),
            ));
        }
        let now = Instant::now();
        let session_timeout = Duration::from_millis(u64::from(request.session_timeout_ms));
        let rebalance_timeout = Duration::from_millis(u64::from(
            request.rebalance_timeout_ms.max(request.session_timeout_ms),
        ));
        let mut topics = request.topics.clone();
        topics.sort();
        topics.dedup();

        let mut groups = self.lock()?;
        let group = group_entry(&mut groups, &request.group_id)?;
        let (tx, rx) = oneshot::channel();
        let partitions_changed = group.partitions_changed(&self.partitions_of);
        let member_id = match &request.member_id {
            Some(id) => {
                let Some(member) = group.members.get_mut(id) else {
                    return Err(HandlerError::new(
                        ErrorCode::UnknownMemberId,
                        format!(
                            "member {id} is not in group {}; join without a member id",
                            request.group_id
                        ),
                    ));
                };
                member.last_seen = now;
                if group.state == GroupState::Stable
                    && member.topics == topics
                    && group.assignor == request.assignor
                    && !partitions_changed
                {
                    // Nothing changed: answer with the current generation at once.
                    let _ = tx.send(Ok(JoinGroupResponse {
                        member_id: id.clone(),
                        generation_id: group.generation_id,
                        assignment: group.assignment.get(id).cloned().unwrap_or_default(),
                        heartbeat_interval_ms: heartbeat_interval_ms(session_timeout),
                        member_count: group.members.len() as u32,
                    }));
                    return Ok(rx);
                }
                member.topics = topics;
                member.session_timeout = session_timeout;
                member.rebalance_timeout = rebalance_timeout;
                member.client_id = request.client_id.clone();
                if let Some(old) = member.waiter.take() {
                    let _ = old.send(Err(HandlerError::new(
                        ErrorCode::RebalanceInProgress,
                        "superseded by a newer join of the same member",
                    )));
                }
                id.clone()
            }
            None => {
                if group.members.len() >= MEMBERS_PER_GROUP_MAX {
                    return Err(HandlerError::new(
                        ErrorCode::InvalidRequest,
                        format!(
                            "group {} has its limit of {MEMBERS_PER_GROUP_MAX} members",
                            request.group_id
                        ),
                    ));
                }
                let id = new_member_id(&request.client_id);
                group.members.insert(
                    id.clone(),
                    Member {
                        client_id: request.client_id.clone(),
                        topics,
                        session_timeout,
                        rebalance_timeout,
                        last_seen: now,
                        joined: false,
                        waiter: None,
                    },
                );
                id
            }
        };
        group.assignor = request.assignor;
        group.start_rebalance(now);
        if let Some(member) = group.members.get_mut(&member_id) {
            member.joined = true;
            member.waiter = Some(tx);
        }
        group.try_complete(now, &self.partitions_of);
        Ok(rx)
    }

    /// Handles a heartbeat.
    pub fn heartbeat(
        &self,
        group_id: &str,
        member_id: &str,
        generation_id: i32,
    ) -> Result<(), HandlerError> {
        check_group_id(group_id)?;
        let mut groups = self.lock()?;
        let group = groups
            .get_mut(group_id)
            .ok_or_else(|| unknown_member(group_id, member_id))?;
        let state = group.state;
        let current = group.generation_id;
        let member = group
            .members
            .get_mut(member_id)
            .ok_or_else(|| unknown_member(group_id, member_id))?;
        member.last_seen = Instant::now();
        if state == GroupState::Rebalancing {
            return Err(HandlerError::new(
                ErrorCode::RebalanceInProgress,
                format!("group {group_id} is rebalancing; join again"),
            ));
        }
        if generation_id != current {
            return Err(illegal_generation(group_id, generation_id, current));
        }
        Ok(())
    }

    /// Handles a leave.
    pub fn leave(&self, group_id: &str, member_id: &str) -> Result<(), HandlerError> {
        check_group_id(group_id)?;
        let mut groups = self.lock()?;
        let group = groups
            .get_mut(group_id)
            .ok_or_else(|| unknown_member(group_id, member_id))?;
        if !group.members.contains_key(member_id) {
            return Err(unknown_member(group_id, member_id));
        }
        let now = Instant::now();
        group.remove_member(member_id, now, ErrorCode::UnknownMemberId);
        group.try_complete(now, &self.partitions_of);
        Ok(())
    }

    /// Checks a commit's membership and stores its offsets in memory; returns per-entry codes.
    /// The caller then persists with [`Coordinator::persist`] before answering.
    pub fn commit(&self, request: &OffsetCommitRequest) -> Result<Vec<ErrorCode>, HandlerError> {
        check_group_id(&request.group_id)?;
        let mut groups = self.lock()?;
        if let Some(generation_id) = request.generation_id {
            let member_id = request.member_id.as_deref().unwrap_or("");
            let group = groups
                .get(&request.group_id)
                .ok_or_else(|| unknown_member(&request.group_id, member_id))?;
            if !group.members.contains_key(member_id) {
                return Err(unknown_member(&request.group_id, member_id));
            }
            if generation_id != group.generation_id {
                return Err(illegal_generation(
                    &request.group_id,
                    generation_id,
                    group.generation_id,
                ));
            }
        }
        let group = group_entry(&mut groups, &request.group_id)?;
        let codes = request
            .offsets
            .iter()
            .map(|entry| {
                let partitions = (self.partitions_of)(&entry.topic);
                if partitions == 0 {
                    ErrorCode::TopicNotFound
                } else if entry.partition >= partitions {
                    ErrorCode::PartitionNotFound
                } else {
                    group.offsets.insert(
                        (entry.topic.clone(), entry.partition),
                        (entry.offset, entry.metadata.clone()),
                    );
                    ErrorCode::None
                }
            })
            .collect();
        Ok(codes)
    }

    /// Writes the group's current state to disk (crash-safe) and waits for it.
    pub async fn persist(&self, group_id: &str) -> Result<(), HandlerError> {
        let write_lock = {
            let mut locks = self
                .write_locks
                .lock()
                .map_err(|_| HandlerError::new(ErrorCode::Unknown, "write lock map poisoned"))?;
            locks.entry(group_id.to_string()).or_default().clone()
        };
        let _guard = write_lock.lock().await;
        // Snapshot after taking the write lock: the last writer always writes the newest state.
        let file = {
            let groups = self.lock()?;
            match groups.get(group_id) {
                Some(group) => group.to_file(group_id),
                None => return Ok(()),
            }
        };
        let store = self.store.clone();
        let path = store.path_for(group_id);
        tokio::task::spawn_blocking(move || store.save(&file))
            .await
            .map_err(|err| HandlerError::new(ErrorCode::Unknown, format!("join error: {err}")))?
            .map_err(|err| {
                HandlerError::new(
                    ErrorCode::StorageError,
                    format!("writing group file {}: {err}", path.display()),
                )
            })
    }

    /// Committed offsets of a group: the listed partitions, or all it committed.
    pub fn committed(
        &self,
        group_id: &str,
        partitions: Option<&[(String, u32)]>,
    ) -> Result<Vec<CommittedOffset>, HandlerError> {
        check_group_id(group_id)?;
        let groups = self.lock()?;
        let group = groups.get(group_id);
        let out = match partitions {
            Some(list) => list
                .iter()
                .map(|(topic, partition)| {
                    let found = group
                        .and_then(|g| g.offsets.get(&(topic.clone(), *partition)))
                        .cloned();
                    (topic.clone(), *partition, found)
                })
                .collect(),
            None => group
                .map(|g| {
                    g.offsets
                        .iter()
                        .map(|((t, p), v)| (t.clone(), *p, Some(v.clone())))
                        .collect()
                })
                .unwrap_or_default(),
        };
        Ok(out)
    }

    /// Every group, sorted by id.
    pub fn list(&self) -> Result<Vec<GroupSummary>, HandlerError> {
        let groups = self.lock()?;
        let mut out: Vec<GroupSummary> = groups
            .iter()
            .map(|(id, g)| GroupSummary {
                group_id: id.clone(),
                state: g.state.name().to_string(),
                generation_id: g.generation_id,
                member_count: g.members.len() as u32,
            })
            .collect();
        out.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        Ok(out)
    }

    /// One group's members, assignment and committed offsets.
    pub fn describe(&self, group_id: &str) -> Result<GroupSnapshot, HandlerError> {
        check_group_id(group_id)?;
        let groups = self.lock()?;
        let group = groups.get(group_id).ok_or_else(|| {
            HandlerError::new(
                ErrorCode::GroupNotFound,
                format!("group {group_id} does not exist"),
            )
        })?;
        Ok(snapshot(group))
    }

    /// Every group's snapshot (metrics).
    pub fn snapshots(&self) -> Vec<(String, GroupSnapshot)> {
        match self.groups.lock() {
            Ok(groups) => groups
                .iter()
                .map(|(id, g)| (id.clone(), snapshot(g)))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Expires sessions and overdue rebalances. Called every [`TICK_INTERVAL`].
    pub fn tick(&self, now: Instant) {
        let Ok(mut groups) = self.groups.lock() else {
            return;
        };
        for (group_id, group) in groups.iter_mut() {
            let expired: Vec<String> = group
                .members
                .iter()
                .filter(|(_, m)| m.waiter.is_none() && now >= m.last_seen + m.session_timeout)
                .map(|(id, _)| id.clone())
                .collect();
            for id in expired {
                tracing::info!(group = %group_id, member = %id, "session timed out; removing member");
                group.remove_member(&id, now, ErrorCode::UnknownMemberId);
            }
            if group.state == GroupState::Rebalancing
                && group.rebalance_deadline.is_some_and(|d| now >= d)
            {
                let late: Vec<String> = group
                    .members
                    .iter()
                    .filter(|(_, m)| !m.joined)
                    .map(|(id, _)| id.clone())
                    .collect();
                for id in late {
                    tracing::info!(group = %group_id, member = %id, "did not rejoin in time; removing member");
                    group.members.remove(&id);
                    group.assignment.remove(&id);
                }
                group.complete(now, &self.partitions_of);
            } else {
                group.try_complete(now, &self.partitions_of);
            }
        }
    }

    /// Fails every pending join (shutdown).
    pub fn shutdown(&self) {
        self.shutting_down
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut groups) = self.groups.lock() {
            for group in groups.values_mut() {
                for member in group.members.values_mut() {
                    if let Some(waiter) = member.waiter.take() {
                        let _ = waiter.send(Err(HandlerError::new(
                            ErrorCode::BrokerShuttingDown,
                            "broker is shutting down",
                        )));
                    }
                }
            }
        }
    }
}

fn snapshot(group: &Group) -> GroupSnapshot {
    GroupSnapshot {
        state: group.state.name().to_string(),
        generation_id: group.generation_id,
        assignor: group.assignor,
        members: group
            .members
            .iter()
            .map(|(id, m)| MemberDescription {
                member_id: id.clone(),
                client_id: m.client_id.clone(),
                topics: m.topics.clone(),
                assignment: group.assignment.get(id).cloned().unwrap_or_default(),
            })
            .collect(),
        offsets: group
            .offsets
            .iter()
            .map(|(k, (offset, _))| (k.clone(), *offset))
            .collect(),
    }
}

fn check_group_id(group_id: &str) -> Result<(), HandlerError> {
    validate_group_id(group_id).map_err(|err| {
        HandlerError::new(
            ErrorCode::InvalidGroupId,
            format!("invalid group id {group_id:?}: {err}"),
        )
    })
}

fn unknown_member(group_id: &str, member_id: &str) -> HandlerError {
    HandlerError::new(
        ErrorCode::UnknownMemberId,
        format!("member {member_id:?} is not in group {group_id}; join again"),
    )
}

fn illegal_generation(group_id: &str, got: i32, current: i32) -> HandlerError {
    HandlerError::new(
        ErrorCode::IllegalGeneration,
        format!("generation {got} of group {group_id} is stale; the current one is {current}"),
    )
}

/// `<client_id>-<16 hex digits>`; random so ids are not guessable across restarts.
fn new_member_id(client_id: &str) -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    let prefix: String = client_id
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    let prefix = if prefix.is_empty() { "member" } else { &prefix };
    format!("{prefix}-{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coordinator(dir: &std::path::Path) -> Coordinator {
        Coordinator::open(
            GroupStore::open(dir).unwrap(),
            Arc::new(|topic: &str| if topic == "t" { 4 } else { 0 }),
            CoordinatorLimits {
                session_timeout_ms_min: 10,
                session_timeout_ms_max: 60_000,
            },
        )
        .unwrap()
    }

    fn join_req(member_id: Option<String>) -> JoinGroupRequest {
        JoinGroupRequest {
            group_id: "g".into(),
            member_id,
            client_id: "c".into(),
            topics: vec!["t".into()],
            session_timeout_ms: 1000,
            rebalance_timeout_ms: 1000,
            assignor: Assignor::Range,
        }
    }

    #[tokio::test]
    async fn two_members_rebalance_and_split_partitions() {
        let dir = tempfile::tempdir().unwrap();
        let c = coordinator(dir.path());
        let a = c.join(join_req(None)).unwrap().await.unwrap().unwrap();
        assert_eq!(a.generation_id, 1);
        assert_eq!(a.assignment[0].partitions, vec![0, 1, 2, 3]);
        // A second member starts a rebalance; the first learns from its heartbeat.
        let b_rx = c.join(join_req(None)).unwrap();
        let err = c.heartbeat("g", &a.member_id, 1).unwrap_err();
        assert_eq!(err.code, ErrorCode::RebalanceInProgress);
        let a2 = c
            .join(join_req(Some(a.member_id.clone())))
            .unwrap()
            .await
            .unwrap()
            .unwrap();
        let b = b_rx.await.unwrap().unwrap();
        assert_eq!(a2.generation_id, 2);
        assert_eq!(b.generation_id, 2);
        let total = a2.assignment[0].partitions.len() + b.assignment[0].partitions.len();
        assert_eq!(total, 4);
        // Stale generation: heartbeats and commits are rejected.
        let err = c.heartbeat("g", &a.member_id, 1).unwrap_err();
        assert_eq!(err.code, ErrorCode::IllegalGeneration);
        let commit = OffsetCommitRequest {
            group_id: "g".into(),
            generation_id: Some(1),
            member_id: Some(a.member_id.clone()),
            offsets: vec![],
        };
        assert_eq!(
            c.commit(&commit).unwrap_err().code,
            ErrorCode::IllegalGeneration
        );
        c.heartbeat("g", &b.member_id, 2).unwrap();
    }

    #[tokio::test]
    async fn session_timeout_removes_member() {
        let dir = tempfile::tempdir().unwrap();
        let c = coordinator(dir.path());
        let a = c.join(join_req(None)).unwrap().await.unwrap().unwrap();
        c.tick(Instant::now() + Duration::from_secs(5));
        let err = c.heartbeat("g", &a.member_id, a.generation_id).unwrap_err();
        assert_eq!(err.code, ErrorCode::UnknownMemberId);
        assert_eq!(c.list().unwrap()[0].state, "empty");
    }

    #[tokio::test]
    async fn offsets_persist_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let c = coordinator(dir.path());
            let commit = OffsetCommitRequest {
                group_id: "g".into(),
                generation_id: None,
                member_id: None,
                offsets: vec![
                    rustlog_protocol::messages::offset_commit::OffsetCommitEntry {
                        topic: "t".into(),
                        partition: 2,
                        offset: 9,
                        metadata: None,
                    },
                ],
            };
            assert_eq!(c.commit(&commit).unwrap(), vec![ErrorCode::None]);
            c.persist("g").await.unwrap();
        }
        let c = coordinator(dir.path());
        let got = c.committed("g", None).unwrap();
        assert_eq!(got, vec![("t".to_string(), 2, Some((9, None)))]);
    }
}
