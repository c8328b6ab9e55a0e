//! DescribeGroups v0-5: state, protocol type and members. As in Kafka, the chosen protocol and
//! each member's metadata and assignment bytes are given only when the group is Stable; an
//! unknown group is reported Dead without error. Native groups are described with protocol type
//! "rustlog" and no bytes (their assignment is the broker's, see the native DescribeGroup).

use super::errors::kafka_error_code;
use super::list_groups::protocol_type;
use crate::groups::{GroupError, GroupSnapshot};
use crate::state::BrokerState;
use kafka_protocol::messages::describe_groups_request::DescribeGroupsRequest;
use kafka_protocol::messages::describe_groups_response::{
    DescribeGroupsResponse, DescribedGroup, DescribedGroupMember,
};
use kafka_protocol::messages::GroupId;
use kafka_protocol::protocol::StrBytes;

/// The first version with static members.
const INSTANCE_ID_VERSION: i16 = 4;
/// What Kafka reports for a group it does not know.
const DEAD_STATE: &str = "Dead";
const STABLE_STATE: &str = "Stable";

pub fn handle(
    state: &BrokerState,
    version: i16,
    request: DescribeGroupsRequest,
) -> DescribeGroupsResponse {
    let groups = request
        .groups
        .into_iter()
        .map(|group_id| describe(state, version, group_id))
        .collect();
    DescribeGroupsResponse::default().with_groups(groups)
}

fn describe(state: &BrokerState, version: i16, group_id: GroupId) -> DescribedGroup {
    let described = DescribedGroup::default().with_group_id(group_id.clone());
    match state.groups.describe(group_id.0.as_str()) {
        Ok(snapshot) => group(described, version, snapshot),
        Err(GroupError::GroupNotFound { .. }) => {
            described.with_group_state(StrBytes::from_static_str(DEAD_STATE))
        }
        Err(err) => described.with_error_code(kafka_error_code(err.code())),
    }
}

fn group(described: DescribedGroup, version: i16, snapshot: GroupSnapshot) -> DescribedGroup {
    let stable = snapshot.kafka_state == STABLE_STATE;
    let members = snapshot
        .members
        .into_iter()
        .map(|m| {
            let member = DescribedGroupMember::default()
                .with_member_id(StrBytes::from_string(m.member_id))
                .with_client_id(StrBytes::from_string(m.client_id))
                .with_client_host(StrBytes::from_string(m.client_host));
            let member = if version >= INSTANCE_ID_VERSION {
                member.with_group_instance_id(m.group_instance_id.map(StrBytes::from_string))
            } else {
                member
            };
            if stable {
                member
                    .with_member_metadata(m.metadata)
                    .with_member_assignment(m.assignment_bytes)
            } else {
                member
            }
        })
        .collect();
    let protocol_data = match snapshot.protocol_name {
        Some(name) if stable => name,
        _ => String::new(),
    };
    described
        .with_group_state(StrBytes::from_static_str(snapshot.kafka_state))
        .with_protocol_type(StrBytes::from_string(protocol_type(&snapshot.kind)))
        .with_protocol_data(StrBytes::from_string(protocol_data))
        .with_members(members)
}
