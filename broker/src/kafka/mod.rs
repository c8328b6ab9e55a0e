//! The Kafka-protocol listener (`--kafka-listen`): Apache Kafka's wire protocol, decoded and
//! encoded by the `kafka-protocol` crate, served by the same broker core as the native listener.
//!
//! Module map:
//! - [`connection`]: [`Kafka`], the [`Protocol`](crate::connection::Protocol) the shared
//!   connection loop runs (same limits, pipelining and in-order answers as the native listener):
//!   frame check before allocation, header by api version, the request enum.
//! - [`frame`]: response framing by the `kafka-protocol` crate, and Fetch responses whose
//!   stored batches are sent by reference, not copied into the frame.
//! - [`errors`]: the one mapping from RustLog's [`ErrorCode`](rustlog_protocol::ErrorCode) to
//!   Kafka's error numbers.
//! - one file per API, each translating Kafka's request to [`crate::core`] calls and the results
//!   back: [`api_versions`], [`metadata`] (with topic auto-creation when the broker allows it),
//!   [`produce`], [`fetch`], [`list_offsets`], [`init_producer_id`];
//!   topic admin: [`create_topics`], [`delete_topics`], [`create_partitions`],
//!   [`describe_configs`], [`alter_configs`], [`incremental_alter_configs`],
//!   [`describe_cluster`]; consumer groups through [`crate::groups`]: [`find_coordinator`],
//!   [`join_group`], [`sync_group`], [`heartbeat`], [`leave_group`], [`offset_commit`],
//!   [`offset_fetch`], [`list_groups`], [`describe_groups`], [`delete_groups`],
//!   [`offset_delete`].
//! - [`authorized_operations`]: the operation bit sets Metadata, DescribeCluster and
//!   DescribeGroups report when asked (every operation: no ACLs yet).
//! - [`configs`]: what the three config APIs share (resource, source and type numbers, RustLog's
//!   topic keys and broker settings as Kafka config entries, storing a topic's overrides).
//!
//! Every request is counted once, in [`connection`], in the per-Kafka-API metrics
//! ([`crate::metrics::KafkaApiMetrics`]).
//!
//! [`SERVED`] lists every API and version range served; ApiVersions advertises exactly it, and
//! a request for anything else closes the connection, as Kafka does.

pub mod alter_configs;
pub mod api_versions;
pub mod authorized_operations;
pub mod configs;
pub mod connection;
pub mod create_partitions;
pub mod create_topics;
pub mod delete_groups;
pub mod delete_topics;
pub mod describe_cluster;
pub mod describe_configs;
pub mod describe_groups;
pub mod errors;
pub mod fetch;
pub mod find_coordinator;
pub mod frame;
pub mod heartbeat;
pub mod incremental_alter_configs;
pub mod init_producer_id;
pub mod join_group;
pub mod leave_group;
pub mod list_groups;
pub mod list_offsets;
pub mod metadata;
pub mod offset_commit;
pub mod offset_delete;
pub mod offset_fetch;
pub mod produce;
pub mod sync_group;

pub use connection::Kafka;

use kafka_protocol::messages::{ApiKey, BrokerId};

/// The node id of this broker: a one-node cluster, controller and leader of every partition.
pub const NODE_ID: BrokerId = BrokerId(0);

/// The cluster id Metadata reports.
pub const CLUSTER_ID: &str = "rustlog";

/// Served APIs with their (min, max) versions.
pub const SERVED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 9),
    (ApiKey::Fetch, 4, 12),
    (ApiKey::ListOffsets, 1, 7),
    (ApiKey::Metadata, 0, 12),
    (ApiKey::ApiVersions, 0, 4),
    (ApiKey::CreateTopics, 2, 7),
    (ApiKey::DeleteTopics, 1, 6),
    (ApiKey::InitProducerId, 0, 4),
    (ApiKey::FindCoordinator, 0, 4),
    (ApiKey::JoinGroup, 0, 7),
    (ApiKey::SyncGroup, 0, 5),
    (ApiKey::Heartbeat, 0, 4),
    (ApiKey::LeaveGroup, 0, 4),
    (ApiKey::OffsetCommit, 2, 8),
    (ApiKey::OffsetFetch, 1, 7),
    (ApiKey::ListGroups, 0, 4),
    (ApiKey::DescribeGroups, 0, 5),
    (ApiKey::DeleteGroups, 0, 2),
    (ApiKey::OffsetDelete, 0, 0),
    (ApiKey::CreatePartitions, 0, 3),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::AlterConfigs, 0, 2),
    (ApiKey::IncrementalAlterConfigs, 0, 1),
    (ApiKey::DescribeCluster, 0, 1),
];

/// The served version range of a raw api key, `None` when the API is not served.
pub fn served_versions(api_key: i16) -> Option<(ApiKey, i16, i16)> {
    SERVED
        .iter()
        .copied()
        .find(|(key, _, _)| *key as i16 == api_key)
}
