//! DeleteTopic: [`core::topics::delete`](crate::core::topics::delete).

use crate::core::topics;
use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::delete_topic::{DeleteTopicRequest, DeleteTopicResponse};
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: DeleteTopicRequest,
) -> Result<DeleteTopicResponse, HandlerError> {
    topics::delete(state, request.name).await?;
    Ok(DeleteTopicResponse {})
}
