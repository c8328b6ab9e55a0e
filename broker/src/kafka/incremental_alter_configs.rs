//! IncrementalAlterConfigs: per key SET (a value), DELETE (back to the broker default), APPEND
//! and SUBTRACT (list-typed keys only, `cleanup.policy`; anything else is INVALID_CONFIG), applied
//! to the topic's current overrides and stored through storage as its new whole set. A key named
//! twice in one resource is INVALID_REQUEST; unknown keys and bad values are INVALID_CONFIG
//! naming the key; broker resources are read-only (INVALID_REQUEST); `validate_only` checks and
//! changes nothing. Errors are per resource.

use super::configs::{alterable_topic, is_list_key, known_key, store_overrides, ResourceError};
use crate::state::BrokerState;
use crate::storage::TopicMeta;
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig, IncrementalAlterConfigsRequest,
};
use kafka_protocol::messages::incremental_alter_configs_response::{
    AlterConfigsResourceResponse, IncrementalAlterConfigsResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Kafka's `AlterConfigOp.OpType`.
const OP_SET: i8 = 0;
const OP_DELETE: i8 = 1;
const OP_APPEND: i8 = 2;
const OP_SUBTRACT: i8 = 3;

pub async fn handle(
    state: &Arc<BrokerState>,
    request: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
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
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}

async fn alter(
    state: &Arc<BrokerState>,
    resource: AlterConfigsResource,
    validate_only: bool,
) -> Result<(), ResourceError> {
    let topic = alterable_topic(state, resource.resource_type, &resource.resource_name)?;
    let mut seen = BTreeSet::new();
    let mut overrides = topic.overrides.clone();
    for config in &resource.configs {
        if !seen.insert(config.name.as_str()) {
            return Err((
                ResponseError::InvalidRequest.code(),
                format!("config {:?} is named twice", config.name.as_str()),
            ));
        }
        apply(&topic, &mut overrides, config)?;
    }
    store_overrides(state, &topic.name, overrides, validate_only).await
}

/// Applies one operation to `overrides`.
fn apply(
    topic: &TopicMeta,
    overrides: &mut BTreeMap<String, String>,
    config: &AlterableConfig,
) -> Result<(), ResourceError> {
    let key = config.name.as_str();
    known_key(key)?;
    let invalid = |message: String| (ResponseError::InvalidConfig.code(), message);
    let value = config.value.as_ref().map(|v| v.as_str());
    match config.config_operation {
        OP_DELETE => {
            overrides.remove(key);
        }
        OP_SET => {
            let value = value.ok_or_else(|| invalid(format!("SET {key} needs a value")))?;
            overrides.insert(key.to_string(), value.to_string());
        }
        op @ (OP_APPEND | OP_SUBTRACT) => {
            if !is_list_key(key) {
                return Err(invalid(format!(
                    "{key} is not a list: APPEND and SUBTRACT apply to list keys only"
                )));
            }
            let value =
                value.ok_or_else(|| invalid(format!("{key}: APPEND/SUBTRACT need a value")))?;
            let current = topic.config.to_map().remove(key).unwrap_or_default();
            let list = edit_list(&current, value, op == OP_APPEND);
            overrides.insert(key.to_string(), list);
        }
        other => {
            return Err((
                ResponseError::InvalidRequest.code(),
                format!(
                    "config operation {other} is not one of 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT"
                ),
            ))
        }
    }
    Ok(())
}

/// `current` (comma-separated) with the items of `change` appended (skipping ones it has) or
/// removed.
fn edit_list(current: &str, change: &str, append: bool) -> String {
    let items = |s: &str| -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut list = items(current);
    for item in items(change) {
        if append && !list.contains(&item) {
            list.push(item);
        } else if !append {
            list.retain(|have| *have != item);
        }
    }
    list.join(",")
}

#[cfg(test)]
mod tests {
    use super::edit_list;

    #[test]
    fn lists_append_without_duplicates_and_subtract() {
        assert_eq!(edit_list("delete", "compact", true), "delete,compact");
        assert_eq!(edit_list("delete", "delete", true), "delete");
        assert_eq!(edit_list("delete,compact", "delete", false), "compact");
        assert_eq!(edit_list("compact", "compact", false), "");
    }
}
