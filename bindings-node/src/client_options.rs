//! The `new RustLog({ brokers, clientId, requestTimeoutMs, metadataMaxAge })` settings every
//! native object is built with, and the one place that turns them into a connected
//! `rustlog::Client`.

use crate::errors::{from_client, invalid_argument};
use napi_derive::napi;
use std::time::Duration;

/// Settings shared by producers, consumers and admins of one `RustLog` object.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `host:port` of the broker; RustLog is single-node, later entries are fallbacks tried in
    /// order when the first cannot be reached.
    pub brokers: Vec<String>,
    pub client_id: Option<String>,
    /// How long one request may wait for its response.
    pub request_timeout_ms: Option<u32>,
    /// How often cached partition counts are looked up again (KafkaJS's `metadataMaxAge`).
    pub metadata_max_age_ms: Option<u32>,
}

impl ClientOptions {
    fn config_for(&self, broker: &str) -> rustlog::ClientConfig {
        let mut config = rustlog::ClientConfig {
            broker_addr: broker.to_string(),
            ..rustlog::ClientConfig::default()
        };
        if let Some(id) = &self.client_id {
            config.client_id = id.clone();
        }
        if let Some(ms) = self.request_timeout_ms {
            config.request_timeout = Duration::from_millis(u64::from(ms));
            // Connecting never waits longer than a request may.
            config.connect_timeout = config.connect_timeout.min(config.request_timeout);
        }
        if let Some(ms) = self.metadata_max_age_ms {
            config.metadata_max_age = Duration::from_millis(u64::from(ms));
        }
        config
    }

    /// Checks the settings without connecting, so a bad value fails when the object is made.
    pub(crate) fn validate(&self) -> napi::Result<()> {
        for broker in &self.brokers {
            self.config_for(broker)
                .validate()
                .map_err(|e| from_client(&e))?;
        }
        Ok(())
    }

    /// Connects to the first reachable broker of the list.
    pub(crate) async fn connect(&self) -> napi::Result<rustlog::Client> {
        let mut last = None;
        for broker in &self.brokers {
            match rustlog::Client::connect_with(self.config_for(broker)).await {
                Ok(client) => return Ok(client),
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) => from_client(&e),
            None => invalid_argument("brokers must list at least one \"host:port\""),
        })
    }
}
