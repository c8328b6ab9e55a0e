//! Consumer-group requests of [`KafkaRaw`] at a chosen version, built so that every field the
//! version lacks stays at its default (the codec refuses to encode it otherwise), and
//! [`KcatConsumer`], a balanced `kcat -G` consumer (librdkafka) running in the background.

use super::{ensure_kcat, KafkaRaw};
use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::heartbeat_request::HeartbeatRequest;
use kafka_protocol::messages::heartbeat_response::HeartbeatResponse;
use kafka_protocol::messages::join_group_request::{JoinGroupRequest, JoinGroupRequestProtocol};
use kafka_protocol::messages::join_group_response::JoinGroupResponse;
use kafka_protocol::messages::leave_group_request::{LeaveGroupRequest, MemberIdentity};
use kafka_protocol::messages::leave_group_response::LeaveGroupResponse;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequest, OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_commit_response::OffsetCommitResponse;
use kafka_protocol::messages::offset_fetch_request::{OffsetFetchRequest, OffsetFetchRequestTopic};
use kafka_protocol::messages::offset_fetch_response::OffsetFetchResponse;
use kafka_protocol::messages::sync_group_request::{SyncGroupRequest, SyncGroupRequestAssignment};
use kafka_protocol::messages::sync_group_response::SyncGroupResponse;
use kafka_protocol::messages::{ApiKey, ConsumerProtocolSubscription, GroupId, TopicName};
use kafka_protocol::protocol::{Encodable, StrBytes};
use kafka_protocol::ResponseError;
use parking_lot::Mutex;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Session timeout of raw members: long enough for a slow test machine.
pub const SESSION_TIMEOUT_MS: i32 = 10_000;
/// How long a scenario waits for a condition it polls.
pub const POLL_TIMEOUT: Duration = Duration::from_secs(40);

/// Highest served versions of the group APIs.
pub const JOIN_MAX: i16 = 7;
pub const SYNC_MAX: i16 = 5;
pub const HEARTBEAT_MAX: i16 = 4;
pub const LEAVE_MAX: i16 = 4;

pub fn s(text: &str) -> StrBytes {
    StrBytes::from_string(text.to_string())
}

pub fn group(id: &str) -> GroupId {
    GroupId(s(id))
}

pub fn topic(name: &str) -> TopicName {
    TopicName(s(name))
}

/// A consumer subscription to `topics`, version-prefixed as Kafka clients send it.
pub fn subscription(topics: &[&str]) -> Bytes {
    let body =
        ConsumerProtocolSubscription::default().with_topics(topics.iter().map(|t| s(t)).collect());
    let mut out = BytesMut::new();
    out.put_i16(0);
    body.encode(&mut out, 0).unwrap();
    out.freeze()
}

/// `protocols` (assignor names), each with a subscription to `topics`.
pub fn protocols(names: &[&str], topics: &[&str]) -> Vec<JoinGroupRequestProtocol> {
    names
        .iter()
        .map(|name| {
            JoinGroupRequestProtocol::default()
                .with_name(s(name))
                .with_metadata(subscription(topics))
        })
        .collect()
}

/// A consumer-protocol join of `group_id` with the range assignor on topic "t".
pub fn join_request(group_id: &str, member_id: &str) -> JoinGroupRequest {
    JoinGroupRequest::default()
        .with_group_id(group(group_id))
        .with_member_id(s(member_id))
        .with_session_timeout_ms(SESSION_TIMEOUT_MS)
        .with_protocol_type(s("consumer"))
        .with_protocols(protocols(&["range"], &["t"]))
}

impl KafkaRaw {
    /// One JoinGroup at `version` (the rebalance timeout is set where the version has it).
    pub fn join(&mut self, version: i16, request: &JoinGroupRequest) -> JoinGroupResponse {
        let request = if version >= 1 {
            request
                .clone()
                .with_rebalance_timeout_ms(SESSION_TIMEOUT_MS)
        } else {
            request.clone()
        };
        self.call(ApiKey::JoinGroup, version, &request)
    }

    /// A new member's join: at v4+ the MEMBER_ID_REQUIRED round trip first, as clients do.
    pub fn join_new(&mut self, version: i16, request: &JoinGroupRequest) -> JoinGroupResponse {
        if version < 4 {
            return self.join(version, request);
        }
        let first = self.join(version, request);
        assert_eq!(
            first.error_code,
            ResponseError::MemberIdRequired.code(),
            "v{version}: a new member is asked to join with its id"
        );
        assert!(!first.member_id.is_empty(), "v{version}: the id is given");
        let again = request.clone().with_member_id(first.member_id.clone());
        self.join(version, &again)
    }

    /// Sends a JoinGroup without waiting (it is answered when the rebalance completes).
    pub fn send_join(&mut self, version: i16, request: &JoinGroupRequest) -> i32 {
        let request = request
            .clone()
            .with_rebalance_timeout_ms(SESSION_TIMEOUT_MS);
        self.send(ApiKey::JoinGroup, version, &request)
    }

    pub fn sync_request(
        group_id: &str,
        generation_id: i32,
        member_id: &StrBytes,
        assignments: &[(&StrBytes, &[u8])],
    ) -> SyncGroupRequest {
        SyncGroupRequest::default()
            .with_group_id(group(group_id))
            .with_generation_id(generation_id)
            .with_member_id(member_id.clone())
            .with_assignments(
                assignments
                    .iter()
                    .map(|(id, a)| {
                        SyncGroupRequestAssignment::default()
                            .with_member_id((*id).clone())
                            .with_assignment(Bytes::copy_from_slice(a))
                    })
                    .collect(),
            )
    }

    pub fn sync(&mut self, version: i16, request: &SyncGroupRequest) -> SyncGroupResponse {
        self.call(ApiKey::SyncGroup, version, request)
    }

    pub fn heartbeat(
        &mut self,
        version: i16,
        group_id: &str,
        generation_id: i32,
        member_id: &StrBytes,
    ) -> i16 {
        let request = HeartbeatRequest::default()
            .with_group_id(group(group_id))
            .with_generation_id(generation_id)
            .with_member_id(member_id.clone());
        let response: HeartbeatResponse = self.call(ApiKey::Heartbeat, version, &request);
        response.error_code
    }

    /// Leaves with one member id: the v0-2 field, or a one-member list from v3.
    pub fn leave(&mut self, version: i16, group_id: &str, member_id: &StrBytes) -> i16 {
        let request = LeaveGroupRequest::default().with_group_id(group(group_id));
        let request = if version >= 3 {
            request.with_members(vec![
                MemberIdentity::default().with_member_id(member_id.clone())
            ])
        } else {
            request.with_member_id(member_id.clone())
        };
        let response: LeaveGroupResponse = self.call(ApiKey::LeaveGroup, version, &request);
        match response.members.first() {
            Some(member) if version >= 3 => member.error_code,
            _ => response.error_code,
        }
    }

    /// Commits `offsets` (partition, offset, metadata) of topic `topic_name`; returns each
    /// partition's error code.
    pub fn commit(
        &mut self,
        version: i16,
        group_id: &str,
        generation_id: i32,
        member_id: &StrBytes,
        topic_name: &str,
        offsets: &[(i32, i64, &str)],
    ) -> Vec<i16> {
        let partitions = offsets
            .iter()
            .map(|(partition, offset, metadata)| {
                OffsetCommitRequestPartition::default()
                    .with_partition_index(*partition)
                    .with_committed_offset(*offset)
                    .with_committed_metadata(Some(s(metadata)))
            })
            .collect();
        let request = OffsetCommitRequest::default()
            .with_group_id(group(group_id))
            .with_generation_id_or_member_epoch(generation_id)
            .with_member_id(member_id.clone())
            .with_topics(vec![OffsetCommitRequestTopic::default()
                .with_name(topic(topic_name))
                .with_partitions(partitions)]);
        let response: OffsetCommitResponse = self.call(ApiKey::OffsetCommit, version, &request);
        response
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
            .collect()
    }

    /// Committed offsets of `partitions` of `topic_name` (all committed when `None`).
    pub fn fetch_offsets(
        &mut self,
        version: i16,
        group_id: &str,
        topic_name: &str,
        partitions: Option<&[i32]>,
    ) -> OffsetFetchResponse {
        let topics = partitions.map(|list| {
            vec![OffsetFetchRequestTopic::default()
                .with_name(topic(topic_name))
                .with_partition_indexes(list.to_vec())]
        });
        let request = OffsetFetchRequest::default()
            .with_group_id(group(group_id))
            .with_topics(topics);
        self.call(ApiKey::OffsetFetch, version, &request)
    }

    /// The committed offset of one partition (-1 when none).
    pub fn committed(&mut self, group_id: &str, topic_name: &str, partition: i32) -> i64 {
        let response = self.fetch_offsets(7, group_id, topic_name, Some(&[partition]));
        assert_eq!(response.error_code, 0);
        response.topics[0].partitions[0].committed_offset
    }
}

/// Polls `condition` until it holds; fails the test with `what` after [`POLL_TIMEOUT`].
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + POLL_TIMEOUT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `kcat -G <group> <topic>` balanced consumer (librdkafka) printing `partition|offset|value`
/// lines; its stdout and stderr are collected as they come. Killed (SIGKILL) on drop.
pub struct KcatConsumer {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl KcatConsumer {
    /// Starts consuming from the group's committed offsets (the beginning where it has none).
    /// Offsets are auto-committed every 100 ms.
    pub fn start(bootstrap: &str, group_id: &str, topic_name: &str) -> KcatConsumer {
        ensure_kcat();
        let mut child = Command::new("kcat")
            .args(["-b", bootstrap, "-G", group_id, topic_name])
            .args(["-f", "%p|%o|%s\\n", "-u"])
            .args(["-X", "auto.offset.reset=earliest"])
            .args(["-X", "auto.commit.interval.ms=100"])
            .args(["-X", "session.timeout.ms=6000"])
            .args(["-X", "heartbeat.interval.ms=500"])
            .args(["-X", "topic.metadata.refresh.interval.ms=1000"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kcat -G");
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        KcatConsumer {
            child,
            stdout,
            stderr,
        }
    }

    /// The `(partition, offset, value)` records printed so far.
    pub fn records(&self) -> Vec<(u32, u64, String)> {
        self.stdout
            .lock()
            .iter()
            .filter_map(|line| {
                let mut fields = line.splitn(3, '|');
                let partition = fields.next()?.parse().ok()?;
                let offset = fields.next()?.parse().ok()?;
                Some((partition, offset, fields.next()?.to_string()))
            })
            .collect()
    }

    /// The partitions of the newest "assigned:" line kcat printed (its rebalance callback).
    pub fn assigned(&self) -> Option<Vec<u32>> {
        let stderr = self.stderr.lock();
        let line = stderr.iter().rev().find(|l| l.contains("rebalanced"))?;
        let (_, list) = line.split_once("assigned:")?;
        let mut partitions: Vec<u32> = list
            .split(',')
            .filter_map(|tp| {
                tp.trim()
                    .rsplit_once('[')?
                    .1
                    .trim_end_matches(']')
                    .parse()
                    .ok()
            })
            .collect();
        partitions.sort_unstable();
        Some(partitions)
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().join("\n")
    }

    /// SIGKILL: librdkafka neither leaves the group nor commits.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for KcatConsumer {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn collect(stream: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            sink.lock().push(line);
        }
    });
    lines
}
