//! OffsetFetch (11): read a group's committed positions.

use super::common::TopicPartition;
use crate::error_code::ErrorCode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetFetchRequest {
    pub group_id: String,
    /// `None` asks for every partition the group has committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions: Option<Vec<TopicPartition>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetFetchResponse {
    pub offsets: Vec<OffsetFetchPartition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetFetchPartition {
    pub topic: String,
    pub partition: u32,
    /// `None` when the group never committed this partition.
    pub offset: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    pub error_code: ErrorCode,
}
