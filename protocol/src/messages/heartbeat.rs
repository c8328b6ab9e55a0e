//! Heartbeat (13): keep a membership alive; answers `RebalanceInProgress` when the member must
//! rejoin, `UnknownMemberId` / `IllegalGeneration` when it was removed or is stale.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatRequest {
    pub group_id: String,
    pub member_id: String,
    pub generation_id: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatResponse {}
