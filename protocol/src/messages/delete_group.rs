//! DeleteGroup (20): delete a group that has no members, with its committed offsets
//! (`NonEmptyGroup` while it has members, `GroupNotFound` for a group the broker does not know).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteGroupRequest {
    pub group_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteGroupResponse {}
