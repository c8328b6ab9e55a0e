//! DeleteTopics through [`core::topics::delete`](crate::core::topics::delete): by name (v1-5
//! `topic_names`, v6 `topics`). RustLog topics have no ids yet, so a deletion by id alone
//! answers UNKNOWN_TOPIC_ID.

use super::errors::kafka_error_code;
use crate::core::topics;
use crate::state::BrokerState;
use kafka_protocol::messages::delete_topics_request::DeleteTopicsRequest;
use kafka_protocol::messages::delete_topics_response::{
    DeletableTopicResult, DeleteTopicsResponse,
};
use kafka_protocol::messages::TopicName;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: DeleteTopicsRequest,
) -> DeleteTopicsResponse {
    let mut named: Vec<(Option<TopicName>, _)> = request
        .topic_names
        .into_iter()
        .map(|name| (Some(name), Default::default()))
        .collect();
    named.extend(request.topics.into_iter().map(|t| (t.name, t.topic_id)));
    let mut results = Vec::with_capacity(named.len());
    for (name, topic_id) in named {
        let result = DeletableTopicResult::default().with_topic_id(topic_id);
        let Some(name) = name else {
            results.push(result.with_error_code(ResponseError::UnknownTopicId.code()));
            continue;
        };
        let result = result.with_name(Some(name.clone()));
        let result = match topics::delete(state, name.0.to_string()).await {
            Ok(()) => result,
            Err(err) => result
                .with_error_code(kafka_error_code(err.code))
                .with_error_message(Some(StrBytes::from_string(err.message))),
        };
        results.push(result);
    }
    DeleteTopicsResponse::default().with_responses(results)
}
