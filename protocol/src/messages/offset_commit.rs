//! OffsetCommit (10): store a group's positions. A committed offset is the *next* offset the
//! group will consume (Kafka's convention), persisted crash-safely by the broker.

use crate::error_code::ErrorCode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetCommitRequest {
    pub group_id: String,
    /// The member's generation; `None` for a group-less commit (no membership check). A member
    /// of an active group must send its generation; a stale one is rejected (`IllegalGeneration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_id: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    /// An admin's commit without generation: refused with `NonEmptyGroup` while the group has
    /// members, so resetting offsets cannot race a running consumer (Kafka's generation -1).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub only_if_empty: bool,
    pub offsets: Vec<OffsetCommitEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetCommitEntry {
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetCommitResponse {
    pub partitions: Vec<OffsetCommitPartitionResponse>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetCommitPartitionResponse {
    pub topic: String,
    pub partition: u32,
    pub error_code: ErrorCode,
}
