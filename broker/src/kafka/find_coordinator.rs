//! FindCoordinator: this broker (node 0, the advertised address) coordinates every group.
//! v0-3 ask for one key, v4 for a batch (`coordinator_keys`). Transaction coordinators (key
//! type 1) answer INVALID_REQUEST: RustLog has no transactions, and a retriable error
//! (COORDINATOR_NOT_AVAILABLE) would only make a transactional client retry until it times out.

use super::errors::kafka_error_code;
use super::NODE_ID;
use crate::state::BrokerState;
use kafka_protocol::messages::find_coordinator_request::FindCoordinatorRequest;
use kafka_protocol::messages::find_coordinator_response::{Coordinator, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;
use rustlog_protocol::names::validate_group_id;
use rustlog_protocol::ErrorCode;

/// Key type of a consumer group.
const KEY_TYPE_GROUP: i8 = 0;
/// Key type of a transactional id.
const KEY_TYPE_TRANSACTION: i8 = 1;
/// The first version that batches keys.
const BATCHED_VERSION: i16 = 4;

pub fn handle(
    state: &BrokerState,
    version: i16,
    request: FindCoordinatorRequest,
) -> FindCoordinatorResponse {
    if version >= BATCHED_VERSION {
        let coordinators = request
            .coordinator_keys
            .iter()
            .map(|key| coordinator(state, request.key_type, key))
            .collect();
        return FindCoordinatorResponse::default().with_coordinators(coordinators);
    }
    let found = coordinator(state, request.key_type, &request.key);
    let response = FindCoordinatorResponse::default()
        .with_error_code(found.error_code)
        .with_node_id(found.node_id)
        .with_host(found.host)
        .with_port(found.port);
    if version >= 1 {
        response.with_error_message(found.error_message)
    } else {
        response
    }
}

fn coordinator(state: &BrokerState, key_type: i8, key: &StrBytes) -> Coordinator {
    let entry = Coordinator::default().with_key(key.clone());
    let refuse = |code: ErrorCode, message: String| {
        Coordinator::default()
            .with_key(key.clone())
            .with_node_id(kafka_protocol::messages::BrokerId(-1))
            .with_error_code(kafka_error_code(code))
            .with_error_message(Some(StrBytes::from_string(message)))
    };
    match key_type {
        KEY_TYPE_GROUP => {}
        KEY_TYPE_TRANSACTION => {
            return refuse(
                ErrorCode::InvalidRequest,
                "RustLog has no transactions, so no transaction coordinator".into(),
            )
        }
        other => {
            return refuse(
                ErrorCode::InvalidRequest,
                format!("unknown key type {other}"),
            )
        }
    }
    if let Err(err) = validate_group_id(key.as_str()) {
        return refuse(
            ErrorCode::InvalidGroupId,
            format!("invalid group id {:?}: {err}", key.as_str()),
        );
    }
    let Some(endpoint) = &state.kafka_advertised else {
        return refuse(
            ErrorCode::CoordinatorNotAvailable,
            "the Kafka listener has no advertised address".into(),
        );
    };
    entry
        .with_node_id(NODE_ID)
        .with_host(StrBytes::from_string(endpoint.host.clone()))
        .with_port(i32::from(endpoint.port))
}
