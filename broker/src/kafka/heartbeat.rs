//! Heartbeat v0-4: REBALANCE_IN_PROGRESS while a rebalance is prepared, NONE while it completes
//! and when stable (Kafka's behaviour); membership errors otherwise.

use super::errors::kafka_error_code;
use crate::groups::MemberRef;
use crate::state::BrokerState;
use kafka_protocol::messages::heartbeat_request::HeartbeatRequest;
use kafka_protocol::messages::heartbeat_response::HeartbeatResponse;

pub fn handle(state: &BrokerState, request: HeartbeatRequest) -> HeartbeatResponse {
    let member = MemberRef {
        member_id: request.member_id.to_string(),
        group_instance_id: request.group_instance_id.map(|id| id.to_string()),
    };
    let result =
        state
            .groups
            .kafka_heartbeat(request.group_id.0.as_str(), &member, request.generation_id);
    match result {
        Ok(()) => HeartbeatResponse::default(),
        Err(err) => HeartbeatResponse::default().with_error_code(kafka_error_code(err.code())),
    }
}
