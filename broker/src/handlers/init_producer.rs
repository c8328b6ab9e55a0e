//! InitProducer: hand an idempotent producer its id and epoch — a new id at epoch 0, or the same
//! id at the next epoch (fencing batches of the old one). Runs on the blocking pool: reserving a
//! new block of ids fsyncs `<data_dir>/producer_ids`.

use super::blocking;
use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::init_producer::{InitProducerRequest, InitProducerResponse};
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: InitProducerRequest,
) -> Result<InitProducerResponse, HandlerError> {
    let logs = state.logs.clone();
    let granted = blocking(move || {
        logs.init_producer(request.producer_id, request.producer_epoch)
            .map_err(HandlerError::from)
    })
    .await?;
    tracing::debug!(
        producer_id = granted.producer_id,
        producer_epoch = granted.producer_epoch,
        "initialised producer"
    );
    Ok(InitProducerResponse {
        producer_id: granted.producer_id,
        producer_epoch: granted.producer_epoch,
    })
}
