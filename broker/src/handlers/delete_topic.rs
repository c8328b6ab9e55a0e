//! DeleteTopic: remove the topic and its data; waiting fetches of it are woken.

use super::blocking;
use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::delete_topic::{DeleteTopicRequest, DeleteTopicResponse};
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: DeleteTopicRequest,
) -> Result<DeleteTopicResponse, HandlerError> {
    let logs = state.logs.clone();
    let name = request.name.clone();
    blocking(move || logs.delete_topic(&name).map_err(HandlerError::from)).await?;
    state.notifier.topic_deleted(&request.name);
    tracing::info!(topic = %request.name, "topic deleted");
    Ok(DeleteTopicResponse {})
}
