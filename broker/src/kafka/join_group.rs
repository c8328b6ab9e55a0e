//! JoinGroup v0-7 through the coordinator's classic protocol (`groups::classic`): v4+ new
//! members first get MEMBER_ID_REQUIRED with their id, v5+ may be static (`group_instance_id`),
//! v7 reports the protocol type. The completed generation is persisted before the answer, so
//! generations keep increasing across restarts.

use super::errors::kafka_error_code;
use crate::groups::{ClassicJoin, ClassicJoined, ClassicProtocol, GroupError};
use crate::state::BrokerState;
use kafka_protocol::messages::join_group_request::JoinGroupRequest;
use kafka_protocol::messages::join_group_response::{JoinGroupResponse, JoinGroupResponseMember};
use kafka_protocol::protocol::StrBytes;
use std::sync::Arc;

/// The first version whose new members must join twice (KIP-394).
const KNOWN_MEMBER_ID_VERSION: i16 = 4;
/// The first version with static membership.
const INSTANCE_ID_VERSION: i16 = 5;
/// The first version with a nullable protocol name.
const NULLABLE_PROTOCOL_NAME_VERSION: i16 = 7;

pub async fn handle(
    state: &Arc<BrokerState>,
    version: i16,
    client_id: &str,
    request: JoinGroupRequest,
) -> JoinGroupResponse {
    let join = classic_join(version, client_id, request);
    match join_and_persist(state, &join).await {
        Ok(joined) => response(version, joined),
        Err(err) => error_response(version, &join.member_id, &err),
    }
}

async fn join_and_persist(
    state: &Arc<BrokerState>,
    join: &ClassicJoin,
) -> Result<ClassicJoined, GroupError> {
    let waiter = state.groups.kafka_join(join)?;
    let joined = waiter.await.map_err(|_| GroupError::ShuttingDown)??;
    state.groups.persist(&join.group_id).await?;
    Ok(joined)
}

fn classic_join(version: i16, client_id: &str, request: JoinGroupRequest) -> ClassicJoin {
    let session_timeout_ms = u32::try_from(request.session_timeout_ms).unwrap_or(0);
    // v0 has no rebalance timeout: Kafka uses the session timeout.
    let rebalance_timeout_ms =
        u32::try_from(request.rebalance_timeout_ms).unwrap_or(session_timeout_ms);
    ClassicJoin {
        group_id: request.group_id.0.to_string(),
        member_id: request.member_id.to_string(),
        group_instance_id: request.group_instance_id.map(|id| id.to_string()),
        client_id: client_id.to_string(),
        client_host: String::new(),
        protocol_type: request.protocol_type.to_string(),
        protocols: request
            .protocols
            .into_iter()
            .map(|p| ClassicProtocol {
                name: p.name.to_string(),
                metadata: p.metadata,
            })
            .collect(),
        session_timeout_ms,
        rebalance_timeout_ms,
        require_known_member_id: version >= KNOWN_MEMBER_ID_VERSION,
    }
}

fn response(version: i16, joined: ClassicJoined) -> JoinGroupResponse {
    let members = joined
        .members
        .into_iter()
        .map(|m| {
            let member = JoinGroupResponseMember::default()
                .with_member_id(StrBytes::from_string(m.member_id))
                .with_metadata(m.metadata);
            if version >= INSTANCE_ID_VERSION {
                member.with_group_instance_id(m.group_instance_id.map(StrBytes::from_string))
            } else {
                member
            }
        })
        .collect();
    let protocol_name = joined.protocol_name.unwrap_or_default();
    JoinGroupResponse::default()
        .with_generation_id(joined.generation_id)
        .with_protocol_type(Some(StrBytes::from_string(joined.protocol_type)))
        .with_protocol_name(Some(StrBytes::from_string(protocol_name)))
        .with_leader(StrBytes::from_string(joined.leader_id))
        .with_member_id(StrBytes::from_string(joined.member_id))
        .with_members(members)
}

fn error_response(version: i16, member_id: &str, err: &GroupError) -> JoinGroupResponse {
    let member_id = match err {
        GroupError::MemberIdRequired { member_id, .. } => member_id.as_str(),
        _ => member_id,
    };
    let protocol_name = if version >= NULLABLE_PROTOCOL_NAME_VERSION {
        None
    } else {
        Some(StrBytes::default())
    };
    JoinGroupResponse::default()
        .with_error_code(kafka_error_code(err.code()))
        .with_generation_id(-1)
        .with_protocol_type(None)
        .with_protocol_name(protocol_name)
        .with_member_id(StrBytes::from_string(member_id.to_string()))
}
