//! DeleteGroups v0-2: deletes empty groups with their committed offsets (the group file is
//! removed durably); NON_EMPTY_GROUP while a group has members, GROUP_ID_NOT_FOUND for a group
//! the broker does not know.

use super::errors::kafka_error_code;
use crate::state::BrokerState;
use kafka_protocol::messages::delete_groups_request::DeleteGroupsRequest;
use kafka_protocol::messages::delete_groups_response::{
    DeletableGroupResult, DeleteGroupsResponse,
};
use rustlog_protocol::ErrorCode;

pub async fn handle(state: &BrokerState, request: DeleteGroupsRequest) -> DeleteGroupsResponse {
    let mut results = Vec::with_capacity(request.groups_names.len());
    for group_id in request.groups_names {
        let code = match state.groups.delete(group_id.0.as_str()).await {
            Ok(()) => ErrorCode::None,
            Err(err) => err.code(),
        };
        results.push(
            DeletableGroupResult::default()
                .with_group_id(group_id)
                .with_error_code(kafka_error_code(code)),
        );
    }
    DeleteGroupsResponse::default().with_results(results)
}
