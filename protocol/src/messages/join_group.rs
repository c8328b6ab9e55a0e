//! JoinGroup (12): enter a consumer group (or rejoin after a rebalance) and receive this
//! member's partition assignment, computed by the broker.
//!
//! A join that changes membership starts a rebalance: the generation id is bumped, existing
//! members learn it from `RebalanceInProgress` on their next heartbeat and rejoin; the response
//! to a join is sent once every known member rejoined or `rebalance_timeout_ms` passed (members
//! that did not rejoin are removed).

use super::common::TopicPartitions;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinGroupRequest {
    pub group_id: String,
    /// `None` on the first join; the broker assigns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    #[serde(default)]
    pub client_id: String,
    /// Topics this member subscribes to.
    pub topics: Vec<String>,
    /// The member is removed when no heartbeat arrives for this long.
    pub session_timeout_ms: u32,
    /// How long a rebalance waits for known members to rejoin.
    pub rebalance_timeout_ms: u32,
    #[serde(default)]
    pub assignor: Assignor,
}

/// How partitions are spread over members.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignor {
    /// Per topic, contiguous ranges of partitions to members sorted by id (Kafka's default).
    #[default]
    Range,
    /// All subscribed partitions dealt one by one to members in turn.
    RoundRobin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinGroupResponse {
    pub member_id: String,
    pub generation_id: i32,
    /// Partitions this member owns in this generation.
    pub assignment: Vec<TopicPartitions>,
    /// How often the member should heartbeat.
    pub heartbeat_interval_ms: u32,
    /// Members in this generation.
    pub member_count: u32,
}
