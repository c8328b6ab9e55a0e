//! MetricsFetch: the same OpenMetrics text as `GET /metrics`.

use crate::state::BrokerState;
use rustlog_protocol::messages::metrics_fetch::{MetricsFetchRequest, MetricsFetchResponse};

pub fn handle(state: &BrokerState, _request: MetricsFetchRequest) -> MetricsFetchResponse {
    MetricsFetchResponse {
        prometheus_text: state.render_metrics(),
    }
}
