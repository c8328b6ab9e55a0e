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
    /// `host:port` of the broker; RustLog is single-node, later entries are fallbacks the
    /// client tries in turn (its bootstrap list) when the first cannot be reached.
    pub brokers: Vec<String>,
    pub client_id: Option<String>,
    /// How long one request may wait for its response.
    pub request_timeout_ms: Option<u32>,
    /// How often cached partition counts are looked up again (KafkaJS's `metadataMaxAge`).
    pub metadata_max_age_ms: Option<u32>,
}

impl ClientOptions {
    /// The client's settings; `brokers` becomes its bootstrap list (`host:port,host:port`),
    /// whose addresses the client tries in turn.
    fn config(&self) -> napi::Result<rustlog::ClientConfig> {
        if self.brokers.is_empty() {
            return Err(invalid_argument(
                "brokers must list at least one \"host:port\"",
            ));
        }
        if let Some(bad) = self.brokers.iter().find(|b| b.contains(',')) {
            return Err(invalid_argument(format!(
                "broker {bad:?}: give one \"host:port\" per entry of brokers"
            )));
        }
        let mut config = rustlog::ClientConfig {
            broker_addr: self.brokers.join(","),
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
        Ok(config)
    }

    /// Checks the settings without connecting, so a bad value fails when the object is made.
    pub(crate) fn validate(&self) -> napi::Result<()> {
        self.config()?.validate().map_err(|e| from_client(&e))
    }

    /// Connects to the first reachable broker of the list (the client tries each in turn).
    pub(crate) async fn connect(&self) -> napi::Result<rustlog::Client> {
        rustlog::Client::connect_with(self.config()?)
            .await
            .map_err(|e| from_client(&e))
    }
}
