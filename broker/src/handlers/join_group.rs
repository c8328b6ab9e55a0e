//! JoinGroup: enter or rejoin a group; answered when the rebalance completes (see
//! `groups::coordinator` for the rules). The new generation is persisted so generations keep
//! increasing across restarts.

use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::join_group::{JoinGroupRequest, JoinGroupResponse};
use rustlog_protocol::ErrorCode;
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: JoinGroupRequest,
) -> Result<JoinGroupResponse, HandlerError> {
    let group_id = request.group_id.clone();
    let waiter = state.groups.join(request)?;
    let response = waiter.await.map_err(|_| {
        HandlerError::new(
            ErrorCode::BrokerShuttingDown,
            "the group coordinator stopped before the rebalance completed",
        )
    })??;
    state.groups.persist(&group_id).await?;
    Ok(response)
}
