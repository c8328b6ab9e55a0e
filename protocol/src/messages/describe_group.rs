//! DescribeGroup (17): a group's members, assignment, committed offsets and lag.

use super::common::TopicPartitions;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeGroupRequest {
    pub group_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeGroupResponse {
    pub group_id: String,
    pub state: String,
    pub generation_id: i32,
    pub assignor: super::join_group::Assignor,
    pub members: Vec<MemberDescription>,
    /// One entry per partition the group committed or is subscribed to.
    pub offsets: Vec<PartitionLag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDescription {
    pub member_id: String,
    pub client_id: String,
    pub topics: Vec<String>,
    pub assignment: Vec<TopicPartitions>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: u32,
    pub committed_offset: Option<u64>,
    pub high_watermark: u64,
    /// high_watermark - committed (or - log start when nothing is committed).
    pub lag: u64,
}
