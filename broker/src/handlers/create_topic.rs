//! CreateTopic: validate the name, partition count and config overrides, then create the topic's
//! directories and metadata (blocking pool: it fsyncs). `partitions = 0` takes the broker's
//! default partition count.

use super::blocking;
use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::create_topic::{CreateTopicRequest, CreateTopicResponse};
use rustlog_protocol::names::validate_topic_name;
use rustlog_protocol::ErrorCode;
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: CreateTopicRequest,
) -> Result<CreateTopicResponse, HandlerError> {
    validate_topic_name(&request.name)?;
    let partitions = match request.partitions {
        0 => state.config.topic_partitions_default,
        n => n,
    };
    let max = state.config.limits.partitions_per_topic_max;
    if partitions > max {
        return Err(HandlerError::new(
            ErrorCode::InvalidPartitions,
            format!("{partitions} partitions exceed the limit of {max}"),
        ));
    }
    let logs = state.logs.clone();
    let meta = blocking(move || {
        logs.create_topic(&request.name, partitions, &request.config)
            .map_err(HandlerError::from)
    })
    .await?;
    tracing::info!(topic = %meta.name, partitions = meta.partitions, "topic created");
    Ok(CreateTopicResponse {
        name: meta.name,
        partitions: meta.partitions,
        config: meta.config.to_map(),
    })
}
