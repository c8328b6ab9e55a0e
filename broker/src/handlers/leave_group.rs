//! LeaveGroup: leave at once; the remaining members rebalance.

use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::leave_group::{LeaveGroupRequest, LeaveGroupResponse};

pub fn handle(
    state: &BrokerState,
    request: LeaveGroupRequest,
) -> Result<LeaveGroupResponse, HandlerError> {
    state.groups.leave(&request.group_id, &request.member_id)?;
    Ok(LeaveGroupResponse {})
}
