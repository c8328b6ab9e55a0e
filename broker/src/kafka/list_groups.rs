//! ListGroups v0-4: every group the broker knows, Kafka groups with their protocol type and
//! native ones as protocol type "rustlog"; v4 filters by state (case-insensitive, as Kafka).

use super::errors::kafka_error_code;
use crate::groups::{GroupKind, GroupListing};
use crate::state::BrokerState;
use kafka_protocol::messages::list_groups_request::ListGroupsRequest;
use kafka_protocol::messages::list_groups_response::{ListGroupsResponse, ListedGroup};
use kafka_protocol::messages::GroupId;
use kafka_protocol::protocol::StrBytes;

/// The protocol type native groups are reported with.
pub const NATIVE_PROTOCOL_TYPE: &str = "rustlog";

pub fn handle(state: &BrokerState, request: ListGroupsRequest) -> ListGroupsResponse {
    let listings = match state.groups.list() {
        Ok(listings) => listings,
        Err(err) => {
            return ListGroupsResponse::default().with_error_code(kafka_error_code(err.code()))
        }
    };
    let groups = listings
        .into_iter()
        .filter(|g| wanted(&request.states_filter, g))
        .map(|g| {
            ListedGroup::default()
                .with_protocol_type(StrBytes::from_string(protocol_type(&g.kind)))
                .with_group_state(StrBytes::from_static_str(g.kafka_state))
                .with_group_id(GroupId(StrBytes::from_string(g.group_id)))
        })
        .collect();
    ListGroupsResponse::default().with_groups(groups)
}

fn wanted(states_filter: &[StrBytes], group: &GroupListing) -> bool {
    states_filter.is_empty()
        || states_filter
            .iter()
            .any(|s| s.as_str().eq_ignore_ascii_case(group.kafka_state))
}

/// A group's protocol type as Kafka clients see it.
pub fn protocol_type(kind: &GroupKind) -> String {
    match kind {
        GroupKind::Native => NATIVE_PROTOCOL_TYPE.to_string(),
        GroupKind::Kafka(protocol_type) => protocol_type.clone(),
    }
}
