//! DeleteGroup: the coordinator's [`delete`](crate::groups::GroupCoordinator::delete), the same
//! path as the Kafka listener's DeleteGroups.

use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::delete_group::{DeleteGroupRequest, DeleteGroupResponse};

pub async fn handle(
    state: &BrokerState,
    request: DeleteGroupRequest,
) -> Result<DeleteGroupResponse, HandlerError> {
    state.groups.delete(&request.group_id).await?;
    Ok(DeleteGroupResponse {})
}
