//! Partition assignment: range (per topic, contiguous ranges to members sorted by id) and
//! round-robin (every subscribed partition dealt in turn to the members subscribed to it).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How partitions are spread over the members of a native group (stored in the group file with
/// the same names as the native wire enum).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignor {
    /// Per topic, contiguous ranges of partitions to members sorted by id (Kafka's default).
    #[default]
    Range,
    /// All subscribed partitions dealt one by one to members in turn.
    RoundRobin,
}

/// The partitions of one topic a member owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPartitions {
    pub topic: String,
    pub partitions: Vec<u32>,
}

/// A member's subscription, as the assignor sees it.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub member_id: String,
    pub topics: Vec<String>,
}

/// Computes every member's assignment. `partitions_of(topic)` gives a topic's partition count
/// (0 for a topic that does not exist). Members get an entry even when they own nothing.
pub fn assign(
    assignor: Assignor,
    members: &[Subscription],
    partitions_of: impl Fn(&str) -> u32,
) -> BTreeMap<String, Vec<TopicPartitions>> {
    let mut sorted: Vec<&Subscription> = members.iter().collect();
    sorted.sort_by(|a, b| a.member_id.cmp(&b.member_id));
    let topics: BTreeSet<&str> = sorted
        .iter()
        .flat_map(|m| m.topics.iter().map(String::as_str))
        .collect();
    let mut owned: BTreeMap<String, BTreeMap<String, Vec<u32>>> = sorted
        .iter()
        .map(|m| (m.member_id.clone(), BTreeMap::new()))
        .collect();
    match assignor {
        Assignor::Range => {
            for topic in &topics {
                let subscribers: Vec<&&Subscription> = sorted
                    .iter()
                    .filter(|m| m.topics.iter().any(|t| t == topic))
                    .collect();
                let count = partitions_of(topic);
                let n = subscribers.len() as u32;
                if n == 0 {
                    continue;
                }
                let (per, extra) = (count / n, count % n);
                let mut next = 0u32;
                for (i, member) in subscribers.iter().enumerate() {
                    let take = per + u32::from((i as u32) < extra);
                    if take == 0 {
                        continue;
                    }
                    let list = owned
                        .entry(member.member_id.clone())
                        .or_default()
                        .entry(topic.to_string())
                        .or_default();
                    list.extend(next..next + take);
                    next += take;
                }
            }
        }
        Assignor::RoundRobin => {
            let mut turn = 0usize;
            for topic in &topics {
                for partition in 0..partitions_of(topic) {
                    // Advance to the next member subscribed to this topic.
                    for step in 0..sorted.len() {
                        let index = (turn + step) % sorted.len();
                        let Some(member) = sorted.get(index) else {
                            continue;
                        };
                        if member.topics.iter().any(|t| t == topic) {
                            owned
                                .entry(member.member_id.clone())
                                .or_default()
                                .entry(topic.to_string())
                                .or_default()
                                .push(partition);
                            turn = index + 1;
                            break;
                        }
                    }
                }
            }
        }
    }
    owned
        .into_iter()
        .map(|(member, topics)| {
            let list = topics
                .into_iter()
                .map(|(topic, partitions)| TopicPartitions { topic, partitions })
                .collect();
            (member, list)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(id: &str, topics: &[&str]) -> Subscription {
        Subscription {
            member_id: id.into(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn parts(map: &BTreeMap<String, Vec<TopicPartitions>>, member: &str) -> Vec<(String, u32)> {
        map[member]
            .iter()
            .flat_map(|tp| tp.partitions.iter().map(|p| (tp.topic.clone(), *p)))
            .collect()
    }

    #[test]
    fn range_splits_each_topic_contiguously() {
        let members = [sub("b", &["t"]), sub("a", &["t"])];
        let map = assign(Assignor::Range, &members, |_| 5);
        assert_eq!(
            parts(&map, "a"),
            vec![("t".into(), 0), ("t".into(), 1), ("t".into(), 2)]
        );
        assert_eq!(parts(&map, "b"), vec![("t".into(), 3), ("t".into(), 4)]);
    }

    #[test]
    fn round_robin_deals_in_turn_and_skips_unsubscribed() {
        let members = [sub("a", &["x", "y"]), sub("b", &["y"])];
        let map = assign(Assignor::RoundRobin, &members, |_| 2);
        assert_eq!(
            parts(&map, "a"),
            vec![("x".into(), 0), ("x".into(), 1), ("y".into(), 1)]
        );
        assert_eq!(parts(&map, "b"), vec![("y".into(), 0)]);
    }

    #[test]
    fn more_members_than_partitions_leaves_some_idle() {
        let members = [sub("a", &["t"]), sub("b", &["t"]), sub("c", &["t"])];
        let map = assign(Assignor::Range, &members, |_| 2);
        assert!(map["c"].is_empty());
        let total: usize = map.values().flatten().map(|tp| tp.partitions.len()).sum();
        assert_eq!(total, 2);
    }
}
