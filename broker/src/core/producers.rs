//! Idempotent producers' ids: a new id at epoch 0, or the same id at the next epoch (fencing
//! batches of the old one). Runs on the blocking pool: reserving a new block of ids fsyncs
//! `<data_dir>/producer_ids`.

use super::blocking;
use crate::error::HandlerError;
use crate::state::BrokerState;
use crate::storage::ProducerIdAndEpoch;
use std::sync::Arc;

/// `producer_id` -1 (with epoch -1) asks for a new id; an id this broker issued, for its next epoch.
pub async fn init(
    state: &Arc<BrokerState>,
    producer_id: i64,
    producer_epoch: i16,
) -> Result<ProducerIdAndEpoch, HandlerError> {
    let logs = state.logs.clone();
    let granted = blocking(move || {
        logs.init_producer(producer_id, producer_epoch)
            .map_err(HandlerError::from)
    })
    .await?;
    tracing::debug!(
        producer_id = granted.producer_id,
        producer_epoch = granted.producer_epoch,
        "initialised producer"
    );
    Ok(granted)
}
