//! ListTopics: every topic with its partition count, sorted by name.

use crate::state::BrokerState;
use rustlog_protocol::messages::list_topics::{
    ListTopicsRequest, ListTopicsResponse, TopicSummary,
};

pub fn handle(state: &BrokerState, _request: ListTopicsRequest) -> ListTopicsResponse {
    ListTopicsResponse {
        topics: state
            .logs
            .topics()
            .into_iter()
            .map(|t| TopicSummary {
                name: t.name,
                partitions: t.partitions,
            })
            .collect(),
    }
}
