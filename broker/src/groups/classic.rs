//! The leader-assigned ("classic") group protocol of Apache Kafka, as its `GroupCoordinator`
//! runs it: the broker only elects a leader and picks a protocol; the leader computes the
//! assignment (opaque bytes to the broker) and SyncGroup fans it out.
//!
//! States: `Empty` → (a join) `PreparingRebalance` → (every known member rejoined, or the
//! rebalance timeout passed and laggards were removed) `CompletingRebalance` → (the leader's
//! SyncGroup) `Stable`. A membership or protocol change in `CompletingRebalance` or `Stable`
//! goes back to `PreparingRebalance`.
//!
//! Rules kept from Kafka:
//! - A v4+ join without member id only reserves an id (a *pending* member, answered
//!   MEMBER_ID_REQUIRED); the rebalance waits for pending members until they join or their
//!   session timeout passes.
//! - Static members (`group_instance_id`) rejoining with an empty member id replace their old
//!   member id (which is fenced from then on); in `Stable` with an unchanged protocol choice
//!   this does not rebalance and the member keeps its assignment.
//! - The protocol is the one every member supports that most members list first among those.
//! - Members waiting in JoinGroup or SyncGroup do not expire by session; a member that does not
//!   sync within its session timeout after a join completed is removed (the others rebalance).
//! - The leader's assignment is answered to the members only once the group file holds it (with
//!   the generation's members, `ClassicGroup::to_stored`), and a stored Stable generation is
//!   loaded back with its members (`ClassicGroup::restore`), as Kafka's group metadata is.
//!
//! Not kept: the initial rebalance delay of an empty group (Kafka's
//! `group.initial.rebalance.delay.ms`): a join into an empty group completes at once.

use super::error::GroupError;
use super::store::{StoredKafkaGeneration, StoredKafkaMember, StoredProtocol};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// One protocol a member supports (for consumers: an assignor name and its subscription).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassicProtocol {
    pub name: String,
    pub metadata: Bytes,
}

/// A JoinGroup of the classic protocol, in plain terms.
#[derive(Debug, Clone)]
pub struct ClassicJoin {
    pub group_id: String,
    /// Empty for a member that has no id yet.
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub protocol_type: String,
    pub protocols: Vec<ClassicProtocol>,
    pub session_timeout_ms: u32,
    pub rebalance_timeout_ms: u32,
    /// JoinGroup v4+: a new member first gets MEMBER_ID_REQUIRED with its id.
    pub require_known_member_id: bool,
}

/// A member as the leader sees it in the join result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub metadata: Bytes,
}

/// The answer to a classic join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassicJoined {
    pub generation_id: i32,
    pub protocol_type: String,
    pub protocol_name: Option<String>,
    pub leader_id: String,
    pub member_id: String,
    /// Every member with its metadata for the chosen protocol, for the leader; empty otherwise.
    pub members: Vec<JoinedMember>,
}

/// A SyncGroup of the classic protocol.
#[derive(Debug, Clone)]
pub struct ClassicSync {
    pub group_id: String,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub generation_id: i32,
    /// Checked when given (SyncGroup v5).
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    /// The leader's assignment per member id (ignored from followers).
    pub assignments: Vec<(String, Bytes)>,
}

/// The answer to a SyncGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassicSynced {
    pub protocol_type: String,
    pub protocol_name: Option<String>,
    pub assignment: Bytes,
}

/// A member named by id and/or static instance id (LeaveGroup, OffsetCommit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    /// Empty when only the instance id is known.
    pub member_id: String,
    pub group_instance_id: Option<String>,
}

pub type JoinReply = Result<ClassicJoined, GroupError>;
pub type SyncReply = Result<ClassicSynced, GroupError>;

/// Kafka's group states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassicState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
}

impl ClassicState {
    pub fn name(self) -> &'static str {
        match self {
            ClassicState::Empty => "Empty",
            ClassicState::PreparingRebalance => "PreparingRebalance",
            ClassicState::CompletingRebalance => "CompletingRebalance",
            ClassicState::Stable => "Stable",
        }
    }
}

#[derive(Debug)]
pub(super) struct ClassicMember {
    pub(super) client_id: String,
    pub(super) client_host: String,
    pub(super) instance_id: Option<String>,
    pub(super) protocol_type: String,
    pub(super) protocols: Vec<ClassicProtocol>,
    pub(super) session_timeout: Duration,
    pub(super) rebalance_timeout: Duration,
    pub(super) last_seen: Instant,
    /// Order of first join: the earliest remaining member becomes leader.
    join_seq: u64,
    join_waiter: Option<oneshot::Sender<JoinReply>>,
    sync_waiter: Option<oneshot::Sender<SyncReply>>,
    /// Set when a join completed and cleared by the member's SyncGroup.
    sync_deadline: Option<Instant>,
    pub(super) assignment: Bytes,
}

impl ClassicMember {
    /// This member's metadata for a protocol.
    pub(super) fn metadata_for(&self, protocol: Option<&str>) -> Bytes {
        protocol
            .and_then(|name| self.protocols.iter().find(|p| p.name == name))
            .map(|p| p.metadata.clone())
            .unwrap_or_default()
    }

    fn same_protocols(&self, request: &ClassicJoin) -> bool {
        self.protocol_type == request.protocol_type && self.protocols == request.protocols
    }
}

/// The classic-protocol membership of one group (its generation and offsets live in the
/// coordinator's group, shared with the native protocol).
#[derive(Debug)]
pub(super) struct ClassicGroup {
    pub(super) state: ClassicState,
    pub(super) protocol_type: Option<String>,
    pub(super) protocol_name: Option<String>,
    pub(super) leader: Option<String>,
    pub(super) members: BTreeMap<String, ClassicMember>,
    /// Ids handed out with MEMBER_ID_REQUIRED, until each expires.
    pending: BTreeMap<String, Instant>,
    /// Instance id → current member id.
    static_members: BTreeMap<String, String>,
    rebalance_deadline: Option<Instant>,
    next_join_seq: u64,
    /// Stable with the leader's assignment installed but not yet in the group file: SyncGroup
    /// answers wait for [`ClassicGroup::assignment_stored`], so no member learns an assignment
    /// a crash could lose.
    awaiting_store: bool,
}

/// What a classic operation needs from its group besides the classic state.
pub(super) struct Ctx<'a> {
    pub(super) group_id: &'a str,
    pub(super) generation_id: &'a mut i32,
    pub(super) now: Instant,
}

impl ClassicGroup {
    pub(super) fn new() -> ClassicGroup {
        ClassicGroup {
            state: ClassicState::Empty,
            protocol_type: None,
            protocol_name: None,
            leader: None,
            members: BTreeMap::new(),
            pending: BTreeMap::new(),
            static_members: BTreeMap::new(),
            rebalance_deadline: None,
            next_join_seq: 0,
            awaiting_store: false,
        }
    }

    /// The Stable generation to write to the group file; `None` in any other state (the file
    /// then holds no members: a superseded or unassigned generation is never restored).
    pub(super) fn to_stored(&self, generation_id: i32) -> Option<StoredKafkaGeneration> {
        if self.state != ClassicState::Stable {
            return None;
        }
        let mut members: Vec<(&String, &ClassicMember)> = self.members.iter().collect();
        members.sort_by_key(|(_, m)| m.join_seq);
        Some(StoredKafkaGeneration {
            generation_id,
            protocol_name: self.protocol_name.clone()?,
            leader: self.leader.clone()?,
            members: members
                .into_iter()
                .map(|(id, m)| StoredKafkaMember {
                    member_id: id.clone(),
                    group_instance_id: m.instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    session_timeout_ms: duration_ms(m.session_timeout),
                    rebalance_timeout_ms: duration_ms(m.rebalance_timeout),
                    protocols: m
                        .protocols
                        .iter()
                        .map(|p| StoredProtocol {
                            name: p.name.clone(),
                            metadata: p.metadata.to_vec(),
                        })
                        .collect(),
                    assignment: m.assignment.to_vec(),
                })
                .collect(),
        })
    }

    /// A Stable group from its stored generation, as Kafka's coordinator loads one: every
    /// member's session starts at `now`, nobody waits. Errors name what is inconsistent.
    pub(super) fn restore(
        protocol_type: &str,
        stored: StoredKafkaGeneration,
        now: Instant,
    ) -> Result<ClassicGroup, String> {
        let mut group = ClassicGroup::new();
        for member in stored.members {
            let protocols: Vec<ClassicProtocol> = member
                .protocols
                .into_iter()
                .map(|p| ClassicProtocol {
                    name: p.name,
                    metadata: Bytes::from(p.metadata),
                })
                .collect();
            if !protocols.iter().any(|p| p.name == stored.protocol_name) {
                return Err(format!(
                    "member {:?} does not support the chosen protocol {:?}",
                    member.member_id, stored.protocol_name
                ));
            }
            if let Some(instance) = &member.group_instance_id {
                if group
                    .static_members
                    .insert(instance.clone(), member.member_id.clone())
                    .is_some()
                {
                    return Err(format!("instance id {instance:?} is listed twice"));
                }
            }
            group.next_join_seq += 1;
            let restored = ClassicMember {
                client_id: member.client_id,
                client_host: member.client_host,
                instance_id: member.group_instance_id,
                protocol_type: protocol_type.to_string(),
                protocols,
                session_timeout: Duration::from_millis(u64::from(member.session_timeout_ms)),
                rebalance_timeout: Duration::from_millis(u64::from(member.rebalance_timeout_ms)),
                last_seen: now,
                join_seq: group.next_join_seq,
                join_waiter: None,
                sync_waiter: None,
                sync_deadline: None,
                assignment: Bytes::from(member.assignment),
            };
            if group
                .members
                .insert(member.member_id.clone(), restored)
                .is_some()
            {
                return Err(format!("member {:?} is listed twice", member.member_id));
            }
        }
        if !group.members.contains_key(&stored.leader) {
            return Err(format!("leader {:?} is not a member", stored.leader));
        }
        group.state = ClassicState::Stable;
        group.protocol_type = Some(protocol_type.to_string());
        group.protocol_name = Some(stored.protocol_name);
        group.leader = Some(stored.leader);
        Ok(group)
    }

    /// No members, not even pending ones: the group may change kind.
    pub(super) fn is_vacant(&self) -> bool {
        self.members.is_empty() && self.pending.is_empty()
    }

    /// Handles a join; the receiver resolves when the join completes (at once when nothing
    /// changed).
    pub(super) fn join(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: &ClassicJoin,
        new_member_id: impl FnOnce() -> String,
    ) -> Result<oneshot::Receiver<JoinReply>, GroupError> {
        self.check_protocols(ctx.group_id, request)?;
        let (tx, rx) = oneshot::channel();
        if request.member_id.is_empty() {
            let known_instance = request
                .group_instance_id
                .as_ref()
                .and_then(|instance| self.static_members.get(instance).cloned());
            match known_instance {
                Some(old_id) => self.replace_static(ctx, request, &old_id, new_member_id(), tx),
                None => self.join_new(ctx, request, new_member_id(), tx)?,
            }
        } else if self.pending.remove(&request.member_id).is_some() {
            self.add_member(ctx, request, request.member_id.clone(), tx);
        } else {
            self.rejoin(ctx, request, tx)?;
        }
        self.try_complete_join(ctx);
        Ok(rx)
    }

    /// INCONSISTENT_GROUP_PROTOCOL unless the member can be in this group.
    fn check_protocols(&self, group_id: &str, request: &ClassicJoin) -> Result<(), GroupError> {
        let inconsistent = |reason: String| GroupError::InconsistentProtocol {
            group_id: group_id.to_string(),
            member_id: request.member_id.clone(),
            reason,
        };
        if request.protocol_type.is_empty() || request.protocols.is_empty() {
            return Err(inconsistent(
                "a join needs a protocol type and at least one protocol".into(),
            ));
        }
        if self.members.is_empty() {
            return Ok(());
        }
        if let Some(group_type) = &self.protocol_type {
            if *group_type != request.protocol_type {
                return Err(inconsistent(format!(
                    "protocol type {:?} differs from the group's {group_type:?}",
                    request.protocol_type
                )));
            }
        }
        let shared = request.protocols.iter().any(|p| {
            self.members
                .iter()
                .filter(|(id, _)| **id != request.member_id)
                .all(|(_, m)| m.protocols.iter().any(|q| q.name == p.name))
        });
        if !shared {
            let names: Vec<&str> = request.protocols.iter().map(|p| p.name.as_str()).collect();
            return Err(inconsistent(format!(
                "none of the protocols {names:?} is supported by every member"
            )));
        }
        Ok(())
    }

    fn join_new(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: &ClassicJoin,
        member_id: String,
        tx: oneshot::Sender<JoinReply>,
    ) -> Result<(), GroupError> {
        if request.group_instance_id.is_none() && request.require_known_member_id {
            let session_timeout = Duration::from_millis(u64::from(request.session_timeout_ms));
            self.pending
                .insert(member_id.clone(), ctx.now + session_timeout);
            return Err(GroupError::MemberIdRequired {
                group_id: ctx.group_id.to_string(),
                member_id,
            });
        }
        self.add_member(ctx, request, member_id, tx);
        Ok(())
    }

    fn add_member(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: &ClassicJoin,
        member_id: String,
        tx: oneshot::Sender<JoinReply>,
    ) {
        if self.members.is_empty() {
            self.protocol_type = Some(request.protocol_type.clone());
        }
        self.next_join_seq += 1;
        let member = ClassicMember {
            client_id: request.client_id.clone(),
            client_host: request.client_host.clone(),
            instance_id: request.group_instance_id.clone(),
            protocol_type: request.protocol_type.clone(),
            protocols: request.protocols.clone(),
            session_timeout: Duration::from_millis(u64::from(request.session_timeout_ms)),
            rebalance_timeout: Duration::from_millis(u64::from(request.rebalance_timeout_ms)),
            last_seen: ctx.now,
            join_seq: self.next_join_seq,
            join_waiter: Some(tx),
            sync_waiter: None,
            sync_deadline: None,
            assignment: Bytes::new(),
        };
        if let Some(instance) = &request.group_instance_id {
            self.static_members
                .insert(instance.clone(), member_id.clone());
        }
        if self.leader.is_none() {
            self.leader = Some(member_id.clone());
        }
        self.members.insert(member_id, member);
        self.prepare_rebalance(ctx);
    }

    /// A known static member joined with an empty member id: it gets a new id, the old one is
    /// fenced.
    fn replace_static(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: &ClassicJoin,
        old_id: &str,
        new_id: String,
        tx: oneshot::Sender<JoinReply>,
    ) {
        let Some(mut member) = self.members.remove(old_id) else {
            return;
        };
        let instance = request.group_instance_id.clone().unwrap_or_default();
        let fenced = || GroupError::FencedInstance {
            group_id: ctx.group_id.to_string(),
            instance_id: instance.clone(),
            member_id: old_id.to_string(),
            current_member_id: new_id.clone(),
        };
        if let Some(waiter) = member.join_waiter.take() {
            let _ = waiter.send(Err(fenced()));
        }
        if let Some(waiter) = member.sync_waiter.take() {
            let _ = waiter.send(Err(fenced()));
        }
        let protocols_changed = !member.same_protocols(request);
        member.protocols = request.protocols.clone();
        member.session_timeout = Duration::from_millis(u64::from(request.session_timeout_ms));
        member.rebalance_timeout = Duration::from_millis(u64::from(request.rebalance_timeout_ms));
        member.client_id = request.client_id.clone();
        member.client_host = request.client_host.clone();
        member.last_seen = ctx.now;
        self.members.insert(new_id.clone(), member);
        self.static_members.insert(instance.clone(), new_id.clone());
        if self.leader.as_deref() == Some(old_id) {
            self.leader = Some(new_id.clone());
        }
        let keeps_choice = !protocols_changed || self.select_protocol() == self.protocol_name;
        match self.state {
            ClassicState::Stable if keeps_choice => {
                // Same choice: no rebalance, the member keeps its assignment (Kafka's
                // static-membership promise).
                let _ = tx.send(Ok(self.join_result(ctx, &new_id, false)));
            }
            _ => {
                if let Some(member) = self.members.get_mut(&new_id) {
                    member.join_waiter = Some(tx);
                }
                self.prepare_rebalance(ctx);
            }
        }
    }

    /// A known member joins again.
    fn rejoin(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: &ClassicJoin,
        tx: oneshot::Sender<JoinReply>,
    ) -> Result<(), GroupError> {
        let member_ref = MemberRef {
            member_id: request.member_id.clone(),
            group_instance_id: request.group_instance_id.clone(),
        };
        let id = self.validate_member(ctx.group_id, &member_ref)?;
        let is_leader = self.leader.as_deref() == Some(id.as_str());
        let Some(member) = self.members.get_mut(&id) else {
            return Err(unknown_member(ctx.group_id, &id));
        };
        member.last_seen = ctx.now;
        let unchanged = member.same_protocols(request);
        match self.state {
            ClassicState::CompletingRebalance if unchanged => {
                let _ = tx.send(Ok(self.join_result(ctx, &id, is_leader)));
                return Ok(());
            }
            ClassicState::Stable if unchanged && !is_leader => {
                let _ = tx.send(Ok(self.join_result(ctx, &id, false)));
                return Ok(());
            }
            ClassicState::Empty => return Err(unknown_member(ctx.group_id, &id)),
            _ => {}
        }
        member.protocols = request.protocols.clone();
        member.protocol_type = request.protocol_type.clone();
        member.session_timeout = Duration::from_millis(u64::from(request.session_timeout_ms));
        member.rebalance_timeout = Duration::from_millis(u64::from(request.rebalance_timeout_ms));
        member.client_id = request.client_id.clone();
        if let Some(old) = member.join_waiter.replace(tx) {
            let _ = old.send(Err(GroupError::RebalanceInProgress {
                group_id: ctx.group_id.to_string(),
                generation_id: *ctx.generation_id,
            }));
        }
        self.prepare_rebalance(ctx);
        Ok(())
    }

    /// The member id a reference names, or FENCED_INSTANCE_ID / UNKNOWN_MEMBER_ID.
    pub(super) fn validate_member(
        &self,
        group_id: &str,
        member: &MemberRef,
    ) -> Result<String, GroupError> {
        if let Some(instance) = &member.group_instance_id {
            match self.static_members.get(instance) {
                Some(current) if member.member_id.is_empty() => return Ok(current.clone()),
                Some(current) if *current != member.member_id => {
                    return Err(GroupError::FencedInstance {
                        group_id: group_id.to_string(),
                        instance_id: instance.clone(),
                        member_id: member.member_id.clone(),
                        current_member_id: current.clone(),
                    });
                }
                _ => {}
            }
        }
        if self.members.contains_key(&member.member_id) {
            Ok(member.member_id.clone())
        } else {
            Err(unknown_member(group_id, &member.member_id))
        }
    }

    /// Starts a rebalance unless one is being prepared.
    fn prepare_rebalance(&mut self, ctx: &mut Ctx<'_>) {
        match self.state {
            ClassicState::PreparingRebalance => return,
            ClassicState::CompletingRebalance => {
                // Assignments of this generation will never come: send the waiting members
                // back to JoinGroup.
                for member in self.members.values_mut() {
                    member.sync_deadline = None;
                    if let Some(waiter) = member.sync_waiter.take() {
                        let _ = waiter.send(Err(GroupError::RebalanceInProgress {
                            group_id: ctx.group_id.to_string(),
                            generation_id: *ctx.generation_id,
                        }));
                    }
                }
            }
            ClassicState::Stable if self.awaiting_store => {
                // An assignment still being stored is superseded: its waiters rejoin.
                self.awaiting_store = false;
                for member in self.members.values_mut() {
                    if let Some(waiter) = member.sync_waiter.take() {
                        let _ = waiter.send(Err(GroupError::RebalanceInProgress {
                            group_id: ctx.group_id.to_string(),
                            generation_id: *ctx.generation_id,
                        }));
                    }
                }
            }
            ClassicState::Empty | ClassicState::Stable => {}
        }
        self.state = ClassicState::PreparingRebalance;
        let timeout = self
            .members
            .values()
            .map(|m| m.rebalance_timeout.max(m.session_timeout))
            .max()
            .unwrap_or_default();
        self.rebalance_deadline = Some(ctx.now + timeout);
    }

    /// Completes the join when every known member rejoined and no id is pending.
    pub(super) fn try_complete_join(&mut self, ctx: &mut Ctx<'_>) {
        if self.state == ClassicState::PreparingRebalance
            && self.pending.is_empty()
            && self.members.values().all(|m| m.join_waiter.is_some())
        {
            self.complete_join(ctx);
        }
    }

    /// Removes the members that did not rejoin, bumps the generation, elects the leader, picks
    /// the protocol and answers every waiting join.
    fn complete_join(&mut self, ctx: &mut Ctx<'_>) {
        let late: Vec<String> = self
            .members
            .iter()
            .filter(|(_, m)| m.join_waiter.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        for id in late {
            tracing::info!(group = %ctx.group_id, member = %id, "did not rejoin in time; removing member");
            self.forget_member(&id);
        }
        // Reserved ids stay valid until they expire, as in Kafka: a slow client may still use
        // its id (and starts the next rebalance).
        self.rebalance_deadline = None;
        *ctx.generation_id = ctx.generation_id.wrapping_add(1).max(1);
        if self.members.is_empty() {
            self.state = ClassicState::Empty;
            self.protocol_name = None;
            self.leader = None;
            return;
        }
        if !self
            .leader
            .as_ref()
            .is_some_and(|l| self.members.contains_key(l))
        {
            self.leader = self.earliest_member();
        }
        self.protocol_name = self.select_protocol();
        self.state = ClassicState::CompletingRebalance;
        let ids: Vec<String> = self.members.keys().cloned().collect();
        for id in ids {
            let is_leader = self.leader.as_deref() == Some(id.as_str());
            let result = self.join_result(ctx, &id, is_leader);
            if let Some(member) = self.members.get_mut(&id) {
                member.last_seen = ctx.now;
                member.sync_deadline = Some(ctx.now + member.session_timeout);
                member.assignment = Bytes::new();
                if let Some(waiter) = member.join_waiter.take() {
                    let _ = waiter.send(Ok(result));
                }
            }
        }
    }

    fn earliest_member(&self) -> Option<String> {
        self.members
            .iter()
            .min_by_key(|(_, m)| m.join_seq)
            .map(|(id, _)| id.clone())
    }

    /// The protocol every member supports that most members list first among those; ties go
    /// to the leader's preference.
    pub(super) fn select_protocol(&self) -> Option<String> {
        let supported = |name: &str| {
            self.members
                .values()
                .all(|m| m.protocols.iter().any(|p| p.name == name))
        };
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for member in self.members.values() {
            if let Some(first) = member.protocols.iter().find(|p| supported(&p.name)) {
                *votes.entry(first.name.as_str()).or_default() += 1;
            }
        }
        let most = votes.values().copied().max()?;
        let preference = self
            .leader
            .as_ref()
            .and_then(|l| self.members.get(l))
            .or_else(|| self.members.values().next())?;
        preference
            .protocols
            .iter()
            .find(|p| votes.get(p.name.as_str()) == Some(&most))
            .map(|p| p.name.clone())
    }

    fn join_result(&self, ctx: &Ctx<'_>, member_id: &str, with_members: bool) -> ClassicJoined {
        let members = if with_members {
            self.members
                .iter()
                .map(|(id, m)| JoinedMember {
                    member_id: id.clone(),
                    group_instance_id: m.instance_id.clone(),
                    metadata: m.metadata_for(self.protocol_name.as_deref()),
                })
                .collect()
        } else {
            Vec::new()
        };
        ClassicJoined {
            generation_id: *ctx.generation_id,
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            protocol_name: self.protocol_name.clone(),
            leader_id: self.leader.clone().unwrap_or_default(),
            member_id: member_id.to_string(),
            members,
        }
    }

    /// Handles a SyncGroup; the receiver resolves when the leader's assignment is there and
    /// stored. `true` with it: this was the leader's assignment, and the caller writes the group
    /// file and then calls [`ClassicGroup::assignment_stored`].
    pub(super) fn sync(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: &ClassicSync,
    ) -> Result<(oneshot::Receiver<SyncReply>, bool), GroupError> {
        let member_ref = MemberRef {
            member_id: request.member_id.clone(),
            group_instance_id: request.group_instance_id.clone(),
        };
        let id = self.validate_member(ctx.group_id, &member_ref)?;
        self.check_generation(ctx, &id, request.generation_id)?;
        self.check_sync_protocol(ctx.group_id, request)?;
        let (tx, rx) = oneshot::channel();
        let reply = |group: &ClassicGroup, assignment: Bytes| ClassicSynced {
            protocol_type: group.protocol_type.clone().unwrap_or_default(),
            protocol_name: group.protocol_name.clone(),
            assignment,
        };
        match self.state {
            ClassicState::Empty => return Err(unknown_member(ctx.group_id, &id)),
            ClassicState::PreparingRebalance => {
                return Err(GroupError::RebalanceInProgress {
                    group_id: ctx.group_id.to_string(),
                    generation_id: *ctx.generation_id,
                })
            }
            ClassicState::Stable => {
                let Some(member) = self.members.get_mut(&id) else {
                    return Err(unknown_member(ctx.group_id, &id));
                };
                member.last_seen = ctx.now;
                member.sync_deadline = None;
                if self.awaiting_store {
                    // Answered once the assignment is in the group file.
                    member.sync_waiter = Some(tx);
                } else {
                    let assignment = member.assignment.clone();
                    let _ = tx.send(Ok(reply(self, assignment)));
                }
            }
            ClassicState::CompletingRebalance => {
                let Some(member) = self.members.get_mut(&id) else {
                    return Err(unknown_member(ctx.group_id, &id));
                };
                member.last_seen = ctx.now;
                member.sync_deadline = None;
                member.sync_waiter = Some(tx);
                if self.leader.as_deref() == Some(id.as_str()) {
                    self.install_assignment(&request.assignments);
                    return Ok((rx, true));
                }
            }
        }
        Ok((rx, false))
    }

    /// The group file written for `generation_id`'s assignment (or failing to be): answers
    /// every member waiting in SyncGroup. After a failed write they get its error and the group
    /// rebalances, as Kafka's coordinator does when storing an assignment fails. A generation
    /// that has moved on in the meantime is left alone (its waiters were answered then).
    pub(super) fn assignment_stored(
        &mut self,
        ctx: &mut Ctx<'_>,
        generation_id: i32,
        result: Result<(), GroupError>,
    ) {
        if !self.awaiting_store
            || self.state != ClassicState::Stable
            || *ctx.generation_id != generation_id
        {
            return;
        }
        self.awaiting_store = false;
        match result {
            Ok(()) => {
                let protocol_type = self.protocol_type.clone().unwrap_or_default();
                for member in self.members.values_mut() {
                    if let Some(waiter) = member.sync_waiter.take() {
                        let _ = waiter.send(Ok(ClassicSynced {
                            protocol_type: protocol_type.clone(),
                            protocol_name: self.protocol_name.clone(),
                            assignment: member.assignment.clone(),
                        }));
                    }
                }
            }
            Err(err) => {
                tracing::warn!(group = %ctx.group_id, error = %err, "storing the assignment failed; rebalancing");
                for member in self.members.values_mut() {
                    if let Some(waiter) = member.sync_waiter.take() {
                        let _ = waiter.send(Err(err.clone()));
                    }
                }
                self.prepare_rebalance(ctx);
            }
        }
    }

    /// The leader's assignment: kept for every member (empty for those it left out); the group
    /// is stable, and the members waiting in SyncGroup are answered once it is stored.
    fn install_assignment(&mut self, assignments: &[(String, Bytes)]) {
        let given: BTreeMap<&str, &Bytes> =
            assignments.iter().map(|(id, a)| (id.as_str(), a)).collect();
        self.state = ClassicState::Stable;
        self.awaiting_store = true;
        for (id, member) in self.members.iter_mut() {
            member.assignment = given
                .get(id.as_str())
                .map(|a| (*a).clone())
                .unwrap_or_default();
        }
    }

    fn check_generation(
        &self,
        ctx: &Ctx<'_>,
        member_id: &str,
        generation_id: i32,
    ) -> Result<(), GroupError> {
        if generation_id == *ctx.generation_id {
            return Ok(());
        }
        Err(GroupError::IllegalGeneration {
            group_id: ctx.group_id.to_string(),
            member_id: member_id.to_string(),
            generation_id,
            current_generation_id: *ctx.generation_id,
        })
    }

    fn check_sync_protocol(&self, group_id: &str, request: &ClassicSync) -> Result<(), GroupError> {
        let mismatch =
            |what: &str, got: &str, group: Option<&str>| GroupError::InconsistentProtocol {
                group_id: group_id.to_string(),
                member_id: request.member_id.clone(),
                reason: format!("SyncGroup names {what} {got:?}; the group's is {group:?}"),
            };
        if let Some(got) = &request.protocol_type {
            if self.protocol_type.as_deref() != Some(got.as_str()) {
                return Err(mismatch(
                    "protocol type",
                    got,
                    self.protocol_type.as_deref(),
                ));
            }
        }
        if let Some(got) = &request.protocol_name {
            if self.protocol_name.as_deref() != Some(got.as_str()) {
                return Err(mismatch("protocol", got, self.protocol_name.as_deref()));
            }
        }
        Ok(())
    }

    /// Handles a heartbeat: REBALANCE_IN_PROGRESS while a rebalance is prepared, as Kafka.
    pub(super) fn heartbeat(
        &mut self,
        ctx: &mut Ctx<'_>,
        member: &MemberRef,
        generation_id: i32,
    ) -> Result<(), GroupError> {
        let id = self.validate_member(ctx.group_id, member)?;
        self.check_generation(ctx, &id, generation_id)?;
        if let Some(m) = self.members.get_mut(&id) {
            m.last_seen = ctx.now;
        }
        match self.state {
            ClassicState::Empty => Err(unknown_member(ctx.group_id, &id)),
            ClassicState::PreparingRebalance => Err(GroupError::RebalanceInProgress {
                group_id: ctx.group_id.to_string(),
                generation_id: *ctx.generation_id,
            }),
            ClassicState::CompletingRebalance | ClassicState::Stable => Ok(()),
        }
    }

    /// Checks that a member may commit offsets in `generation_id` (Kafka's rules: during
    /// CompletingRebalance the member has no assignment yet, so REBALANCE_IN_PROGRESS).
    pub(super) fn check_commit(
        &mut self,
        ctx: &mut Ctx<'_>,
        member: &MemberRef,
        generation_id: i32,
    ) -> Result<(), GroupError> {
        let id = self.validate_member(ctx.group_id, member)?;
        self.check_generation(ctx, &id, generation_id)?;
        if self.state == ClassicState::CompletingRebalance {
            return Err(GroupError::RebalanceInProgress {
                group_id: ctx.group_id.to_string(),
                generation_id: *ctx.generation_id,
            });
        }
        if let Some(m) = self.members.get_mut(&id) {
            m.last_seen = ctx.now;
        }
        Ok(())
    }

    /// Handles one member of a LeaveGroup.
    pub(super) fn leave(
        &mut self,
        ctx: &mut Ctx<'_>,
        member: &MemberRef,
    ) -> Result<(), GroupError> {
        if member.group_instance_id.is_none() && self.pending.remove(&member.member_id).is_some() {
            self.try_complete_join(ctx);
            return Ok(());
        }
        let id = self.validate_member(ctx.group_id, member)?;
        self.remove_member(ctx, &id);
        Ok(())
    }

    /// Removes a member (failing its waits) and rebalances the rest.
    pub(super) fn remove_member(&mut self, ctx: &mut Ctx<'_>, member_id: &str) {
        let Some(mut member) = self.forget_member(member_id) else {
            return;
        };
        let gone = || unknown_member(ctx.group_id, member_id);
        if let Some(waiter) = member.join_waiter.take() {
            let _ = waiter.send(Err(gone()));
        }
        if let Some(waiter) = member.sync_waiter.take() {
            let _ = waiter.send(Err(gone()));
        }
        if matches!(
            self.state,
            ClassicState::Stable | ClassicState::CompletingRebalance
        ) {
            self.prepare_rebalance(ctx);
        }
        // With nobody left to wait for, the rebalance completes at once (to Empty when the
        // group emptied).
        self.try_complete_join(ctx);
    }

    fn forget_member(&mut self, member_id: &str) -> Option<ClassicMember> {
        let member = self.members.remove(member_id)?;
        if let Some(instance) = &member.instance_id {
            if self.static_members.get(instance).map(String::as_str) == Some(member_id) {
                self.static_members.remove(instance);
            }
        }
        if self.leader.as_deref() == Some(member_id) {
            self.leader = self.earliest_member();
        }
        Some(member)
    }

    /// Expires pending ids, sessions, syncs that did not come, and overdue rebalances.
    pub(super) fn tick(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        let before = self.pending.len();
        self.pending.retain(|_, expiry| *expiry > now);
        if self.pending.len() != before {
            self.try_complete_join(ctx);
        }
        let expired: Vec<String> = self
            .members
            .iter()
            .filter(|(_, m)| {
                let idle = m.join_waiter.is_none()
                    && m.sync_waiter.is_none()
                    && now >= m.last_seen + m.session_timeout;
                let no_sync = m.sync_deadline.is_some_and(|d| now >= d);
                idle || no_sync
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            tracing::info!(group = %ctx.group_id, member = %id, "session timed out; removing member");
            self.remove_member(ctx, &id);
        }
        if self.state == ClassicState::PreparingRebalance
            && self.rebalance_deadline.is_some_and(|d| now >= d)
        {
            self.complete_join(ctx);
        }
    }

    /// Fails every wait (shutdown).
    pub(super) fn fail_waiters(&mut self) {
        for member in self.members.values_mut() {
            if let Some(waiter) = member.join_waiter.take() {
                let _ = waiter.send(Err(GroupError::ShuttingDown));
            }
            if let Some(waiter) = member.sync_waiter.take() {
                let _ = waiter.send(Err(GroupError::ShuttingDown));
            }
        }
    }
}

/// Milliseconds of a timeout that came from a `u32` of milliseconds.
fn duration_ms(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

fn unknown_member(group_id: &str, member_id: &str) -> GroupError {
    GroupError::UnknownMember {
        group_id: group_id.to_string(),
        member_id: member_id.to_string(),
    }
}

#[cfg(test)]
mod tests;
