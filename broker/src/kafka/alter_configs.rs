//! AlterConfigs (the legacy whole-set replace): the configs given become the topic's whole set
//! of overrides, so keys left out return to the broker defaults (as Kafka); a null value is
//! left out too. Unknown keys and bad values are INVALID_CONFIG naming the key; broker
//! resources are read-only (INVALID_REQUEST); `validate_only` checks and changes nothing.
//! Errors are per resource.

use super::configs::{alterable_topic, known_key, store_overrides, ResourceError};
use crate::state::BrokerState;
use kafka_protocol::messages::alter_configs_request::{AlterConfigsRequest, AlterConfigsResource};
use kafka_protocol::messages::alter_configs_response::{
    AlterConfigsResourceResponse, AlterConfigsResponse,
};
use kafka_protocol::protocol::StrBytes;
use std::collections::BTreeMap;
use std::sync::Arc;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: AlterConfigsRequest,
) -> AlterConfigsResponse {
    let mut responses = Vec::with_capacity(request.resources.len());
    for resource in request.resources {
        let response = AlterConfigsResourceResponse::default()
            .with_resource_type(resource.resource_type)
            .with_resource_name(resource.resource_name.clone());
        let response = match alter(state, resource, request.validate_only).await {
            Ok(()) => response,
            Err((code, message)) => response
                .with_error_code(code)
                .with_error_message(Some(StrBytes::from_string(message))),
        };
        responses.push(response);
    }
    AlterConfigsResponse::default().with_responses(responses)
}

async fn alter(
    state: &Arc<BrokerState>,
    resource: AlterConfigsResource,
    validate_only: bool,
) -> Result<(), ResourceError> {
    let topic = alterable_topic(state, resource.resource_type, &resource.resource_name)?;
    let mut overrides = BTreeMap::new();
    for config in resource.configs {
        known_key(&config.name)?;
        if let Some(value) = config.value {
            overrides.insert(config.name.to_string(), value.to_string());
        }
    }
    store_overrides(state, &topic.name, overrides, validate_only).await
}
