//! Creating, growing, reconfiguring and deleting topics. Create validates the name, partition
//! count and config overrides, then creates the topic's directories and metadata on the blocking
//! pool (it fsyncs). Growing adds partitions (never fewer); reconfiguring replaces the topic's
//! whole set of config overrides; both persist through storage before they take effect, and
//! both can run as a check only (Kafka's `validate_only`). Delete removes the topic and its data
//! and wakes the fetches waiting on it.

use super::blocking;
use crate::error::HandlerError;
use crate::state::BrokerState;
use crate::storage::TopicMeta;
use rustlog_protocol::names::validate_topic_name;
use rustlog_protocol::ErrorCode;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The partition count a create asks for: `0` is the broker default; above the limit is an error.
pub fn partitions_for(state: &BrokerState, partitions: u32) -> Result<u32, HandlerError> {
    let partitions = match partitions {
        0 => state.config.topic_partitions_default,
        n => n,
    };
    let max = state.config.limits.partitions_per_topic_max;
    if partitions > max {
        return Err(HandlerError::new(
            ErrorCode::InvalidPartitions,
            format!("{partitions} partitions exceed the limit of {max}"),
        ));
    }
    Ok(partitions)
}

/// Checks everything a create checks, without creating (Kafka's `validate_only`).
pub fn validate(
    state: &BrokerState,
    name: &str,
    partitions: u32,
    config: &BTreeMap<String, String>,
) -> Result<u32, HandlerError> {
    validate_topic_name(name)?;
    let partitions = partitions_for(state, partitions)?;
    if state.logs.topic(name).is_some() {
        return Err(HandlerError::new(
            ErrorCode::TopicAlreadyExists,
            format!("topic {name:?} exists already"),
        ));
    }
    state.logs.defaults().with_overrides(config)?;
    Ok(partitions)
}

/// Creates a topic (`partitions` 0: the broker default).
pub async fn create(
    state: &Arc<BrokerState>,
    name: String,
    partitions: u32,
    config: BTreeMap<String, String>,
) -> Result<TopicMeta, HandlerError> {
    validate_topic_name(&name)?;
    let partitions = partitions_for(state, partitions)?;
    let logs = state.logs.clone();
    let meta = blocking(move || {
        logs.create_topic(&name, partitions, &config)
            .map_err(HandlerError::from)
    })
    .await?;
    tracing::info!(topic = %meta.name, partitions = meta.partitions, "topic created");
    Ok(meta)
}

/// Deletes a topic and its data; fetches waiting on it are woken.
pub async fn delete(state: &Arc<BrokerState>, name: String) -> Result<(), HandlerError> {
    let logs = state.logs.clone();
    let deleting = name.clone();
    blocking(move || logs.delete_topic(&deleting).map_err(HandlerError::from)).await?;
    state.notifier.topic_deleted(&name);
    tracing::info!(topic = %name, "topic deleted");
    Ok(())
}

/// Grows `name` to `partitions` partitions (more than it has, at most the broker's limit), or
/// only checks that it could (`validate_only`). Producers, fetches and the group coordinator's
/// partition counts read the topic map, so they see the new partitions once this returns.
pub async fn add_partitions(
    state: &Arc<BrokerState>,
    name: String,
    partitions: u32,
    validate_only: bool,
) -> Result<TopicMeta, HandlerError> {
    let max = state.config.limits.partitions_per_topic_max;
    if partitions > max {
        return Err(HandlerError::new(
            ErrorCode::InvalidPartitions,
            format!("{partitions} partitions exceed the limit of {max}"),
        ));
    }
    if validate_only {
        let meta = state.logs.check_add_partitions(&name, partitions)?;
        return Ok(TopicMeta { partitions, ..meta });
    }
    let logs = state.logs.clone();
    let meta = blocking(move || {
        logs.add_partitions(&name, partitions)
            .map_err(HandlerError::from)
    })
    .await?;
    tracing::info!(topic = %meta.name, partitions = meta.partitions, "partitions added");
    state.groups.topic_resized(&meta.name);
    Ok(meta)
}

/// Replaces `name`'s config overrides with `overrides` (keys left out return to the broker
/// defaults), or only checks them (`validate_only`). Returns the topic as it is (or would be).
pub async fn replace_config(
    state: &Arc<BrokerState>,
    name: String,
    overrides: BTreeMap<String, String>,
    validate_only: bool,
) -> Result<TopicMeta, HandlerError> {
    if validate_only {
        let config = state.logs.check_topic_overrides(&name, &overrides)?;
        let meta = state.logs.topic(&name).ok_or_else(|| {
            HandlerError::new(
                ErrorCode::TopicNotFound,
                format!("topic {name:?} does not exist"),
            )
        })?;
        return Ok(TopicMeta {
            config,
            overrides,
            ..meta
        });
    }
    let logs = state.logs.clone();
    blocking(move || {
        logs.set_topic_overrides(&name, &overrides)
            .map_err(HandlerError::from)
    })
    .await
}
