//! CreateTopic (5).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTopicRequest {
    pub name: String,
    /// 1..=`PARTITIONS_PER_TOPIC_MAX`, or 0 for the broker's default partition count.
    pub partitions: u32,
    /// Topic config overrides by key (see `crate::config_keys`); unset keys take broker defaults.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTopicResponse {
    pub name: String,
    pub partitions: u32,
    /// The effective config, every key filled in.
    pub config: BTreeMap<String, String>,
}
