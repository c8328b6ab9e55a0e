//! ListGroups (16): every consumer group the broker knows (active or with committed offsets).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListGroupsRequest {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListGroupsResponse {
    /// Sorted by group id.
    pub groups: Vec<GroupSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub group_id: String,
    /// `stable`, `rebalancing` or `empty`.
    pub state: String,
    pub generation_id: i32,
    pub member_count: u32,
}
