//! ApiVersions: every api key with the versions this broker serves.

use crate::state::BrokerState;
use rustlog_protocol::messages::api_versions::{ApiVersionsRequest, ApiVersionsResponse};

pub fn handle(_state: &BrokerState, request: ApiVersionsRequest) -> ApiVersionsResponse {
    if let Some(software) = request.client_software {
        tracing::debug!(client_software = %software, "api versions asked");
    }
    ApiVersionsResponse::supported(env!("CARGO_PKG_VERSION"))
}
