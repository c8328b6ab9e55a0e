//! `NativeAdmin`, wrapped by `lib/admin.js`: topics, consumer groups and their offsets through
//! the Rust client's `Admin`. Results become plain JS objects; offsets and sizes are bigint.

use crate::client::NativeClient;
use crate::consumer::OffsetInput;
use crate::errors::{coded, from_client, invalid_argument};
use napi::bindgen_prelude::{BigInt, PromiseRaw};
use napi::Env;
use napi_derive::napi;
use rustlog_protocol::ErrorCode;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::Mutex;

/// `{ name, value }` of `configEntries`.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ConfigEntry {
    pub name: String,
    pub value: String,
}

#[napi(object)]
#[derive(Debug)]
pub struct PartitionInfo {
    pub partition: u32,
    pub log_start_offset: BigInt,
    pub high_watermark: BigInt,
    pub size_bytes: BigInt,
    pub segment_count: u32,
}

#[napi(object)]
#[derive(Debug)]
pub struct TopicInfo {
    pub name: String,
    /// Effective topic config (`cleanup.policy`, `retention.ms`, ...).
    pub config: HashMap<String, String>,
    pub partitions: Vec<PartitionInfo>,
}

#[napi(object)]
#[derive(Debug)]
pub struct GroupInfo {
    pub group_id: String,
    pub state: String,
    pub generation_id: i32,
    pub member_count: u32,
}

#[napi(object)]
#[derive(Debug)]
pub struct TopicPartitionsInfo {
    pub topic: String,
    pub partitions: Vec<u32>,
}

#[napi(object)]
#[derive(Debug)]
pub struct MemberInfo {
    pub member_id: String,
    pub client_id: String,
    pub topics: Vec<String>,
    pub assignment: Vec<TopicPartitionsInfo>,
}

#[napi(object)]
#[derive(Debug)]
pub struct PartitionLagInfo {
    pub topic: String,
    pub partition: u32,
    /// Next offset the group reads; null when the group never committed here.
    pub committed_offset: Option<BigInt>,
    pub high_watermark: BigInt,
    pub lag: BigInt,
}

#[napi(object)]
#[derive(Debug)]
pub struct GroupDescriptionInfo {
    pub group_id: String,
    pub state: String,
    pub generation_id: i32,
    /// `range` or `round_robin`.
    pub assignor: String,
    pub members: Vec<MemberInfo>,
    pub offsets: Vec<PartitionLagInfo>,
}

/// One partition's offset of a topic-wide lookup; `offset` is absent when a timestamp lookup
/// finds no record at or after the timestamp.
#[napi(object)]
#[derive(Debug)]
pub struct PartitionOffsetInfo {
    pub partition: u32,
    pub offset: Option<BigInt>,
}

/// A group's committed offset of one partition (the next offset the group reads).
#[napi(object)]
#[derive(Debug)]
pub struct CommittedOffsetInfo {
    pub topic: String,
    pub partition: u32,
    pub offset: BigInt,
    pub metadata: Option<String>,
}

/// One partition of a reset plan; `current` is absent when the group committed nothing there.
#[napi(object)]
#[derive(Debug)]
pub struct OffsetChangeInfo {
    pub topic: String,
    pub partition: u32,
    pub current: Option<BigInt>,
    pub new_offset: BigInt,
}

/// Where a reset moves offsets: `kind` is `earliest` or `latest` (no `value`), or `offset`,
/// `timestamp` (ms since the epoch) or `shiftBy` with a `value`.
#[napi(object)]
#[derive(Debug)]
pub struct OffsetResetInput {
    pub kind: String,
    pub value: Option<BigInt>,
}

/// `spec` and `timestamp_ms` of `topicOffsets` as the client's `OffsetSpec`.
fn offset_spec(spec: &str, timestamp_ms: Option<i64>) -> napi::Result<rustlog::OffsetSpec> {
    match (spec, timestamp_ms) {
        ("earliest", None) => Ok(rustlog::OffsetSpec::Earliest),
        ("latest", None) => Ok(rustlog::OffsetSpec::Latest),
        ("timestamp", Some(timestamp_ms)) => Ok(rustlog::OffsetSpec::Timestamp { timestamp_ms }),
        _ => Err(invalid_argument(format!(
            "offset spec must be earliest, latest or timestamp with a timestamp, not {spec} \
             with timestamp {timestamp_ms:?}"
        ))),
    }
}

/// A reset value that must fit an `i64` (a timestamp or a shift).
fn signed(value: &BigInt, what: &str) -> napi::Result<i64> {
    match value.get_i64() {
        (value, true) => Ok(value),
        _ => Err(invalid_argument(format!(
            "{what} must fit a signed 64-bit integer"
        ))),
    }
}

/// A reset target as the client's `OffsetReset`.
fn offset_reset(to: &OffsetResetInput) -> napi::Result<rustlog::OffsetReset> {
    match (to.kind.as_str(), &to.value) {
        ("earliest", None) => Ok(rustlog::OffsetReset::Earliest),
        ("latest", None) => Ok(rustlog::OffsetReset::Latest),
        ("offset", Some(v)) => match v.get_u64() {
            (false, offset, true) => Ok(rustlog::OffsetReset::Offset(offset)),
            _ => Err(invalid_argument(
                "a reset offset must fit an unsigned 64-bit integer",
            )),
        },
        ("timestamp", Some(v)) => Ok(rustlog::OffsetReset::Timestamp(signed(
            v,
            "a reset timestamp",
        )?)),
        ("shiftBy", Some(v)) => Ok(rustlog::OffsetReset::ShiftBy(signed(v, "a reset shift")?)),
        (kind, value) => Err(invalid_argument(format!(
            "a reset target is earliest, latest, offset, timestamp or shiftBy (the last three \
             with a value), not {kind} {}",
            if value.is_some() {
                "with a value"
            } else {
                "without a value"
            }
        ))),
    }
}

/// `[{ topic, partition, offset }]` as the client's offsets to set.
fn offsets_to_set(offsets: Vec<OffsetInput>) -> napi::Result<Vec<rustlog::TopicPartitionOffset>> {
    offsets
        .into_iter()
        .map(|o| match o.offset.get_u64() {
            (false, offset, true) => Ok(rustlog::TopicPartitionOffset {
                topic: o.topic,
                partition: o.partition,
                offset,
            }),
            _ => Err(invalid_argument(format!(
                "offset for {}/{} must fit an unsigned 64-bit integer",
                o.topic, o.partition
            ))),
        })
        .collect()
}

#[derive(Debug)]
enum State {
    Idle,
    Connected(rustlog::Admin),
    Closed,
}

impl State {
    fn admin(&self) -> napi::Result<rustlog::Admin> {
        match self {
            State::Connected(a) => Ok(a.clone()),
            State::Idle => Err(coded(
                ErrorCode::Disconnected,
                false,
                "the admin is not connected; call connect() first",
            )),
            State::Closed => Err(coded(ErrorCode::Closed, false, "the admin is disconnected")),
        }
    }
}

#[napi]
#[derive(Debug)]
pub struct NativeAdmin {
    client: NativeClient,
    state: Arc<Mutex<State>>,
}

/// Runs one admin call on napi's runtime with the connected `rustlog::Admin`.
macro_rules! with_admin {
    ($self:ident, $env:ident, |$admin:ident| $body:expr) => {{
        let state = $self.state.clone();
        $env.spawn_future(async move {
            let $admin = state.lock().await.admin()?;
            $body.await.map_err(|e| from_client(&e))
        })
    }};
}

#[napi]
impl NativeAdmin {
    #[napi(constructor)]
    pub fn new(client: &NativeClient) -> Self {
        NativeAdmin {
            client: client.clone(),
            state: Arc::new(Mutex::new(State::Idle)),
        }
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn connect<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let native = self.client.clone();
        let state = self.state.clone();
        env.spawn_future(async move {
            let mut guard = state.lock().await;
            if !matches!(*guard, State::Connected(_)) {
                *guard = State::Connected(native.connect().await?.admin());
            }
            Ok(())
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn disconnect<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let state = self.state.clone();
        env.spawn_future(async move {
            // Dropping the last handle closes the connection.
            *state.lock().await = State::Closed;
            Ok(())
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn create_topic<'env>(
        &self,
        env: &'env Env,
        name: String,
        partitions: u32,
        config: Vec<ConfigEntry>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let config: BTreeMap<String, String> =
            config.into_iter().map(|e| (e.name, e.value)).collect();
        with_admin!(self, env, |admin| async move {
            admin
                .create_topic(&name, partitions, config)
                .await
                .map(|_| ())
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_topic<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        with_admin!(
            self,
            env,
            |admin| async move { admin.delete_topic(&name).await }
        )
    }

    #[napi(ts_return_type = "Promise<Array<string>>")]
    pub fn list_topics<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Vec<String>>> {
        with_admin!(self, env, |admin| async move {
            admin
                .list_topics()
                .await
                .map(|topics| topics.into_iter().map(|t| t.name).collect())
        })
    }

    #[napi(ts_return_type = "Promise<TopicInfo>")]
    pub fn describe_topic<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> napi::Result<PromiseRaw<'env, TopicInfo>> {
        with_admin!(self, env, |admin| async move {
            admin.describe_topic(&name).await.map(|t| TopicInfo {
                name: t.name,
                config: t.config.into_iter().collect(),
                partitions: t
                    .partitions
                    .into_iter()
                    .map(|p| PartitionInfo {
                        partition: p.partition,
                        log_start_offset: BigInt::from(p.log_start_offset),
                        high_watermark: BigInt::from(p.high_watermark),
                        size_bytes: BigInt::from(p.size_bytes),
                        segment_count: p.segment_count,
                    })
                    .collect(),
            })
        })
    }

    #[napi(ts_return_type = "Promise<Array<GroupInfo>>")]
    pub fn list_groups<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Vec<GroupInfo>>> {
        with_admin!(self, env, |admin| async move {
            admin.list_groups().await.map(|groups| {
                groups
                    .into_iter()
                    .map(|g| GroupInfo {
                        group_id: g.group_id,
                        state: g.state,
                        generation_id: g.generation_id,
                        member_count: g.member_count,
                    })
                    .collect()
            })
        })
    }

    #[napi(ts_return_type = "Promise<GroupDescriptionInfo>")]
    pub fn describe_group<'env>(
        &self,
        env: &'env Env,
        group_id: String,
    ) -> napi::Result<PromiseRaw<'env, GroupDescriptionInfo>> {
        with_admin!(self, env, |admin| async move {
            admin
                .describe_group(&group_id)
                .await
                .map(|g| GroupDescriptionInfo {
                    group_id: g.group_id,
                    state: g.state,
                    generation_id: g.generation_id,
                    assignor: match g.assignor {
                        rustlog::Assignor::RoundRobin => "round_robin".to_string(),
                        _ => "range".to_string(),
                    },
                    members: g
                        .members
                        .into_iter()
                        .map(|m| MemberInfo {
                            member_id: m.member_id,
                            client_id: m.client_id,
                            topics: m.topics,
                            assignment: m
                                .assignment
                                .into_iter()
                                .map(|a| TopicPartitionsInfo {
                                    topic: a.topic,
                                    partitions: a.partitions,
                                })
                                .collect(),
                        })
                        .collect(),
                    offsets: g
                        .offsets
                        .into_iter()
                        .map(|o| PartitionLagInfo {
                            topic: o.topic,
                            partition: o.partition,
                            committed_offset: o.committed_offset.map(BigInt::from),
                            high_watermark: BigInt::from(o.high_watermark),
                            lag: BigInt::from(o.lag),
                        })
                        .collect(),
                })
        })
    }

    /// Grows `topic` to `partitions` partitions; resolves to the new count.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn create_partitions<'env>(
        &self,
        env: &'env Env,
        topic: String,
        partitions: u32,
    ) -> napi::Result<PromiseRaw<'env, u32>> {
        with_admin!(self, env, |admin| async move {
            admin.create_partitions(&topic, partitions).await
        })
    }

    /// Deletes a group without members, with its committed offsets.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_group<'env>(
        &self,
        env: &'env Env,
        group_id: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        with_admin!(self, env, |admin| async move {
            admin.delete_group(&group_id).await
        })
    }

    /// The offset `spec` (`earliest`, `latest`, or `timestamp` with `timestampMs`) names in
    /// every partition of `topic`.
    #[napi(ts_return_type = "Promise<Array<PartitionOffsetInfo>>")]
    pub fn topic_offsets<'env>(
        &self,
        env: &'env Env,
        topic: String,
        spec: String,
        timestamp_ms: Option<i64>,
    ) -> napi::Result<PromiseRaw<'env, Vec<PartitionOffsetInfo>>> {
        let spec = offset_spec(&spec, timestamp_ms)?;
        with_admin!(self, env, |admin| async move {
            admin.topic_offsets(&topic, spec).await.map(|offsets| {
                offsets
                    .into_iter()
                    .map(|p| PartitionOffsetInfo {
                        partition: p.partition,
                        offset: p.offset.map(BigInt::from),
                    })
                    .collect()
            })
        })
    }

    /// A group's committed offsets, sorted by topic and partition (none for an unknown group).
    #[napi(ts_return_type = "Promise<Array<CommittedOffsetInfo>>")]
    pub fn group_offsets<'env>(
        &self,
        env: &'env Env,
        group_id: String,
    ) -> napi::Result<PromiseRaw<'env, Vec<CommittedOffsetInfo>>> {
        with_admin!(self, env, |admin| async move {
            admin.group_offsets(&group_id).await.map(|offsets| {
                offsets
                    .into_iter()
                    .map(|c| CommittedOffsetInfo {
                        topic: c.topic,
                        partition: c.partition,
                        offset: BigInt::from(c.offset),
                        metadata: c.metadata,
                    })
                    .collect()
            })
        })
    }

    /// Commits `offsets` for a group without members, in one request.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_group_offsets<'env>(
        &self,
        env: &'env Env,
        group_id: String,
        offsets: Vec<OffsetInput>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let offsets = offsets_to_set(offsets)?;
        with_admin!(self, env, |admin| async move {
            admin.set_group_offsets(&group_id, &offsets).await
        })
    }

    /// Plans moving a group's offsets on `topic` (`partitions`, or all) to `to`; with `execute`
    /// commits the plan. Resolves to the plan either way.
    #[napi(ts_return_type = "Promise<Array<OffsetChangeInfo>>")]
    pub fn reset_group_offsets<'env>(
        &self,
        env: &'env Env,
        group_id: String,
        topic: String,
        partitions: Option<Vec<u32>>,
        to: OffsetResetInput,
        execute: bool,
    ) -> napi::Result<PromiseRaw<'env, Vec<OffsetChangeInfo>>> {
        let to = offset_reset(&to)?;
        with_admin!(self, env, |admin| async move {
            admin
                .reset_group_offsets(&group_id, &topic, partitions.as_deref(), to, execute)
                .await
                .map(|plan| {
                    plan.into_iter()
                        .map(|c| OffsetChangeInfo {
                            topic: c.topic,
                            partition: c.partition,
                            current: c.current.map(BigInt::from),
                            new_offset: BigInt::from(c.new),
                        })
                        .collect()
                })
        })
    }
}
