//! DescribeConfigs: a topic's every config key with its value and source (see
//! [`configs`](super::configs)), or the broker's settings (resource `"0"`, read-only).
//! `configuration_keys` filters by name (an unknown name is left out; null or empty means every
//! key, as Kafka's broker reads it); synonyms
//! only when asked; `config_type` and documentation exist from v3 on (and only when asked for,
//! documentation). Errors are per resource: an unknown topic is UNKNOWN_TOPIC_OR_PARTITION,
//! another broker id or resource type INVALID_REQUEST.

use super::configs::{
    broker_entries, topic_entries, ConfigEntry, BROKER_RESOURCE_NAME, RESOURCE_BROKER,
    RESOURCE_TOPIC,
};
use crate::state::BrokerState;
use kafka_protocol::messages::describe_configs_request::{
    DescribeConfigsRequest, DescribeConfigsResource,
};
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResponse, DescribeConfigsResult,
    DescribeConfigsSynonym,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

/// The first version with `config_type` and `documentation`.
const TYPES_VERSION: i16 = 3;

/// What the request asked to see besides names and values.
#[derive(Debug, Clone, Copy)]
struct Detail {
    version: i16,
    synonyms: bool,
    documentation: bool,
}

pub fn handle(
    state: &BrokerState,
    version: i16,
    request: DescribeConfigsRequest,
) -> DescribeConfigsResponse {
    let detail = Detail {
        version,
        synonyms: request.include_synonyms,
        documentation: request.include_documentation,
    };
    let results = request
        .resources
        .into_iter()
        .map(|resource| describe(state, detail, resource))
        .collect();
    DescribeConfigsResponse::default().with_results(results)
}

fn describe(
    state: &BrokerState,
    detail: Detail,
    resource: DescribeConfigsResource,
) -> DescribeConfigsResult {
    let result = DescribeConfigsResult::default()
        .with_resource_type(resource.resource_type)
        .with_resource_name(resource.resource_name.clone());
    let entries = match entries(state, resource.resource_type, &resource.resource_name) {
        Ok(entries) => entries,
        Err((code, message)) => {
            return result
                .with_error_code(code)
                .with_error_message(Some(StrBytes::from_string(message)))
        }
    };
    let wanted = resource.configuration_keys.filter(|keys| !keys.is_empty());
    let configs = entries
        .into_iter()
        .filter(|e| {
            wanted
                .as_ref()
                .is_none_or(|keys| keys.iter().any(|k| k.as_str() == e.name))
        })
        .map(|e| entry(detail, e))
        .collect();
    result.with_configs(configs)
}

/// The entries of one resource, or its Kafka error code and message.
fn entries(
    state: &BrokerState,
    resource_type: i8,
    name: &str,
) -> Result<Vec<ConfigEntry>, (i16, String)> {
    match resource_type {
        RESOURCE_TOPIC => state
            .logs
            .topic(name)
            .map(|meta| topic_entries(state.logs.defaults(), &meta))
            .ok_or_else(|| {
                (
                    ResponseError::UnknownTopicOrPartition.code(),
                    format!("topic {name:?} does not exist"),
                )
            }),
        RESOURCE_BROKER if name == BROKER_RESOURCE_NAME => Ok(broker_entries(state)),
        RESOURCE_BROKER => Err((
            ResponseError::InvalidRequest.code(),
            format!(
                "broker {name:?} is not this broker: a single broker, id {BROKER_RESOURCE_NAME}"
            ),
        )),
        other => Err((
            ResponseError::InvalidRequest.code(),
            format!("resource type {other} is not served: only topics (2) and the broker (4)"),
        )),
    }
}

fn entry(detail: Detail, e: ConfigEntry) -> DescribeConfigsResourceResult {
    let synonyms = if detail.synonyms {
        e.synonyms
            .iter()
            .map(|(value, source)| {
                DescribeConfigsSynonym::default()
                    .with_name(StrBytes::from_string(e.name.clone()))
                    .with_value(Some(StrBytes::from_string(value.clone())))
                    .with_source(*source)
            })
            .collect()
    } else {
        Vec::new()
    };
    let result = DescribeConfigsResourceResult::default()
        .with_name(StrBytes::from_string(e.name))
        .with_value(Some(StrBytes::from_string(e.value)))
        .with_read_only(e.read_only)
        .with_config_source(e.source)
        .with_is_sensitive(false)
        .with_synonyms(synonyms);
    if detail.version < TYPES_VERSION {
        return result;
    }
    let documentation = detail
        .documentation
        .then(|| StrBytes::from_string(e.documentation));
    result
        .with_config_type(e.config_type)
        .with_documentation(documentation)
}
