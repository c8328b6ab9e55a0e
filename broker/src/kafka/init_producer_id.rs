//! InitProducerId for idempotent (non-transactional) producers, through
//! [`core::producers`](crate::core::producers): a new id at epoch 0, or a bump of an id this
//! broker issued. A transactional id is refused (RustLog has no transactions): the response has
//! no message field, so the code is INVALID_REQUEST and the broker log says why.

use super::errors::kafka_error_code;
use crate::core::producers;
use crate::state::BrokerState;
use kafka_protocol::messages::init_producer_id_request::InitProducerIdRequest;
use kafka_protocol::messages::init_producer_id_response::InitProducerIdResponse;
use kafka_protocol::ResponseError;
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: InitProducerIdRequest,
) -> InitProducerIdResponse {
    let refused = InitProducerIdResponse::default()
        .with_producer_id((-1).into())
        .with_producer_epoch(-1);
    if let Some(transactional_id) = request
        .transactional_id
        .as_ref()
        .filter(|id| !id.0.is_empty())
    {
        tracing::warn!(
            transactional_id = %transactional_id.0,
            "InitProducerId with a transactional id refused: transactions are not supported"
        );
        return refused.with_error_code(ResponseError::InvalidRequest.code());
    }
    match producers::init(state, request.producer_id.0, request.producer_epoch).await {
        Ok(granted) => InitProducerIdResponse::default()
            .with_producer_id(granted.producer_id.into())
            .with_producer_epoch(granted.producer_epoch),
        Err(err) => refused.with_error_code(kafka_error_code(err.code)),
    }
}
