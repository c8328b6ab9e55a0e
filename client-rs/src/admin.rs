//! [`Admin`]: topics, groups and their offsets. Results are the protocol's response types,
//! re-exported here under their own names, and the offset types of [`crate::group_offsets`].

use crate::client::{expect_response, Client};
use crate::error::{Error, Result};
use crate::group_offsets::{
    target, CommittedOffset, OffsetChange, OffsetReset, PartitionBounds, PartitionOffset,
    TopicPartitionOffset,
};
use rustlog_protocol::limits::PARTITIONS_PER_REQUEST_MAX;
use rustlog_protocol::messages::create_partitions::CreatePartitionsRequest;
use rustlog_protocol::messages::create_topic::CreateTopicRequest;
use rustlog_protocol::messages::delete_group::DeleteGroupRequest;
use rustlog_protocol::messages::delete_topic::DeleteTopicRequest;
use rustlog_protocol::messages::describe_group::DescribeGroupRequest;
use rustlog_protocol::messages::describe_partition::DescribePartitionRequest;
use rustlog_protocol::messages::describe_topic::DescribeTopicRequest;
use rustlog_protocol::messages::list_groups::ListGroupsRequest;
use rustlog_protocol::messages::list_offsets::{ListOffsetsPartition, OffsetSpec};
use rustlog_protocol::messages::list_topics::ListTopicsRequest;
use rustlog_protocol::messages::metrics_fetch::MetricsFetchRequest;
use rustlog_protocol::messages::offset_commit::{OffsetCommitEntry, OffsetCommitRequest};
use rustlog_protocol::messages::offset_fetch::OffsetFetchRequest;
use rustlog_protocol::{ErrorCode, Request};
use std::collections::BTreeMap;

pub use rustlog_protocol::messages::create_topic::CreateTopicResponse as TopicCreated;
pub use rustlog_protocol::messages::describe_group::{
    DescribeGroupResponse as GroupDescription, MemberDescription, PartitionLag,
};
pub use rustlog_protocol::messages::describe_partition::{
    DescribePartitionResponse as PartitionDescription, SegmentInfo,
};
pub use rustlog_protocol::messages::describe_topic::{
    DescribeTopicResponse as TopicDescription, PartitionSummary,
};
pub use rustlog_protocol::messages::list_groups::GroupSummary;
pub use rustlog_protocol::messages::list_topics::TopicSummary;

/// Topic and group administration. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Admin {
    client: Client,
}

impl Admin {
    pub(crate) fn new(client: Client) -> Self {
        Admin { client }
    }

    /// Creates a topic with `partitions` partitions and config overrides (keys in
    /// [`rustlog_protocol::config_keys`]); returns the effective config.
    pub async fn create_topic(
        &self,
        name: &str,
        partitions: u32,
        config: BTreeMap<String, String>,
    ) -> Result<TopicCreated> {
        rustlog_protocol::names::validate_topic_name(name).map_err(|e| Error::rejected(&e))?;
        let max = rustlog_protocol::limits::PARTITIONS_PER_TOPIC_MAX;
        // 0 asks for the broker's default partition count.
        if partitions > max {
            return Err(Error::Rejected {
                code: rustlog_protocol::ErrorCode::InvalidPartitions,
                message: format!("partition count {partitions} is above the limit of {max}"),
            });
        }
        let request = Request::CreateTopic(CreateTopicRequest {
            name: name.to_string(),
            partitions,
            config,
        });
        let created = expect_response!(self.client.call(&request).await?, CreateTopic)?;
        self.client.forget_topic(name);
        Ok(created)
    }

    /// Deletes a topic and its data.
    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        let request = Request::DeleteTopic(DeleteTopicRequest {
            name: name.to_string(),
        });
        expect_response!(self.client.call(&request).await?, DeleteTopic)?;
        self.client.forget_topic(name);
        Ok(())
    }

    /// Every topic with its partition count, sorted by name.
    pub async fn list_topics(&self) -> Result<Vec<TopicSummary>> {
        let request = Request::ListTopics(ListTopicsRequest {});
        Ok(expect_response!(self.client.call(&request).await?, ListTopics)?.topics)
    }

    /// A topic's config and per-partition offsets and sizes.
    pub async fn describe_topic(&self, name: &str) -> Result<TopicDescription> {
        let request = Request::DescribeTopic(DescribeTopicRequest {
            name: name.to_string(),
        });
        expect_response!(self.client.call(&request).await?, DescribeTopic)
    }

    /// One partition's offsets, size and segments.
    pub async fn describe_partition(
        &self,
        topic: &str,
        partition: u32,
    ) -> Result<PartitionDescription> {
        let request = Request::DescribePartition(DescribePartitionRequest {
            topic: topic.to_string(),
            partition,
        });
        expect_response!(self.client.call(&request).await?, DescribePartition)
    }

    /// Every consumer group the broker knows, sorted by id.
    pub async fn list_groups(&self) -> Result<Vec<GroupSummary>> {
        let request = Request::ListGroups(ListGroupsRequest {});
        Ok(expect_response!(self.client.call(&request).await?, ListGroups)?.groups)
    }

    /// A group's members, assignment, committed offsets and lag per partition.
    pub async fn describe_group(&self, group_id: &str) -> Result<GroupDescription> {
        let request = Request::DescribeGroup(DescribeGroupRequest {
            group_id: group_id.to_string(),
        });
        expect_response!(self.client.call(&request).await?, DescribeGroup)
    }

    /// The broker's metrics in OpenMetrics text format (as `GET /metrics` serves them).
    pub async fn metrics(&self) -> Result<String> {
        let request = Request::MetricsFetch(MetricsFetchRequest {});
        Ok(expect_response!(self.client.call(&request).await?, MetricsFetch)?.prometheus_text)
    }

    /// Grows `topic` to `partitions` partitions (more than it has; a topic never shrinks) and
    /// returns the new count. Keyed records may hash to other partitions from then on.
    pub async fn create_partitions(&self, topic: &str, partitions: u32) -> Result<u32> {
        let request = Request::CreatePartitions(CreatePartitionsRequest {
            topic: topic.to_string(),
            partitions,
            validate_only: false,
        });
        let grown = expect_response!(self.client.call(&request).await?, CreatePartitions)?;
        self.client.forget_topic(topic);
        Ok(grown.partitions)
    }

    /// Deletes a group without members, with its committed offsets.
    pub async fn delete_group(&self, group_id: &str) -> Result<()> {
        let request = Request::DeleteGroup(DeleteGroupRequest {
            group_id: group_id.to_string(),
        });
        expect_response!(self.client.call(&request).await?, DeleteGroup)?;
        Ok(())
    }

    /// The offset `spec` names in every partition of `topic`, by partition.
    pub async fn topic_offsets(
        &self,
        topic: &str,
        spec: OffsetSpec,
    ) -> Result<Vec<PartitionOffset>> {
        let partitions = self.client.partition_count(topic).await?;
        let asked = (0..partitions)
            .map(|partition| ListOffsetsPartition {
                topic: topic.to_string(),
                partition,
                spec,
            })
            .collect();
        let found = self.client.list_offsets(asked).await?;
        (0..partitions)
            .zip(found)
            .map(|(partition, offset)| {
                Ok(PartitionOffset {
                    partition,
                    offset: offset?,
                })
            })
            .collect()
    }

    /// A group's committed offsets, by topic and partition (`GroupNotFound` is not an error:
    /// a group that never committed has none).
    pub async fn group_offsets(&self, group_id: &str) -> Result<Vec<CommittedOffset>> {
        let request = Request::OffsetFetch(OffsetFetchRequest {
            group_id: group_id.to_string(),
            partitions: None,
        });
        let fetched = expect_response!(self.client.call(&request).await?, OffsetFetch)?;
        let mut out = Vec::with_capacity(fetched.offsets.len());
        for entry in fetched.offsets {
            if entry.error_code != ErrorCode::None {
                return Err(Error::broker(
                    entry.error_code,
                    format!(
                        "committed offset of {group_id} on {}/{}",
                        entry.topic, entry.partition
                    ),
                ));
            }
            if let Some(offset) = entry.offset {
                out.push(CommittedOffset {
                    topic: entry.topic,
                    partition: entry.partition,
                    offset,
                    metadata: entry.metadata,
                });
            }
        }
        out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        Ok(out)
    }

    /// Commits `offsets` for a group that has no members (`NonEmptyGroup` while a consumer runs
    /// in it), in one request. Each offset must be at most its partition's high watermark; that
    /// is checked for all of them first, so a bad one commits nothing (only a partition deleted
    /// in between can still make the broker refuse one entry and store the others).
    pub async fn set_group_offsets(
        &self,
        group_id: &str,
        offsets: &[TopicPartitionOffset],
    ) -> Result<()> {
        if offsets.len() > PARTITIONS_PER_REQUEST_MAX as usize {
            return Err(Error::invalid(format!(
                "{} offsets exceed the limit of {PARTITIONS_PER_REQUEST_MAX} in one commit",
                offsets.len()
            )));
        }
        self.check_below_high_watermarks(offsets).await?;
        let request = Request::OffsetCommit(OffsetCommitRequest {
            group_id: group_id.to_string(),
            generation_id: None,
            member_id: None,
            only_if_empty: true,
            offsets: offsets
                .iter()
                .map(|o| OffsetCommitEntry {
                    topic: o.topic.clone(),
                    partition: o.partition,
                    offset: o.offset,
                    metadata: None,
                })
                .collect(),
        });
        let committed = expect_response!(self.client.call(&request).await?, OffsetCommit)?;
        match committed
            .partitions
            .iter()
            .find(|p| p.error_code != ErrorCode::None)
        {
            Some(p) => Err(Error::broker(
                p.error_code,
                format!(
                    "set the offset of {group_id} on {}/{} (the entries without an error were committed)",
                    p.topic, p.partition
                ),
            )),
            None => Ok(()),
        }
    }

    /// Refuses the whole set when one offset is above its partition's high watermark (or its
    /// partition does not exist), before anything is committed.
    async fn check_below_high_watermarks(&self, offsets: &[TopicPartitionOffset]) -> Result<()> {
        let asked = offsets
            .iter()
            .map(|o| ListOffsetsPartition {
                topic: o.topic.clone(),
                partition: o.partition,
                spec: OffsetSpec::Latest,
            })
            .collect();
        let found = self.client.list_offsets(asked).await?;
        for (o, latest) in offsets.iter().zip(found) {
            let high_watermark = latest?.unwrap_or(0);
            if o.offset > high_watermark {
                return Err(Error::Rejected {
                    code: ErrorCode::OffsetOutOfRange,
                    message: format!(
                        "offset {} of {}/{} is above its high watermark {high_watermark}; nothing was committed",
                        o.offset, o.topic, o.partition
                    ),
                });
            }
        }
        Ok(())
    }

    /// Plans moving a group's offsets on `topic` (the given partitions, or all of them) to
    /// `to`, and with `execute` commits the plan (the group must have no members). Returns the
    /// plan either way, so a dry run shows what an execute would do.
    pub async fn reset_group_offsets(
        &self,
        group_id: &str,
        topic: &str,
        partitions: Option<&[u32]>,
        to: OffsetReset,
        execute: bool,
    ) -> Result<Vec<OffsetChange>> {
        let count = self.client.partition_count(topic).await?;
        let chosen: Vec<u32> = match partitions {
            Some(list) => list.to_vec(),
            None => (0..count).collect(),
        };
        if let Some(p) = chosen.iter().find(|p| **p >= count) {
            return Err(Error::Rejected {
                code: ErrorCode::PartitionNotFound,
                message: format!("topic '{topic}' has {count} partitions, not partition {p}"),
            });
        }
        let bounds = self.bounds(topic, &chosen, to).await?;
        let committed = self.group_offsets(group_id).await?;
        let mut plan = Vec::with_capacity(chosen.len());
        for (partition, bounds) in chosen.iter().copied().zip(bounds) {
            let current = committed
                .iter()
                .find(|c| c.topic == topic && c.partition == partition)
                .map(|c| c.offset);
            plan.push(OffsetChange {
                topic: topic.to_string(),
                partition,
                current,
                new: target(to, topic, partition, current, bounds)?,
            });
        }
        if execute {
            let offsets: Vec<TopicPartitionOffset> = plan
                .iter()
                .map(|c| TopicPartitionOffset {
                    topic: c.topic.clone(),
                    partition: c.partition,
                    offset: c.new,
                })
                .collect();
            self.set_group_offsets(group_id, &offsets).await?;
        }
        Ok(plan)
    }

    /// Log start, high watermark (and the timestamp's offset) of each partition, in one request.
    async fn bounds(
        &self,
        topic: &str,
        partitions: &[u32],
        to: OffsetReset,
    ) -> Result<Vec<PartitionBounds>> {
        let mut specs = vec![OffsetSpec::Earliest, OffsetSpec::Latest];
        if let OffsetReset::Timestamp(timestamp_ms) = to {
            specs.push(OffsetSpec::Timestamp { timestamp_ms });
        }
        let asked = partitions
            .iter()
            .flat_map(|&partition| {
                specs.iter().map(move |&spec| ListOffsetsPartition {
                    topic: topic.to_string(),
                    partition,
                    spec,
                })
            })
            .collect();
        let found = self.client.list_offsets(asked).await?;
        found
            .chunks(specs.len())
            .map(|row| {
                let at =
                    |i: usize| -> Result<Option<u64>> { row.get(i).cloned().unwrap_or(Ok(None)) };
                Ok(PartitionBounds {
                    log_start: at(0)?.unwrap_or(0),
                    high_watermark: at(1)?.unwrap_or(0),
                    at_timestamp: at(2)?,
                })
            })
            .collect()
    }
}
