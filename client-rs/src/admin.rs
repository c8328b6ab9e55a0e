//! [`Admin`]: topics and groups. Results are the protocol's response types, re-exported here
//! under their own names.

use crate::client::{expect_response, Client};
use crate::error::{Error, Result};
use rustlog_protocol::messages::create_topic::CreateTopicRequest;
use rustlog_protocol::messages::delete_topic::DeleteTopicRequest;
use rustlog_protocol::messages::describe_group::DescribeGroupRequest;
use rustlog_protocol::messages::describe_partition::DescribePartitionRequest;
use rustlog_protocol::messages::describe_topic::DescribeTopicRequest;
use rustlog_protocol::messages::list_groups::ListGroupsRequest;
use rustlog_protocol::messages::list_topics::ListTopicsRequest;
use rustlog_protocol::messages::metrics_fetch::MetricsFetchRequest;
use rustlog_protocol::Request;
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
}
