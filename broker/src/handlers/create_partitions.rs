//! CreatePartitions: [`core::topics::add_partitions`](crate::core::topics::add_partitions), the
//! same path as the Kafka listener's CreatePartitions.

use crate::core::topics;
use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::create_partitions::{
    CreatePartitionsRequest, CreatePartitionsResponse,
};
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: CreatePartitionsRequest,
) -> Result<CreatePartitionsResponse, HandlerError> {
    let meta = topics::add_partitions(
        state,
        request.topic,
        request.partitions,
        request.validate_only,
    )
    .await?;
    Ok(CreatePartitionsResponse {
        topic: meta.name,
        partitions: meta.partitions,
    })
}
