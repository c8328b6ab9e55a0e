//! MetricsFetch (15): the broker's metrics in OpenMetrics text format, the same text as
//! `GET /metrics` on the metrics listener.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsFetchRequest {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsFetchResponse {
    pub prometheus_text: String,
}
