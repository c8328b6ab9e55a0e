//! ListGroups: every group the broker knows (active, or with committed offsets).

use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::list_groups::{
    GroupSummary, ListGroupsRequest, ListGroupsResponse,
};

pub fn handle(
    state: &BrokerState,
    _request: ListGroupsRequest,
) -> Result<ListGroupsResponse, HandlerError> {
    Ok(ListGroupsResponse {
        groups: state
            .groups
            .list()?
            .into_iter()
            .map(|g| GroupSummary {
                group_id: g.group_id,
                state: g.state,
                generation_id: g.generation_id,
                member_count: g.member_count,
            })
            .collect(),
    })
}
