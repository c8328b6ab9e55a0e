//! The consumer-group coordinator: membership, generations, rebalances, committed offsets.
//!
//! A group is of one kind at a time: *native* (RustLog's protocol: the broker computes the
//! assignment) or *Kafka* (the classic protocol of [`super::classic`]: a leader member computes
//! it). A member of the other kind joining a group with members gets
//! [`GroupError::KindMismatch`]; an empty group takes the kind of its next member. The
//! generation and the committed offsets belong to the group whatever its kind, so either
//! listener reads and commits the same offsets.
//!
//! Native semantics (see `protocol/src/messages/join_group.rs`):
//! - A join that changes membership (new member, changed subscription) starts a rebalance unless
//!   one is running. Members that are not waiting in a join learn of it from
//!   `RebalanceInProgress` on their next heartbeat and join again.
//! - The rebalance completes when every known member has joined, or when the largest
//!   `rebalance_timeout_ms` of the members passed (members that did not join are removed). Then
//!   the generation id is bumped, the assignment recomputed, and every waiting join answered.
//! - A member with no heartbeat (or join) for `session_timeout_ms` is removed; the rest rebalance.
//! - A commit that names a generation must come from a known member of that generation;
//!   otherwise `UnknownMemberId` / `IllegalGeneration`.
//! - A committed offset above the partition's high watermark gets `OffsetOutOfRange` for that
//!   partition alone (the others in the request are still committed).
//!
//! All state is behind one `parking_lot::Mutex` (short critical sections, never held across an
//! await); committed offsets are written through [`GroupStore`] before a commit is answered.

use super::assignor::{assign, Assignor, Subscription, TopicPartitions};
use super::classic::{
    ClassicGroup, ClassicJoin, ClassicState, ClassicSync, Ctx, JoinReply, MemberRef, SyncReply,
};
use super::error::GroupError;
use super::store::{GroupFile, GroupStore, StoredOffset};
use crate::error::BrokerError;
use bytes::Bytes;
use parking_lot::Mutex;
use rustlog_protocol::limits::CLIENT_ID_BYTES_MAX;
use rustlog_protocol::names::validate_group_id;
use rustlog_protocol::ErrorCode;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Most members in one group.
pub const MEMBERS_PER_GROUP_MAX: usize = 10_000;
/// Most groups the broker tracks.
pub const GROUPS_MAX: usize = 100_000;
/// Most topics one member may subscribe to.
pub const TOPICS_PER_MEMBER_MAX: usize = 1024;
/// Most bytes of metadata stored with one committed offset (Kafka's `offset.metadata.max.bytes`
/// default).
pub const OFFSET_METADATA_BYTES_MAX: usize = 4096;
/// How often the coordinator checks session and rebalance timeouts.
pub const TICK_INTERVAL: Duration = Duration::from_millis(50);
/// Heartbeat interval suggested to members: a third of their session timeout, like Kafka.
const HEARTBEAT_FRACTION: u32 = 3;

/// Gives a topic's partition count (0 when it does not exist).
pub type PartitionsOf = Arc<dyn Fn(&str) -> u32 + Send + Sync>;

type NativeReply = Result<NativeJoined, GroupError>;
/// An accepted commit entry not yet written: (topic, partition) and (offset, metadata).
type StagedOffset = ((String, u32), (u64, Option<String>));

/// A committed offset lookup: topic, partition, and the offset with its metadata if committed.
pub type CommittedOffset = (String, u32, Option<(u64, Option<String>)>);

/// A native join.
#[derive(Debug, Clone)]
pub struct NativeJoin {
    pub group_id: String,
    /// `None` on the first join; the broker assigns one.
    pub member_id: Option<String>,
    pub client_id: String,
    pub topics: Vec<String>,
    pub session_timeout_ms: u32,
    pub rebalance_timeout_ms: u32,
    pub assignor: Assignor,
}

/// The answer to a native join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeJoined {
    pub member_id: String,
    pub generation_id: i32,
    pub assignment: Vec<TopicPartitions>,
    pub heartbeat_interval_ms: u32,
    pub member_count: u32,
}

/// Who commits offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitAs {
    /// A native commit without generation: no membership check.
    Anyone,
    /// A Kafka commit with generation -1: allowed only while the group has no members.
    NoMember,
    /// A native administrator's commit (`only_if_empty`): allowed only while the group has no
    /// members, else `NonEmptyGroup` (clearer than Kafka's unknown member with an empty id).
    Admin,
    /// A member of the given generation.
    Member {
        member_id: String,
        group_instance_id: Option<String>,
        generation_id: i32,
    },
}

/// One offset to commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitEntry {
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
    pub metadata: Option<String>,
    /// The partition's high watermark when the commit arrived (the listener reads it from
    /// storage, [`crate::core::offsets::high_watermark`]); an offset above it is refused with
    /// `OffsetOutOfRange`. `None` when storage cannot say: the topic checks answer instead.
    pub high_watermark: Option<u64>,
}

/// An offset commit.
#[derive(Debug, Clone)]
pub struct OffsetCommit {
    pub group_id: String,
    pub commit_as: CommitAs,
    pub offsets: Vec<CommitEntry>,
}

/// A SyncGroup's wait.
#[derive(Debug)]
pub struct KafkaSyncWait {
    pub reply: oneshot::Receiver<SyncReply>,
    /// `Some(generation)` when the request carried the leader's assignment: the caller writes
    /// the group file and reports it with [`Coordinator::kafka_assignment_stored`].
    pub store_generation: Option<i32>,
}

/// Which protocol a group's members speak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupKind {
    Native,
    /// The Kafka classic protocol with this protocol type ("consumer").
    Kafka(String),
}

impl std::fmt::Display for GroupKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GroupKind::Native => f.write_str("native"),
            GroupKind::Kafka(protocol_type) => write!(f, "Kafka (protocol type {protocol_type:?})"),
        }
    }
}

/// One group in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group_id: String,
    /// The state in the group's own kind's names ("stable", or Kafka's "Stable").
    pub state: String,
    /// The state in Kafka's names whatever the kind.
    pub kafka_state: &'static str,
    pub kind: GroupKind,
    pub generation_id: i32,
    pub member_count: u32,
}

/// One member in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSnapshot {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    /// Subscribed topics (native members).
    pub topics: Vec<String>,
    /// Broker-computed assignment (native members).
    pub assignment: Vec<TopicPartitions>,
    /// Metadata for the chosen protocol (Kafka members).
    pub metadata: Bytes,
    /// The leader's assignment bytes (Kafka members).
    pub assignment_bytes: Bytes,
}

/// A snapshot of one group (lag is added by the caller from storage).
#[derive(Debug, Clone)]
pub struct GroupSnapshot {
    pub state: String,
    pub kafka_state: &'static str,
    pub kind: GroupKind,
    pub generation_id: i32,
    pub assignor: Assignor,
    /// The chosen protocol of a Kafka group.
    pub protocol_name: Option<String>,
    pub members: Vec<MemberSnapshot>,
    pub offsets: BTreeMap<(String, u32), u64>,
}

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

    fn kafka_name(self) -> &'static str {
        match self {
            GroupState::Empty => ClassicState::Empty.name(),
            GroupState::Rebalancing => ClassicState::PreparingRebalance.name(),
            GroupState::Stable => ClassicState::Stable.name(),
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
    waiter: Option<oneshot::Sender<NativeReply>>,
}

#[derive(Debug)]
struct Group {
    generation_id: i32,
    /// `Some` for a Kafka group: the protocol type of its (last) members.
    protocol_type: Option<String>,
    assignor: Assignor,
    state: GroupState,
    members: BTreeMap<String, Member>,
    rebalance_deadline: Option<Instant>,
    assignment: BTreeMap<String, Vec<TopicPartitions>>,
    classic: ClassicGroup,
    offsets: BTreeMap<(String, u32), (u64, Option<String>)>,
}

impl Group {
    fn new() -> Group {
        Group {
            generation_id: 0,
            protocol_type: None,
            assignor: Assignor::Range,
            state: GroupState::Empty,
            members: BTreeMap::new(),
            rebalance_deadline: None,
            assignment: BTreeMap::new(),
            classic: ClassicGroup::new(),
            offsets: BTreeMap::new(),
        }
    }

    fn kind(&self) -> GroupKind {
        match &self.protocol_type {
            Some(protocol_type) => GroupKind::Kafka(protocol_type.clone()),
            None => GroupKind::Native,
        }
    }

    /// Never used: no members, no offsets, no generation yet.
    fn is_blank(&self) -> bool {
        self.members.is_empty()
            && self.classic.is_vacant()
            && self.offsets.is_empty()
            && self.generation_id == 0
    }

    fn member_count(&self) -> usize {
        self.members.len() + self.classic.members.len()
    }

    /// Only an empty group may change kind.
    fn check_kind(&self, group_id: &str, joining: &GroupKind) -> Result<(), GroupError> {
        let occupied = match joining {
            GroupKind::Native => !self.classic.is_vacant(),
            GroupKind::Kafka(_) => !self.members.is_empty(),
        };
        if occupied {
            return Err(GroupError::KindMismatch {
                group_id: group_id.to_string(),
                group_kind: self.kind().to_string(),
                member_kind: joining.to_string(),
            });
        }
        Ok(())
    }

    fn ctx<'a>(&'a mut self, group_id: &'a str, now: Instant) -> (&'a mut ClassicGroup, Ctx<'a>) {
        let ctx = Ctx {
            group_id,
            generation_id: &mut self.generation_id,
            now,
        };
        (&mut self.classic, ctx)
    }

    fn state_names(&self) -> (String, &'static str) {
        match self.protocol_type {
            Some(_) => {
                let name = self.classic.state.name();
                (name.to_string(), name)
            }
            None => (self.state.name().to_string(), self.state.kafka_name()),
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
                let _ = waiter.send(Ok(NativeJoined {
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
    fn remove_member(&mut self, group_id: &str, member_id: &str, now: Instant) {
        if let Some(mut member) = self.members.remove(member_id) {
            if let Some(waiter) = member.waiter.take() {
                let _ = waiter.send(Err(unknown_member(group_id, member_id)));
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

    /// Checks who commits (see [`CommitAs`]).
    fn check_commit(
        &mut self,
        group_id: &str,
        commit_as: &CommitAs,
        now: Instant,
    ) -> Result<(), GroupError> {
        match commit_as {
            CommitAs::Anyone => Ok(()),
            CommitAs::NoMember if self.member_count() == 0 => Ok(()),
            CommitAs::NoMember => Err(unknown_member(group_id, "")),
            CommitAs::Admin if self.member_count() == 0 => Ok(()),
            CommitAs::Admin => Err(GroupError::NonEmptyGroup {
                group_id: group_id.to_string(),
                members: self.member_count(),
            }),
            CommitAs::Member {
                member_id,
                group_instance_id,
                generation_id,
            } => {
                if !self.classic.members.is_empty() || group_instance_id.is_some() {
                    let member = MemberRef {
                        member_id: member_id.clone(),
                        group_instance_id: group_instance_id.clone(),
                    };
                    let (classic, mut ctx) = self.ctx(group_id, now);
                    return classic.check_commit(&mut ctx, &member, *generation_id);
                }
                if !self.members.contains_key(member_id) {
                    return Err(unknown_member(group_id, member_id));
                }
                if *generation_id != self.generation_id {
                    return Err(GroupError::IllegalGeneration {
                        group_id: group_id.to_string(),
                        member_id: member_id.clone(),
                        generation_id: *generation_id,
                        current_generation_id: self.generation_id,
                    });
                }
                Ok(())
            }
        }
    }

    /// The group's file, with `staged` offsets in place of the committed ones they replace.
    fn to_file(&self, group_id: &str, staged: &[StagedOffset]) -> GroupFile {
        let mut offsets = self.offsets.clone();
        offsets.extend(staged.iter().cloned());
        GroupFile {
            group_id: group_id.to_string(),
            generation_id: self.generation_id,
            assignor: self.assignor,
            protocol_type: self.protocol_type.clone(),
            kafka_generation: self
                .protocol_type
                .as_ref()
                .and_then(|_| self.classic.to_stored(self.generation_id)),
            offsets: offsets
                .into_iter()
                .map(|((topic, partition), (offset, metadata))| StoredOffset {
                    topic,
                    partition,
                    offset,
                    metadata,
                })
                .collect(),
        }
    }
}

fn heartbeat_interval_ms(session_timeout: Duration) -> u32 {
    let ms = u32::try_from(session_timeout.as_millis()).unwrap_or(u32::MAX);
    (ms / HEARTBEAT_FRACTION).max(1)
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
) -> Result<&'a mut Group, GroupError> {
    if !groups.contains_key(group_id) && groups.len() >= GROUPS_MAX {
        return Err(GroupError::TooManyGroups {
            group_id: group_id.to_string(),
            groups_max: GROUPS_MAX,
        });
    }
    Ok(groups
        .entry(group_id.to_string())
        .or_insert_with(Group::new))
}

impl Coordinator {
    /// Loads stored groups (offsets, last generation, kind). A Kafka group stored while Stable
    /// comes back Stable at that generation with its members, each one's session starting now
    /// (as Kafka's coordinator loads group metadata): members that return carry on, the others
    /// expire and the rest rebalance. Native members are not restored: they join again.
    pub fn open(
        store: GroupStore,
        partitions_of: PartitionsOf,
        limits: CoordinatorLimits,
    ) -> Result<Coordinator, BrokerError> {
        let mut groups = HashMap::new();
        let now = Instant::now();
        for file in store.load_all()? {
            let mut group = Group::new();
            group.generation_id = file.generation_id;
            group.assignor = file.assignor;
            group.protocol_type = file.protocol_type;
            group.classic.protocol_type = group.protocol_type.clone();
            if let (Some(protocol_type), Some(stored)) =
                (&group.protocol_type, file.kafka_generation)
            {
                if stored.generation_id != group.generation_id {
                    tracing::warn!(group = %file.group_id, stored = stored.generation_id, generation = group.generation_id, "stored members belong to another generation; not restored");
                } else {
                    match ClassicGroup::restore(protocol_type, stored, now) {
                        Ok(classic) => group.classic = classic,
                        Err(reason) => {
                            tracing::warn!(group = %file.group_id, %reason, "stored members are inconsistent; not restored (members join again)");
                        }
                    }
                }
            }
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

    fn check_open(&self) -> Result<(), GroupError> {
        if self
            .shutting_down
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return Err(GroupError::ShuttingDown);
        }
        Ok(())
    }

    fn check_join_limits(
        &self,
        group_id: &str,
        session_timeout_ms: u32,
        client_id: &str,
    ) -> Result<(), GroupError> {
        check_group_id(group_id)?;
        let (min, max) = (
            self.limits.session_timeout_ms_min,
            self.limits.session_timeout_ms_max,
        );
        if session_timeout_ms < min || session_timeout_ms > max {
            return Err(GroupError::InvalidSessionTimeout {
                group_id: group_id.to_string(),
                session_timeout_ms,
                min,
                max,
            });
        }
        if client_id.len() > CLIENT_ID_BYTES_MAX {
            return Err(GroupError::InvalidRequest {
                group_id: group_id.to_string(),
                reason: format!(
                    "client_id of {} bytes exceeds the limit of {CLIENT_ID_BYTES_MAX}",
                    client_id.len()
                ),
            });
        }
        Ok(())
    }

    /// Handles a native join; the returned receiver resolves when the rebalance completes.
    pub fn join(&self, request: NativeJoin) -> Result<oneshot::Receiver<NativeReply>, GroupError> {
        self.check_open()?;
        self.check_join_limits(
            &request.group_id,
            request.session_timeout_ms,
            &request.client_id,
        )?;
        if request.topics.len() > TOPICS_PER_MEMBER_MAX {
            return Err(GroupError::InvalidRequest {
                group_id: request.group_id.clone(),
                reason: format!(
                    "{} subscribed topics exceed the limit of {TOPICS_PER_MEMBER_MAX}",
                    request.topics.len()
                ),
            });
        }
        self.join_into(&request.group_id, |group| {
            join_native_group(group, &request, &self.partitions_of)
        })
    }

    /// Runs a join on the group's state, created on first use; a refused first join leaves no
    /// trace (no ghost group in ListGroups, an empty group keeps its kind).
    fn join_into<T>(
        &self,
        group_id: &str,
        join: impl FnOnce(&mut Group) -> Result<T, GroupError>,
    ) -> Result<T, GroupError> {
        let mut groups = self.groups.lock();
        let group = group_entry(&mut groups, group_id)?;
        let result = join(group);
        if result.is_err() && group.is_blank() {
            groups.remove(group_id);
        }
        result
    }

    /// Handles a native heartbeat.
    pub fn heartbeat(
        &self,
        group_id: &str,
        member_id: &str,
        generation_id: i32,
    ) -> Result<(), GroupError> {
        check_group_id(group_id)?;
        let mut groups = self.groups.lock();
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
            return Err(GroupError::RebalanceInProgress {
                group_id: group_id.to_string(),
                generation_id: current,
            });
        }
        if generation_id != current {
            return Err(GroupError::IllegalGeneration {
                group_id: group_id.to_string(),
                member_id: member_id.to_string(),
                generation_id,
                current_generation_id: current,
            });
        }
        Ok(())
    }

    /// Handles a native leave.
    pub fn leave(&self, group_id: &str, member_id: &str) -> Result<(), GroupError> {
        check_group_id(group_id)?;
        let mut groups = self.groups.lock();
        let group = groups
            .get_mut(group_id)
            .ok_or_else(|| unknown_member(group_id, member_id))?;
        if !group.members.contains_key(member_id) {
            return Err(unknown_member(group_id, member_id));
        }
        let now = Instant::now();
        group.remove_member(group_id, member_id, now);
        group.try_complete(now, &self.partitions_of);
        Ok(())
    }

    /// Handles a Kafka (classic protocol) JoinGroup; the receiver resolves when the join
    /// completes.
    pub fn kafka_join(
        &self,
        request: &ClassicJoin,
    ) -> Result<oneshot::Receiver<JoinReply>, GroupError> {
        self.check_open()?;
        self.check_join_limits(
            &request.group_id,
            request.session_timeout_ms,
            &request.client_id,
        )?;
        self.join_into(&request.group_id, |group| {
            join_classic_group(group, request)
        })
    }

    /// Handles a Kafka SyncGroup; the reply resolves when the leader's assignment is there and
    /// stored. When this was the leader's assignment, the caller must [`Coordinator::persist`]
    /// and then report with [`Coordinator::kafka_assignment_stored`] (until then every member's
    /// SyncGroup waits).
    pub fn kafka_sync(&self, request: &ClassicSync) -> Result<KafkaSyncWait, GroupError> {
        check_group_id(&request.group_id)?;
        let mut groups = self.groups.lock();
        let group = groups
            .get_mut(&request.group_id)
            .ok_or_else(|| unknown_member(&request.group_id, &request.member_id))?;
        let (classic, mut ctx) = group.ctx(&request.group_id, Instant::now());
        let (reply, store) = classic.sync(&mut ctx, request)?;
        Ok(KafkaSyncWait {
            reply,
            store_generation: store.then_some(request.generation_id),
        })
    }

    /// The group file holding `generation_id`'s assignment was written (or not): the members
    /// waiting in SyncGroup are answered (or get the error, and the group rebalances).
    pub fn kafka_assignment_stored(
        &self,
        group_id: &str,
        generation_id: i32,
        result: Result<(), GroupError>,
    ) {
        if let Some(group) = self.groups.lock().get_mut(group_id) {
            let (classic, mut ctx) = group.ctx(group_id, Instant::now());
            classic.assignment_stored(&mut ctx, generation_id, result);
        }
    }

    /// Handles a Kafka Heartbeat.
    pub fn kafka_heartbeat(
        &self,
        group_id: &str,
        member: &MemberRef,
        generation_id: i32,
    ) -> Result<(), GroupError> {
        check_group_id(group_id)?;
        let mut groups = self.groups.lock();
        let group = groups
            .get_mut(group_id)
            .ok_or_else(|| unknown_member(group_id, &member.member_id))?;
        let (classic, mut ctx) = group.ctx(group_id, Instant::now());
        classic.heartbeat(&mut ctx, member, generation_id)
    }

    /// Handles a Kafka LeaveGroup: one result per member.
    pub fn kafka_leave(
        &self,
        group_id: &str,
        members: &[MemberRef],
    ) -> Result<Vec<Result<(), GroupError>>, GroupError> {
        check_group_id(group_id)?;
        let mut groups = self.groups.lock();
        let Some(group) = groups.get_mut(group_id) else {
            return Ok(members
                .iter()
                .map(|m| Err(unknown_member(group_id, &m.member_id)))
                .collect());
        };
        let (classic, mut ctx) = group.ctx(group_id, Instant::now());
        Ok(members.iter().map(|m| classic.leave(&mut ctx, m)).collect())
    }

    /// Checks a commit's membership, writes the group's file with the accepted offsets
    /// (crash-safe) and only then makes them visible to OffsetFetch; returns per-entry codes.
    /// Applying after the write, as Kafka applies a commit once its log append completes, means
    /// a committed offset anyone has read survives kill -9, and a commit whose write failed
    /// changes nothing.
    pub async fn commit(&self, request: &OffsetCommit) -> Result<Vec<ErrorCode>, GroupError> {
        let (codes, accepted) = self.check_commit(request)?;
        if !accepted.is_empty() {
            self.write_then_apply(&request.group_id, accepted).await?;
        }
        Ok(codes)
    }

    /// The per-entry codes of a commit and the offsets it may store.
    fn check_commit(
        &self,
        request: &OffsetCommit,
    ) -> Result<(Vec<ErrorCode>, Vec<StagedOffset>), GroupError> {
        check_group_id(&request.group_id)?;
        let mut groups = self.groups.lock();
        if let CommitAs::Member { member_id, .. } = &request.commit_as {
            if !groups.contains_key(&request.group_id) {
                return Err(unknown_member(&request.group_id, member_id));
            }
        }
        let group = group_entry(&mut groups, &request.group_id)?;
        group.check_commit(&request.group_id, &request.commit_as, Instant::now())?;
        let mut accepted = Vec::new();
        let codes = request
            .offsets
            .iter()
            .map(|entry| {
                let code = self.commit_entry_code(entry);
                if code == ErrorCode::None {
                    accepted.push((
                        (entry.topic.clone(), entry.partition),
                        (entry.offset, entry.metadata.clone()),
                    ));
                }
                code
            })
            .collect();
        Ok((codes, accepted))
    }

    fn commit_entry_code(&self, entry: &CommitEntry) -> ErrorCode {
        let partitions = (self.partitions_of)(&entry.topic);
        if partitions == 0 {
            ErrorCode::TopicNotFound
        } else if entry.partition >= partitions {
            ErrorCode::PartitionNotFound
        } else if entry
            .metadata
            .as_ref()
            .is_some_and(|m| m.len() > OFFSET_METADATA_BYTES_MAX)
        {
            ErrorCode::OffsetMetadataTooLarge
        } else if past_high_watermark(entry) {
            ErrorCode::OffsetOutOfRange
        } else {
            ErrorCode::None
        }
    }

    fn write_lock(&self, group_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.write_locks.lock();
        locks.entry(group_id.to_string()).or_default().clone()
    }

    /// Writes the group's current state to disk (crash-safe) and waits for it.
    pub async fn persist(&self, group_id: &str) -> Result<(), GroupError> {
        self.write_then_apply(group_id, Vec::new()).await
    }

    /// Writes the group's state with `staged` offsets over its committed ones, then stores them
    /// in memory. A group deleted meanwhile (it was empty) takes no offsets: GroupNotFound.
    async fn write_then_apply(
        &self,
        group_id: &str,
        staged: Vec<StagedOffset>,
    ) -> Result<(), GroupError> {
        let write_lock = self.write_lock(group_id);
        let _guard = write_lock.lock().await;
        // Snapshot after taking the write lock: the last writer always writes the newest state.
        let file = {
            let groups = self.groups.lock();
            match groups.get(group_id) {
                Some(group) => group.to_file(group_id, &staged),
                None if staged.is_empty() => return Ok(()),
                None => {
                    return Err(GroupError::GroupNotFound {
                        group_id: group_id.to_string(),
                    })
                }
            }
        };
        self.store_io(group_id, "writing group file", move |store| {
            store.save(&file)
        })
        .await?;
        if let Some(group) = self.groups.lock().get_mut(group_id) {
            group.offsets.extend(staged);
        }
        Ok(())
    }

    /// Runs a group-file change on the blocking pool (it fsyncs); failures name the file.
    async fn store_io(
        &self,
        group_id: &str,
        op: &'static str,
        work: impl FnOnce(&GroupStore) -> std::io::Result<()> + Send + 'static,
    ) -> Result<(), GroupError> {
        let store = self.store.clone();
        let path = store.path_for(group_id);
        let storage_error = |reason: String| GroupError::Storage {
            group_id: group_id.to_string(),
            op,
            path: path.display().to_string(),
            reason,
        };
        tokio::task::spawn_blocking(move || work(&store))
            .await
            .map_err(|err| storage_error(err.to_string()))?
            .map_err(|err| storage_error(err.to_string()))
    }

    /// Deletes an empty group: its state and its file (removed durably).
    pub async fn delete(&self, group_id: &str) -> Result<(), GroupError> {
        check_group_id(group_id)?;
        let write_lock = self.write_lock(group_id);
        let _guard = write_lock.lock().await;
        {
            let mut groups = self.groups.lock();
            let group = groups
                .get(group_id)
                .ok_or_else(|| GroupError::GroupNotFound {
                    group_id: group_id.to_string(),
                })?;
            let members = group.member_count();
            if members > 0 || !group.classic.is_vacant() {
                return Err(GroupError::NonEmptyGroup {
                    group_id: group_id.to_string(),
                    members,
                });
            }
            groups.remove(group_id);
        }
        let owned_id = group_id.to_string();
        self.store_io(group_id, "deleting group file", move |store| {
            store.delete(&owned_id)
        })
        .await
    }

    /// Deletes committed offsets of partitions whose topic no member subscribes to (those get
    /// `GroupSubscribedToTopic`). `subscribed_topics(protocol_type, metadata)` reads a Kafka
    /// member's subscription; `None` (unreadable) counts as subscribed to every topic. Returns
    /// per-partition codes; the caller persists.
    pub fn delete_offsets(
        &self,
        group_id: &str,
        partitions: &[(String, u32)],
        subscribed_topics: impl Fn(&str, &[u8]) -> Option<Vec<String>>,
    ) -> Result<Vec<ErrorCode>, GroupError> {
        check_group_id(group_id)?;
        let mut groups = self.groups.lock();
        let group = groups
            .get_mut(group_id)
            .ok_or_else(|| GroupError::GroupNotFound {
                group_id: group_id.to_string(),
            })?;
        let subscribed = subscriptions(group, subscribed_topics);
        let partitions_of = &self.partitions_of;
        Ok(partitions
            .iter()
            .map(|(topic, partition)| {
                if *partition >= partitions_of(topic) {
                    ErrorCode::TopicNotFound
                } else if subscribed.as_ref().is_none_or(|s| s.contains(topic)) {
                    ErrorCode::GroupSubscribedToTopic
                } else {
                    group.offsets.remove(&(topic.clone(), *partition));
                    ErrorCode::None
                }
            })
            .collect())
    }

    /// Committed offsets of a group: the listed partitions, or all it committed.
    pub fn committed(
        &self,
        group_id: &str,
        partitions: Option<&[(String, u32)]>,
    ) -> Result<Vec<CommittedOffset>, GroupError> {
        check_group_id(group_id)?;
        let groups = self.groups.lock();
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
    pub fn list(&self) -> Result<Vec<GroupListing>, GroupError> {
        let groups = self.groups.lock();
        let mut out: Vec<GroupListing> = groups
            .iter()
            .map(|(id, g)| {
                let (state, kafka_state) = g.state_names();
                GroupListing {
                    group_id: id.clone(),
                    state,
                    kafka_state,
                    kind: g.kind(),
                    generation_id: g.generation_id,
                    member_count: g.member_count() as u32,
                }
            })
            .collect();
        out.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        Ok(out)
    }

    /// One group's members, assignment and committed offsets.
    pub fn describe(&self, group_id: &str) -> Result<GroupSnapshot, GroupError> {
        check_group_id(group_id)?;
        let groups = self.groups.lock();
        let group = groups
            .get(group_id)
            .ok_or_else(|| GroupError::GroupNotFound {
                group_id: group_id.to_string(),
            })?;
        Ok(snapshot(group))
    }

    /// Every group's snapshot (metrics).
    pub fn snapshots(&self) -> Vec<(String, GroupSnapshot)> {
        let groups = self.groups.lock();
        groups
            .iter()
            .map(|(id, g)| (id.clone(), snapshot(g)))
            .collect()
    }

    /// Expires sessions and overdue rebalances. Called every [`TICK_INTERVAL`].
    pub fn tick(&self, now: Instant) {
        let mut groups = self.groups.lock();
        for (group_id, group) in groups.iter_mut() {
            tick_native(group_id, group, now, &self.partitions_of);
            let (classic, mut ctx) = group.ctx(group_id, now);
            classic.tick(&mut ctx);
        }
    }

    /// `topic`'s partition count changed: every stable native group consuming it rebalances,
    /// so the new partitions get an owner at once. (Kafka's consumers notice through their
    /// metadata refresh and rejoin; here the broker assigns, so the broker starts it. Members
    /// learn of it from their next heartbeat.)
    pub fn topic_resized(&self, topic: &str) {
        let now = Instant::now();
        let mut groups = self.groups.lock();
        for (group_id, group) in groups.iter_mut() {
            let consumes = group
                .members
                .values()
                .any(|m| m.topics.iter().any(|t| t == topic));
            if consumes && group.state == GroupState::Stable {
                tracing::info!(group = %group_id, topic, "partition count changed; rebalancing");
                group.start_rebalance(now);
            }
        }
    }

    /// Fails every pending join and sync (shutdown).
    pub fn shutdown(&self) {
        self.shutting_down
            .store(true, std::sync::atomic::Ordering::Relaxed);
        for group in self.groups.lock().values_mut() {
            for member in group.members.values_mut() {
                if let Some(waiter) = member.waiter.take() {
                    let _ = waiter.send(Err(GroupError::ShuttingDown));
                }
            }
            group.classic.fail_waiters();
        }
    }
}

/// Every topic a member of the group subscribes to; `None` when a subscription is unreadable.
fn subscriptions(
    group: &Group,
    subscribed_topics: impl Fn(&str, &[u8]) -> Option<Vec<String>>,
) -> Option<BTreeSet<String>> {
    let mut topics: BTreeSet<String> = group
        .members
        .values()
        .flat_map(|m| m.topics.iter().cloned())
        .collect();
    let protocol_name = group.classic.protocol_name.as_deref();
    for member in group.classic.members.values() {
        // Before a protocol is chosen, any of the member's protocols names its topics.
        let metadata = match protocol_name {
            Some(_) => member.metadata_for(protocol_name),
            None => member
                .protocols
                .first()
                .map(|p| p.metadata.clone())
                .unwrap_or_default(),
        };
        topics.extend(subscribed_topics(&member.protocol_type, &metadata)?);
    }
    Some(topics)
}

fn join_native_group(
    group: &mut Group,
    request: &NativeJoin,
    partitions_of: &PartitionsOf,
) -> Result<oneshot::Receiver<NativeReply>, GroupError> {
    let now = Instant::now();
    let session_timeout = Duration::from_millis(u64::from(request.session_timeout_ms));
    let rebalance_timeout = Duration::from_millis(u64::from(
        request.rebalance_timeout_ms.max(request.session_timeout_ms),
    ));
    let mut topics = request.topics.clone();
    topics.sort();
    topics.dedup();

    group.check_kind(&request.group_id, &GroupKind::Native)?;
    let (tx, rx) = oneshot::channel();
    let partitions_changed = group.partitions_changed(partitions_of);
    let member_id = match &request.member_id {
        Some(id) => {
            let Some(member) = group.members.get_mut(id) else {
                return Err(unknown_member(&request.group_id, id));
            };
            member.last_seen = now;
            if group.state == GroupState::Stable
                && member.topics == topics
                && group.assignor == request.assignor
                && !partitions_changed
            {
                // Nothing changed: answer with the current generation at once.
                let _ = tx.send(Ok(NativeJoined {
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
                let _ = old.send(Err(GroupError::RebalanceInProgress {
                    group_id: request.group_id.clone(),
                    generation_id: group.generation_id,
                }));
            }
            id.clone()
        }
        None => {
            if group.members.len() >= MEMBERS_PER_GROUP_MAX {
                return Err(GroupError::GroupFull {
                    group_id: request.group_id.clone(),
                    members_max: MEMBERS_PER_GROUP_MAX,
                });
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
    group.protocol_type = None;
    group.assignor = request.assignor;
    group.start_rebalance(now);
    if let Some(member) = group.members.get_mut(&member_id) {
        member.joined = true;
        member.waiter = Some(tx);
    }
    group.try_complete(now, partitions_of);
    Ok(rx)
}

fn join_classic_group(
    group: &mut Group,
    request: &ClassicJoin,
) -> Result<oneshot::Receiver<JoinReply>, GroupError> {
    group.check_kind(
        &request.group_id,
        &GroupKind::Kafka(request.protocol_type.clone()),
    )?;
    if request.member_id.is_empty() && group.classic.members.len() >= MEMBERS_PER_GROUP_MAX {
        return Err(GroupError::GroupFull {
            group_id: request.group_id.clone(),
            members_max: MEMBERS_PER_GROUP_MAX,
        });
    }
    let previous_type = group.protocol_type.clone();
    if group.classic.is_vacant() {
        group.protocol_type = Some(request.protocol_type.clone());
    }
    let (classic, mut ctx) = group.ctx(&request.group_id, Instant::now());
    let result = classic.join(&mut ctx, request, || new_member_id(&request.client_id));
    if group.classic.is_vacant() {
        // Nobody joined, not even as a pending member: the group keeps its kind.
        group.protocol_type = previous_type;
    }
    result
}

fn tick_native(group_id: &str, group: &mut Group, now: Instant, partitions_of: &PartitionsOf) {
    let expired: Vec<String> = group
        .members
        .iter()
        .filter(|(_, m)| m.waiter.is_none() && now >= m.last_seen + m.session_timeout)
        .map(|(id, _)| id.clone())
        .collect();
    for id in expired {
        tracing::info!(group = %group_id, member = %id, "session timed out; removing member");
        group.remove_member(group_id, &id, now);
    }
    if group.state == GroupState::Rebalancing && group.rebalance_deadline.is_some_and(|d| now >= d)
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
        group.complete(now, partitions_of);
    } else {
        group.try_complete(now, partitions_of);
    }
}

fn snapshot(group: &Group) -> GroupSnapshot {
    let (state, kafka_state) = group.state_names();
    let native = group.members.iter().map(|(id, m)| MemberSnapshot {
        member_id: id.clone(),
        group_instance_id: None,
        client_id: m.client_id.clone(),
        client_host: String::new(),
        topics: m.topics.clone(),
        assignment: group.assignment.get(id).cloned().unwrap_or_default(),
        metadata: Bytes::new(),
        assignment_bytes: Bytes::new(),
    });
    let protocol_name = group.classic.protocol_name.clone();
    let classic = group.classic.members.iter().map(|(id, m)| MemberSnapshot {
        member_id: id.clone(),
        group_instance_id: m.instance_id.clone(),
        client_id: m.client_id.clone(),
        client_host: m.client_host.clone(),
        topics: Vec::new(),
        assignment: Vec::new(),
        metadata: m.metadata_for(group.classic.protocol_name.as_deref()),
        assignment_bytes: m.assignment.clone(),
    });
    GroupSnapshot {
        state,
        kafka_state,
        kind: group.kind(),
        generation_id: group.generation_id,
        assignor: group.assignor,
        protocol_name,
        members: native.chain(classic).collect(),
        offsets: group
            .offsets
            .iter()
            .map(|(k, (offset, _))| (k.clone(), *offset))
            .collect(),
    }
}

fn check_group_id(group_id: &str) -> Result<(), GroupError> {
    validate_group_id(group_id).map_err(|err| GroupError::InvalidGroupId {
        group_id: group_id.to_string(),
        reason: err.to_string(),
    })
}

/// A commit past the log end. Kafka accepts any offset; on one node the high watermark is the
/// whole log, so such a commit can only be a client bug, and it would make the group skip the
/// records that arrive later (SPEC.md §6.10). Equal is fine: "consumed everything".
fn past_high_watermark(entry: &CommitEntry) -> bool {
    entry
        .high_watermark
        .is_some_and(|high_watermark| entry.offset > high_watermark)
}

fn unknown_member(group_id: &str, member_id: &str) -> GroupError {
    GroupError::UnknownMember {
        group_id: group_id.to_string(),
        member_id: member_id.to_string(),
    }
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
pub(crate) mod tests;
