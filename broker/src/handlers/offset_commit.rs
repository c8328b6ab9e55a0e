//! OffsetCommit: check the member's generation (when given; an `only_if_empty` commit needs a
//! group without members) and the offsets (each at most its
//! partition's high watermark, else `OffsetOutOfRange`), write the group's file crash-safely,
//! and only then show the offsets to OffsetFetch and answer. Groups are isolated: each has its
//! own file.

use crate::core::offsets::high_watermark;
use crate::error::HandlerError;
use crate::groups::{CommitAs, CommitEntry, OffsetCommit};
use crate::state::BrokerState;
use rustlog_protocol::limits::PARTITIONS_PER_REQUEST_MAX;
use rustlog_protocol::messages::offset_commit::{
    OffsetCommitPartitionResponse, OffsetCommitRequest, OffsetCommitResponse,
};
use rustlog_protocol::ErrorCode;
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: OffsetCommitRequest,
) -> Result<OffsetCommitResponse, HandlerError> {
    if request.offsets.len() > PARTITIONS_PER_REQUEST_MAX as usize {
        return Err(HandlerError::new(
            ErrorCode::InvalidRequest,
            format!(
                "{} offsets exceed the limit of {PARTITIONS_PER_REQUEST_MAX}",
                request.offsets.len()
            ),
        ));
    }
    let commit = OffsetCommit {
        group_id: request.group_id.clone(),
        commit_as: match request.generation_id {
            Some(generation_id) => CommitAs::Member {
                member_id: request.member_id.clone().unwrap_or_default(),
                group_instance_id: None,
                generation_id,
            },
            None if request.only_if_empty => CommitAs::Admin,
            None => CommitAs::Anyone,
        },
        offsets: request
            .offsets
            .iter()
            .map(|entry| CommitEntry {
                topic: entry.topic.clone(),
                partition: entry.partition,
                offset: entry.offset,
                metadata: entry.metadata.clone(),
                high_watermark: high_watermark(state, &entry.topic, entry.partition),
            })
            .collect(),
    };
    let codes = state.groups.commit(&commit).await?;
    Ok(OffsetCommitResponse {
        partitions: request
            .offsets
            .iter()
            .zip(codes)
            .map(|(entry, error_code)| OffsetCommitPartitionResponse {
                topic: entry.topic.clone(),
                partition: entry.partition,
                error_code,
            })
            .collect(),
    })
}
