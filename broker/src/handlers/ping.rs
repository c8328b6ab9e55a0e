//! Ping: a liveness round trip.

use crate::state::BrokerState;
use rustlog_protocol::messages::ping::{PingRequest, PingResponse};

pub fn handle(_state: &BrokerState, _request: PingRequest) -> PingResponse {
    PingResponse {}
}
