//! CreatePartitions (19): grow a topic to `partitions` partitions. A topic never shrinks: a
//! count not above the current one is `InvalidPartitions`, as in Kafka. Keyed records that
//! hashed to a partition may hash to another one afterwards.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePartitionsRequest {
    pub topic: String,
    /// The new total, more than the topic has and at most `PARTITIONS_PER_TOPIC_MAX`.
    pub partitions: u32,
    /// Check only; change nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub validate_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePartitionsResponse {
    pub topic: String,
    /// The topic's partition count now (or, with `validate_only`, after the change).
    pub partitions: u32,
}
