//! LeaveGroup v0-4: v0-2 name one member id (its error is the response's), v3+ a list of
//! members (member id and/or instance id), each answered with its own error code.

use super::errors::kafka_error_code;
use crate::groups::MemberRef;
use crate::state::BrokerState;
use kafka_protocol::messages::leave_group_request::LeaveGroupRequest;
use kafka_protocol::messages::leave_group_response::{LeaveGroupResponse, MemberResponse};
use kafka_protocol::protocol::StrBytes;
use rustlog_protocol::ErrorCode;

/// The first version with a list of members.
const BATCHED_VERSION: i16 = 3;

pub fn handle(state: &BrokerState, version: i16, request: LeaveGroupRequest) -> LeaveGroupResponse {
    let members: Vec<MemberRef> = if version >= BATCHED_VERSION {
        request
            .members
            .iter()
            .map(|m| MemberRef {
                member_id: m.member_id.to_string(),
                group_instance_id: m.group_instance_id.as_ref().map(|id| id.to_string()),
            })
            .collect()
    } else {
        vec![MemberRef {
            member_id: request.member_id.to_string(),
            group_instance_id: None,
        }]
    };
    let results = match state
        .groups
        .kafka_leave(request.group_id.0.as_str(), &members)
    {
        Ok(results) => results,
        Err(err) => {
            return LeaveGroupResponse::default().with_error_code(kafka_error_code(err.code()))
        }
    };
    let codes: Vec<i16> = results
        .iter()
        .map(|r| match r {
            Ok(()) => kafka_error_code(ErrorCode::None),
            Err(err) => kafka_error_code(err.code()),
        })
        .collect();
    if version < BATCHED_VERSION {
        let code = codes.first().copied().unwrap_or_default();
        return LeaveGroupResponse::default().with_error_code(code);
    }
    let responses = members
        .into_iter()
        .zip(codes)
        .map(|(member, code)| {
            MemberResponse::default()
                .with_member_id(StrBytes::from_string(member.member_id))
                .with_group_instance_id(member.group_instance_id.map(StrBytes::from_string))
                .with_error_code(code)
        })
        .collect();
    LeaveGroupResponse::default().with_members(responses)
}
