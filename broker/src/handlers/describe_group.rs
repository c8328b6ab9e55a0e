//! DescribeGroup: members, assignment, committed offsets, and lag per partition (committed or
//! assigned), read from storage now.

use super::join_group::{wire_assignor, wire_partitions};
use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::describe_group::{
    DescribeGroupRequest, DescribeGroupResponse, MemberDescription, PartitionLag,
};
use std::collections::BTreeSet;

pub fn handle(
    state: &BrokerState,
    request: DescribeGroupRequest,
) -> Result<DescribeGroupResponse, HandlerError> {
    let snapshot = state.groups.describe(&request.group_id)?;
    let mut partitions: BTreeSet<(String, u32)> = snapshot.offsets.keys().cloned().collect();
    for member in &snapshot.members {
        for tp in &member.assignment {
            partitions.extend(tp.partitions.iter().map(|p| (tp.topic.clone(), *p)));
        }
    }
    let offsets = partitions
        .into_iter()
        .map(|(topic, partition)| {
            let committed_offset = snapshot.offsets.get(&(topic.clone(), partition)).copied();
            let (high_watermark, log_start) = state
                .logs
                .partition(&topic, partition)
                .map(|log| (log.high_watermark(), log.log_start_offset()))
                .unwrap_or((0, 0));
            let lag = high_watermark.saturating_sub(committed_offset.unwrap_or(log_start));
            PartitionLag {
                topic,
                partition,
                committed_offset,
                high_watermark,
                lag,
            }
        })
        .collect();
    Ok(DescribeGroupResponse {
        group_id: request.group_id,
        state: snapshot.state,
        generation_id: snapshot.generation_id,
        assignor: wire_assignor(snapshot.assignor),
        members: snapshot
            .members
            .into_iter()
            .map(|m| MemberDescription {
                member_id: m.member_id,
                client_id: m.client_id,
                topics: m.topics,
                assignment: m.assignment.into_iter().map(wire_partitions).collect(),
            })
            .collect(),
        offsets,
    })
}
