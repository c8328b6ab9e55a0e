//! `NativeClient`: what `new RustLog({ brokers, ...options })` holds, one lazily connecting
//! `rustlog::Client` shared by every producer, consumer and admin made from it. Options are
//! the Rust client's table (`rustlog::options`) under their Node names; this file only turns JS
//! values into `OptionValue`s, and lists no option itself.

use crate::errors::{from_client, invalid_argument};
use napi::bindgen_prelude::Either3;
use napi_derive::napi;
use rustlog::options::{self, Kind, OptionSpec, OptionValue, Scope};
use rustlog::Settings;
use std::collections::HashMap;

/// An option value from JS; `lib/` drops `undefined` and `null` (the default) before the call.
pub type JsOption = Either3<bool, f64, String>;

/// The options one call gave, by Node name.
pub type JsOptions = HashMap<String, JsOption>;

/// The client settings and the shared client they made.
#[napi]
#[derive(Debug, Clone)]
pub struct NativeClient {
    settings: Settings,
    client: rustlog::Client,
}

#[napi]
impl NativeClient {
    /// `brokers` becomes the client's bootstrap list (`host:port,host:port`), which it tries
    /// in turn; nothing connects until the first producer, consumer or admin does.
    #[napi(
        constructor,
        ts_args_type = "brokers: string[], options: Record<string, boolean | number | string>"
    )]
    pub fn new(brokers: Vec<String>, options: JsOptions) -> napi::Result<Self> {
        if brokers.is_empty() {
            return Err(invalid_argument(
                "brokers must list at least one \"host:port\"",
            ));
        }
        if let Some(bad) = brokers.iter().find(|b| b.contains(',')) {
            return Err(invalid_argument(format!(
                "broker {bad:?}: give one \"host:port\" per entry of brokers"
            )));
        }
        let mut settings = Settings::new(brokers.join(","));
        apply(&mut settings, &[Scope::Client], "new RustLog()", &options)?;
        NativeClient::with(settings)
    }
}

impl NativeClient {
    fn with(settings: Settings) -> napi::Result<Self> {
        let client = rustlog::Client::lazy(settings.client.clone()).map_err(|e| from_client(&e))?;
        Ok(NativeClient { settings, client })
    }

    /// The settings of a producer or consumer (`scope`) made with `options`: this client's,
    /// the Node defaults of `scope`, then `options`. Client options given here (KafkaJS takes
    /// `metadataMaxAge` per producer and consumer) make that object a client of its own.
    pub(crate) fn derive(
        &self,
        scope: Scope,
        what: &str,
        options: &JsOptions,
    ) -> napi::Result<(NativeClient, Settings)> {
        let mut settings = self.settings.clone();
        for spec in options::options_of(&[scope]) {
            if let Some(default) = spec.node_default {
                settings
                    .set(spec, OptionValue::Int(default))
                    .map_err(|e| from_client(&e))?;
            }
        }
        apply(&mut settings, &[Scope::Client, scope], what, options)?;
        // The caller checks its own part (a consumer's once its group id is in).
        settings.client.validate().map_err(|e| from_client(&e))?;
        let client = if settings.client == self.settings.client {
            self.clone()
        } else {
            NativeClient::with(settings.clone())?
        };
        Ok((client, settings))
    }

    /// The shared client once its connection is up and a RustLog broker answered (KafkaJS's
    /// `connect()` fails when no broker can be reached).
    pub(crate) async fn connect(&self) -> napi::Result<rustlog::Client> {
        self.client
            .ensure_connected()
            .await
            .map_err(|e| from_client(&e))?;
        Ok(self.client.clone())
    }
}

/// Applies `options` (Node names) among `scopes`; an unknown name or a bad value is an
/// InvalidArgument naming the option as given.
fn apply(
    settings: &mut Settings,
    scopes: &[Scope],
    what: &str,
    options: &JsOptions,
) -> napi::Result<()> {
    let mut given: Vec<(&String, &JsOption)> = options.iter().collect();
    given.sort_by(|a, b| a.0.cmp(b.0));
    for (name, value) in given {
        let spec = options::lookup_node(name, scopes, what).map_err(|e| from_client(&e))?;
        let value = value_of(spec, name, value)?;
        settings
            .set_as(spec, value, name)
            .map_err(|e| from_client(&e))?;
    }
    Ok(())
}

fn value_of(spec: &OptionSpec, name: &str, value: &JsOption) -> napi::Result<OptionValue> {
    Ok(match value {
        Either3::A(b) => OptionValue::Bool(*b),
        Either3::B(n) => {
            // JS numbers are doubles: only whole ones within i64 are options.
            if n.fract() != 0.0 || !n.is_finite() || n.abs() > 9.0e15 {
                return Err(invalid_argument(format!(
                    "{name}: {n} is not a whole number{}",
                    if spec.kind == Kind::Bool {
                        " (it takes a boolean)"
                    } else {
                        ""
                    }
                )));
            }
            #[allow(clippy::cast_possible_truncation)]
            OptionValue::Int(*n as i64)
        }
        Either3::C(text) => OptionValue::Text(text.clone()),
    })
}

/// The options of one `send`: `acks` and `compression` as the producer's, KafkaJS's `timeout`
/// as `deliveryTimeoutMs`.
pub(crate) fn send_settings(options: &JsOptions) -> napi::Result<Settings> {
    let mut settings = Settings::default();
    for (name, value) in options {
        let table_name = if name == "timeout" {
            "deliveryTimeoutMs"
        } else {
            name
        };
        let spec = options::lookup_node(table_name, &[Scope::Producer], "send()")
            .map_err(|e| from_client(&e))?;
        let value = value_of(spec, name, value)?;
        settings
            .set_as(spec, value, name)
            .map_err(|e| from_client(&e))?;
    }
    settings.producer.validate().map_err(|e| from_client(&e))?;
    Ok(settings)
}

/// One row of the option table, for `lib/`'s checks and messages.
#[napi(object)]
#[derive(Debug)]
pub struct OptionRow {
    /// The Node name.
    pub name: String,
    /// `client`, `producer` or `consumer`.
    pub scope: String,
    pub doc: String,
}

/// The options Node takes, from the client's table (`rustlog::options::OPTIONS`).
#[napi]
pub fn option_table() -> Vec<OptionRow> {
    options::OPTIONS
        .iter()
        .filter_map(|spec| {
            Some(OptionRow {
                name: spec.node?.to_string(),
                scope: spec.scope.name().to_string(),
                doc: spec.doc.to_string(),
            })
        })
        .collect()
}
