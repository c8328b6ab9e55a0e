//! OffsetCommit v2-8: a member's commit (its generation is checked, like Kafka) or, with
//! generation -1 and no member, a commit allowed only while the group has no members. Errors
//! are per partition (unknown topic or partition, metadata over the limit); the group file is
//! written before the answer, so an answered commit survives kill -9. Kafka's offset markers
//! -1 (latest) and -2 (earliest), which KafkaJS's `resetOffsets` commits, are resolved to the
//! partition's high watermark and log start at commit time (Kafka stores the marker and leaves
//! the client to resolve it; a resolved offset reads the same to every client). An offset above
//! the high watermark gets OffsetOutOfRange (Kafka stores it; see KAFKA.md).

use super::errors::kafka_error_code;
use crate::core::offsets::{high_watermark, lookup, OffsetQuery};
use crate::groups::{CommitAs, CommitEntry, GroupError, OffsetCommit};
use crate::state::BrokerState;
use kafka_protocol::messages::offset_commit_request::OffsetCommitRequest;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponse, OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use rustlog_protocol::ErrorCode;
use std::sync::Arc;

/// One requested partition: its topic, index, and what to store (or why it cannot be).
type Requested = (usize, i32, Result<CommitEntry, ErrorCode>);

pub async fn handle(
    state: &Arc<BrokerState>,
    request: OffsetCommitRequest,
) -> OffsetCommitResponse {
    let group_id = request.group_id.0.to_string();
    let requested = requested(state, &request);
    let entries: Vec<CommitEntry> = requested
        .iter()
        .filter_map(|(_, _, r)| r.as_ref().ok().cloned())
        .collect();
    let commit = OffsetCommit {
        group_id: group_id.clone(),
        commit_as: commit_as(&request),
        offsets: entries,
    };
    let codes = commit_and_persist(state, &commit).await;
    let mut committed = codes.into_iter();
    let mut topics: Vec<OffsetCommitResponseTopic> = request
        .topics
        .iter()
        .map(|t| OffsetCommitResponseTopic::default().with_name(t.name.clone()))
        .collect();
    for (topic_index, partition_index, entry) in requested {
        let code = match entry {
            Ok(_) => committed.next().unwrap_or(ErrorCode::Unknown),
            Err(code) => code,
        };
        if let Some(topic) = topics.get_mut(topic_index) {
            topic.partitions.push(
                OffsetCommitResponsePartition::default()
                    .with_partition_index(partition_index)
                    .with_error_code(kafka_error_code(code)),
            );
        }
    }
    OffsetCommitResponse::default().with_topics(topics)
}

/// Kafka's rule: a commit names a member when it has a generation, a member id or an
/// instance id.
fn commit_as(request: &OffsetCommitRequest) -> CommitAs {
    let generation_id = request.generation_id_or_member_epoch;
    if generation_id < 0 && request.member_id.is_empty() && request.group_instance_id.is_none() {
        return CommitAs::NoMember;
    }
    CommitAs::Member {
        member_id: request.member_id.to_string(),
        group_instance_id: request.group_instance_id.as_ref().map(|id| id.to_string()),
        generation_id,
    }
}

fn requested(state: &BrokerState, request: &OffsetCommitRequest) -> Vec<Requested> {
    let mut out = Vec::new();
    for (topic_index, topic) in request.topics.iter().enumerate() {
        for p in &topic.partitions {
            let topic_name = topic.name.0.as_str();
            let entry = u32::try_from(p.partition_index)
                .map_err(|_| ErrorCode::PartitionNotFound)
                .and_then(|partition| {
                    let offset =
                        committed_offset(state, topic_name, partition, p.committed_offset)?;
                    Ok(CommitEntry {
                        topic: topic_name.to_string(),
                        partition,
                        offset,
                        metadata: p.committed_metadata.as_ref().map(|m| m.to_string()),
                        high_watermark: high_watermark(state, topic_name, partition),
                    })
                });
            out.push((topic_index, p.partition_index, entry));
        }
    }
    out
}

/// Kafka's "latest" offset marker.
const OFFSET_LATEST: i64 = -1;
/// Kafka's "earliest" offset marker.
const OFFSET_EARLIEST: i64 = -2;

/// The offset to store: as given, or a marker resolved against the partition.
fn committed_offset(
    state: &BrokerState,
    topic: &str,
    partition: u32,
    offset: i64,
) -> Result<u64, ErrorCode> {
    let query = match offset {
        OFFSET_LATEST => OffsetQuery::Latest,
        OFFSET_EARLIEST => OffsetQuery::Earliest,
        _ => return u64::try_from(offset).map_err(|_| ErrorCode::InvalidRequest),
    };
    let found = lookup(state, topic, partition, query).map_err(|err| err.code())?;
    found.offset.ok_or(ErrorCode::InvalidRequest)
}

/// Per-entry codes; a group-level error (membership, storage) applies to every entry.
async fn commit_and_persist(state: &Arc<BrokerState>, commit: &OffsetCommit) -> Vec<ErrorCode> {
    let every = |err: GroupError| vec![err.code(); commit.offsets.len()];
    state.groups.commit(commit).await.unwrap_or_else(every)
}
