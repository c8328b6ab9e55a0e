//! ApiVersions (0): which apis and versions the broker speaks.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiVersionsRequest {
    /// Free-form client software name, for the broker's logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_software: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiVersionsResponse {
    pub broker_version: String,
    pub apis: Vec<ApiVersionRange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiVersionRange {
    pub api_key: u16,
    pub name: String,
    pub min_version: u16,
    pub max_version: u16,
}

impl ApiVersionsResponse {
    /// The table this codec speaks, as a broker would report it.
    pub fn supported(broker_version: &str) -> Self {
        let apis = crate::api::ApiKey::ALL
            .iter()
            .map(|api| ApiVersionRange {
                api_key: api.code(),
                name: api.name().to_string(),
                min_version: api.min_version(),
                max_version: api.max_version(),
            })
            .collect();
        ApiVersionsResponse {
            broker_version: broker_version.to_string(),
            apis,
        }
    }
}
