//! CreatePartitions through [`core::topics::add_partitions`](crate::core::topics::add_partitions):
//! a topic grows to `count` partitions (more than it has, at most the broker's limit, else
//! INVALID_PARTITIONS); manual assignments are refused (one broker: INVALID_REPLICA_ASSIGNMENT);
//! `validate_only` checks and changes nothing. Errors are per topic.

use super::errors::kafka_error_code;
use crate::core::topics;
use crate::state::BrokerState;
use kafka_protocol::messages::create_partitions_request::{
    CreatePartitionsRequest, CreatePartitionsTopic,
};
use kafka_protocol::messages::create_partitions_response::{
    CreatePartitionsResponse, CreatePartitionsTopicResult,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: CreatePartitionsRequest,
) -> CreatePartitionsResponse {
    let mut results = Vec::with_capacity(request.topics.len());
    for topic in request.topics {
        let result = CreatePartitionsTopicResult::default().with_name(topic.name.clone());
        let result = match grow(state, topic, request.validate_only).await {
            Ok(()) => result,
            Err((code, message)) => result
                .with_error_code(code)
                .with_error_message(Some(StrBytes::from_string(message))),
        };
        results.push(result);
    }
    CreatePartitionsResponse::default().with_results(results)
}

/// Grows (or validates growing) one topic; the error is a Kafka code with its message.
async fn grow(
    state: &Arc<BrokerState>,
    topic: CreatePartitionsTopic,
    validate_only: bool,
) -> Result<(), (i16, String)> {
    if topic.assignments.is_some() {
        return Err((
            ResponseError::InvalidReplicaAssignment.code(),
            "manual replica assignments are not supported on a single broker".into(),
        ));
    }
    let Ok(count) = u32::try_from(topic.count) else {
        return Err((
            ResponseError::InvalidPartitions.code(),
            format!("{} partitions: a topic has at least 1", topic.count),
        ));
    };
    topics::add_partitions(state, topic.name.0.to_string(), count, validate_only)
        .await
        .map(|_| ())
        .map_err(|err| (kafka_error_code(err.code), err.message))
}
