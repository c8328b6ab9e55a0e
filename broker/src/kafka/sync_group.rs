//! SyncGroup v0-5: the leader's assignment is written to the group file (with the generation's
//! members, so they survive a restart) and then fanned out to every member of its generation;
//! followers wait for it. v5 checks the protocol type and name when given.

use super::errors::kafka_error_code;
use crate::groups::{ClassicSync, ClassicSynced, GroupError};
use crate::state::BrokerState;
use kafka_protocol::messages::sync_group_request::SyncGroupRequest;
use kafka_protocol::messages::sync_group_response::SyncGroupResponse;
use kafka_protocol::protocol::StrBytes;
use std::sync::Arc;

/// The first version that names the protocol.
const PROTOCOL_VERSION: i16 = 5;

pub async fn handle(
    state: &Arc<BrokerState>,
    version: i16,
    request: SyncGroupRequest,
) -> SyncGroupResponse {
    let sync = ClassicSync {
        group_id: request.group_id.0.to_string(),
        member_id: request.member_id.to_string(),
        group_instance_id: request.group_instance_id.map(|id| id.to_string()),
        generation_id: request.generation_id,
        protocol_type: request.protocol_type.map(|p| p.to_string()),
        protocol_name: request.protocol_name.map(|p| p.to_string()),
        assignments: request
            .assignments
            .into_iter()
            .map(|a| (a.member_id.to_string(), a.assignment))
            .collect(),
    };
    match sync_group(state, &sync).await {
        Ok(synced) => response(version, synced),
        Err(err) => SyncGroupResponse::default().with_error_code(kafka_error_code(err.code())),
    }
}

async fn sync_group(
    state: &Arc<BrokerState>,
    sync: &ClassicSync,
) -> Result<ClassicSynced, GroupError> {
    let wait = state.groups.kafka_sync(sync)?;
    if let Some(generation_id) = wait.store_generation {
        // A task of its own: every member's answer waits for this write, so it must finish even
        // when the leader's connection goes away meanwhile.
        let state = Arc::clone(state);
        let group_id = sync.group_id.clone();
        tokio::spawn(async move {
            let result = state.groups.persist(&group_id).await;
            state
                .groups
                .kafka_assignment_stored(&group_id, generation_id, result);
        });
    }
    wait.reply.await.map_err(|_| GroupError::ShuttingDown)?
}

fn response(version: i16, synced: ClassicSynced) -> SyncGroupResponse {
    let response = SyncGroupResponse::default().with_assignment(synced.assignment);
    if version >= PROTOCOL_VERSION {
        response
            .with_protocol_type(Some(StrBytes::from_string(synced.protocol_type)))
            .with_protocol_name(synced.protocol_name.map(StrBytes::from_string))
    } else {
        response
    }
}
