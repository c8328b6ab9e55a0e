//! ApiVersions: exactly the APIs and versions in [`SERVED`].

use super::SERVED;
use kafka_protocol::messages::api_versions_response::{ApiVersion, ApiVersionsResponse};
use kafka_protocol::ResponseError;

fn served() -> Vec<ApiVersion> {
    SERVED
        .iter()
        .map(|(api, min, max)| {
            ApiVersion::default()
                .with_api_key(*api as i16)
                .with_min_version(*min)
                .with_max_version(*max)
        })
        .collect()
}

pub fn handle() -> ApiVersionsResponse {
    ApiVersionsResponse::default().with_api_keys(served())
}

/// KIP-511: the v0 reply to a version above ours, listing ours so the client retries lower.
pub fn unsupported_version() -> ApiVersionsResponse {
    handle().with_error_code(ResponseError::UnsupportedVersion.code())
}
