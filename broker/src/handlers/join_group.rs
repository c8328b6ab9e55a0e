//! JoinGroup: enter or rejoin a group; answered when the rebalance completes (see
//! `groups::coordinator` for the rules). The new generation is persisted so generations keep
//! increasing across restarts.

use crate::error::HandlerError;
use crate::groups::{Assignor, GroupError, NativeJoin, TopicPartitions};
use crate::state::BrokerState;
use rustlog_protocol::messages::join_group::{self, JoinGroupRequest, JoinGroupResponse};
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: JoinGroupRequest,
) -> Result<JoinGroupResponse, HandlerError> {
    let group_id = request.group_id.clone();
    let waiter = state.groups.join(native_join(request))?;
    let joined = waiter.await.map_err(|_| GroupError::ShuttingDown)??;
    state.groups.persist(&group_id).await?;
    Ok(JoinGroupResponse {
        member_id: joined.member_id,
        generation_id: joined.generation_id,
        assignment: joined.assignment.into_iter().map(wire_partitions).collect(),
        heartbeat_interval_ms: joined.heartbeat_interval_ms,
        member_count: joined.member_count,
    })
}

fn native_join(request: JoinGroupRequest) -> NativeJoin {
    NativeJoin {
        group_id: request.group_id,
        member_id: request.member_id,
        client_id: request.client_id,
        topics: request.topics,
        session_timeout_ms: request.session_timeout_ms,
        rebalance_timeout_ms: request.rebalance_timeout_ms,
        assignor: match request.assignor {
            join_group::Assignor::Range => Assignor::Range,
            join_group::Assignor::RoundRobin => Assignor::RoundRobin,
        },
    }
}

/// One topic's assigned partitions on the wire.
pub fn wire_partitions(tp: TopicPartitions) -> rustlog_protocol::TopicPartitions {
    rustlog_protocol::TopicPartitions {
        topic: tp.topic,
        partitions: tp.partitions,
    }
}

/// The assignor on the wire.
pub fn wire_assignor(assignor: Assignor) -> join_group::Assignor {
    match assignor {
        Assignor::Range => join_group::Assignor::Range,
        Assignor::RoundRobin => join_group::Assignor::RoundRobin,
    }
}
