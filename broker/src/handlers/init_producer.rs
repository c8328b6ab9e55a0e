//! InitProducer: [`core::producers::init`](crate::core::producers::init) — a new producer id
//! at epoch 0, or the same id at the next epoch.

use crate::core::producers;
use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::init_producer::{InitProducerRequest, InitProducerResponse};
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: InitProducerRequest,
) -> Result<InitProducerResponse, HandlerError> {
    let granted = producers::init(state, request.producer_id, request.producer_epoch).await?;
    Ok(InitProducerResponse {
        producer_id: granted.producer_id,
        producer_epoch: granted.producer_epoch,
    })
}
