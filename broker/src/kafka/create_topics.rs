//! CreateTopics through [`core::topics`](crate::core::topics): `num_partitions` -1 takes the
//! broker default, replication factor -1 or 1 (one broker), no manual replica assignments;
//! `validate_only` runs every check and creates nothing. Errors are per topic.

use super::errors::kafka_error_code;
use crate::core::topics;
use crate::error::HandlerError;
use crate::state::BrokerState;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreateTopicsRequest};
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicResult, CreateTopicsResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use rustlog_protocol::ErrorCode;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Kafka's "broker default" for partitions and replication factor.
const BROKER_DEFAULT: i32 = -1;

pub async fn handle(
    state: &Arc<BrokerState>,
    version: i16,
    request: CreateTopicsRequest,
) -> CreateTopicsResponse {
    let mut results = Vec::with_capacity(request.topics.len());
    for topic in request.topics {
        let name = topic.name.clone();
        let result = CreatableTopicResult::default().with_name(name);
        let result = match create(state, topic, request.validate_only).await {
            Ok((partitions, replication_factor)) => result
                .with_num_partitions(partitions)
                .with_replication_factor(replication_factor),
            Err(CreateError::Kafka(code, message)) => with_error(result, version, code, message),
            Err(CreateError::Core(err)) => {
                with_error(result, version, kafka_error_code(err.code), err.message)
            }
        };
        results.push(result);
    }
    CreateTopicsResponse::default().with_topics(results)
}

/// A Kafka-only refusal (a code RustLog's table has no name for) or a core error.
enum CreateError {
    Kafka(i16, String),
    Core(HandlerError),
}

impl From<HandlerError> for CreateError {
    fn from(err: HandlerError) -> Self {
        CreateError::Core(err)
    }
}

/// Creates (or validates) one topic; returns its partitions and replication factor.
async fn create(
    state: &Arc<BrokerState>,
    topic: CreatableTopic,
    validate_only: bool,
) -> Result<(i32, i16), CreateError> {
    let partitions = match topic.num_partitions {
        BROKER_DEFAULT => 0,
        n if n >= 1 => u32::try_from(n).unwrap_or(u32::MAX),
        n => {
            return Err(CreateError::Core(HandlerError::new(
                ErrorCode::InvalidPartitions,
                format!("{n} partitions: use at least 1, or -1 for the broker default"),
            )))
        }
    };
    if !matches!(i32::from(topic.replication_factor), BROKER_DEFAULT | 1) {
        return Err(CreateError::Kafka(
            ResponseError::InvalidReplicationFactor.code(),
            format!(
                "replication factor {}: this is a single broker, use 1 or -1",
                topic.replication_factor
            ),
        ));
    }
    if !topic.assignments.is_empty() {
        return Err(CreateError::Kafka(
            ResponseError::InvalidReplicaAssignment.code(),
            "manual replica assignments are not supported on a single broker".into(),
        ));
    }
    let config: BTreeMap<String, String> = topic
        .configs
        .into_iter()
        // A null value means "the default": no override.
        .filter_map(|c| Some((c.name.to_string(), c.value?.to_string())))
        .collect();
    let name = topic.name.0.to_string();
    let partitions = if validate_only {
        topics::validate(state, &name, partitions, &config)?
    } else {
        topics::create(state, name, partitions, config)
            .await?
            .partitions
    };
    Ok((i32::try_from(partitions).unwrap_or(i32::MAX), 1))
}

fn with_error(
    result: CreatableTopicResult,
    version: i16,
    code: i16,
    message: String,
) -> CreatableTopicResult {
    let result = result.with_error_code(code);
    // error_message exists from v1 on; we serve v2+, but keep the rule where it is decided.
    if version >= 1 {
        result.with_error_message(Some(StrBytes::from_string(message)))
    } else {
        result
    }
}
