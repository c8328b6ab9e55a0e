//! Heartbeat: keep a membership alive; tells the member to rejoin during a rebalance.

use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::heartbeat::{HeartbeatRequest, HeartbeatResponse};

pub fn handle(
    state: &BrokerState,
    request: HeartbeatRequest,
) -> Result<HeartbeatResponse, HandlerError> {
    state
        .groups
        .heartbeat(&request.group_id, &request.member_id, request.generation_id)?;
    Ok(HeartbeatResponse {})
}
