//! InitProducer (18): an idempotent producer asks for its producer id and epoch before its first
//! produce. With `producer_id` and `producer_epoch` of -1 the broker hands out a new id at epoch
//! 0; with an id it issued, it bumps the epoch (the producer then restarts its sequences at 0,
//! and batches still carrying the old epoch are refused with `InvalidProducerEpoch`).

use serde::{Deserialize, Serialize};

/// What [`InitProducerRequest::default`] sends: "give me a new producer id".
pub const NEW_PRODUCER: i64 = -1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitProducerRequest {
    /// -1 for a new producer id, or an id this broker issued to bump its epoch.
    #[serde(default = "new_producer")]
    pub producer_id: i64,
    /// -1 with a new id; the current epoch when bumping.
    #[serde(default = "no_epoch")]
    pub producer_epoch: i16,
}

fn new_producer() -> i64 {
    NEW_PRODUCER
}

fn no_epoch() -> i16 {
    -1
}

impl Default for InitProducerRequest {
    fn default() -> Self {
        InitProducerRequest {
            producer_id: NEW_PRODUCER,
            producer_epoch: -1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitProducerResponse {
    pub producer_id: i64,
    pub producer_epoch: i16,
}
