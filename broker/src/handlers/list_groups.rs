//! ListGroups: every group the broker knows (active, or with committed offsets).

use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::list_groups::{ListGroupsRequest, ListGroupsResponse};

pub fn handle(
    state: &BrokerState,
    _request: ListGroupsRequest,
) -> Result<ListGroupsResponse, HandlerError> {
    Ok(ListGroupsResponse {
        groups: state.groups.list()?,
    })
}
