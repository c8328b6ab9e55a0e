//! CreateTopic: [`core::topics::create`](crate::core::topics::create); `partitions = 0` takes
//! the broker's default partition count.

use crate::core::topics;
use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::create_topic::{CreateTopicRequest, CreateTopicResponse};
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: CreateTopicRequest,
) -> Result<CreateTopicResponse, HandlerError> {
    let meta = topics::create(state, request.name, request.partitions, request.config).await?;
    Ok(CreateTopicResponse {
        name: meta.name,
        partitions: meta.partitions,
        config: meta.config.to_map(),
    })
}
