//! Constructor keyword arguments to client configs. Defaults live in one place, the Rust
//! client: unset (`None`) options keep its defaults, and the options with a concrete default
//! (`bootstrap`, `auto_offset_reset`, `enable_auto_commit`, `compression`, `idempotence`) take
//! it from the functions below in their `#[pyo3(signature)]`. Those show as `...` in the
//! generated signatures; `rustlog/__init__.py` puts [`defaults`] (`_native.DEFAULTS`) there.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use rustlog::{
    Acks, AutoOffsetReset, ClientBuilder, ClientConfig, Compression, ConsumerConfig, ErrorCode,
    ProducerConfig,
};

use crate::errors::{client_error, py_error};

/// `bootstrap` of every constructor: the Rust client's default broker address.
pub(crate) const DEFAULT_BOOTSTRAP: &str = rustlog::config::DEFAULT_BROKER_ADDR;

/// The name Python uses for a reset policy (the first name `AutoOffsetReset` parses).
fn offset_reset_name(reset: AutoOffsetReset) -> &'static str {
    match reset {
        AutoOffsetReset::Earliest => "earliest",
        AutoOffsetReset::Latest => "latest",
        AutoOffsetReset::None => "none",
    }
}

/// `auto_offset_reset` of both consumers: the Rust client's (Kafka's) `latest`.
pub(crate) fn default_auto_offset_reset() -> &'static str {
    offset_reset_name(AutoOffsetReset::default())
}

/// `enable_auto_commit` of both consumers.
pub(crate) fn default_enable_auto_commit() -> bool {
    ConsumerConfig::default().enable_auto_commit
}

/// `compression` of both producers.
pub(crate) fn default_compression() -> &'static str {
    ProducerConfig::default().compression.name()
}

/// `idempotence` of both producers.
pub(crate) fn default_idempotence() -> bool {
    ProducerConfig::default().idempotence
}

/// `_native.DEFAULTS`: the defaults above by keyword name.
pub(crate) fn defaults(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("bootstrap", DEFAULT_BOOTSTRAP)?;
    dict.set_item("auto_offset_reset", default_auto_offset_reset())?;
    dict.set_item("enable_auto_commit", default_enable_auto_commit())?;
    dict.set_item("compression", default_compression())?;
    dict.set_item("idempotence", default_idempotence())?;
    Ok(dict)
}

/// Connection options shared by `Producer`, `Consumer` and `Admin` (checked here, so the
/// lazily connecting asyncio objects reject a bad value in their constructor too).
pub(crate) fn client_config(
    py: Python<'_>,
    bootstrap: &str,
    client_id: Option<String>,
    request_timeout_ms: Option<u64>,
    connect_timeout_ms: Option<u64>,
    metadata_max_age_ms: Option<u64>,
) -> PyResult<ClientConfig> {
    let mut builder = ClientBuilder::new(bootstrap);
    if let Some(id) = client_id {
        builder = builder.client_id(id);
    }
    if let Some(ms) = request_timeout_ms {
        builder = builder.request_timeout(Duration::from_millis(ms));
    }
    if let Some(ms) = connect_timeout_ms {
        builder = builder.connect_timeout(Duration::from_millis(ms));
    }
    if let Some(ms) = metadata_max_age_ms {
        builder = builder.metadata_max_age(Duration::from_millis(ms));
    }
    builder.config.validate().map_err(|e| client_error(py, e))?;
    Ok(builder.config)
}

/// `acks` given as a name (`"none"`, `"leader"`, `"durable"`, `"all"`) or a number (0, 1, 2).
fn acks(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Acks> {
    let text = value.str()?.to_cow()?.into_owned();
    text.parse::<Acks>().map_err(|e| client_error(py, e))
}

/// `compression` given as Kafka's codec name (`"none"`, `"gzip"`, `"snappy"`, `"lz4"`, `"zstd"`).
fn compression(py: Python<'_>, name: &str) -> PyResult<Compression> {
    Compression::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Compression::ALL.iter().map(|c| c.name()).collect();
        py_error(
            py,
            ErrorCode::InvalidArgument,
            format!("compression {name:?} is not one of {}", names.join(", ")),
        )
    })
}

/// The codec options of `Producer` and `aio.Producer`; the client checks the level.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodecOptions<'a> {
    pub(crate) compression: &'a str,
    /// Taken wide so a huge Python int is an `InvalidArgument` too, not an `OverflowError`.
    pub(crate) compression_level: Option<i64>,
    pub(crate) idempotence: bool,
}

/// Producer options; see the `Producer` docstring.
#[allow(clippy::too_many_arguments)]
pub(crate) fn producer_config(
    py: Python<'_>,
    linger_ms: Option<u64>,
    batch_bytes: Option<usize>,
    acks_arg: Option<&Bound<'_, PyAny>>,
    max_in_flight_requests: Option<usize>,
    buffer_bytes_max: Option<usize>,
    delivery_timeout_ms: Option<u64>,
    retry_backoff_ms: Option<u64>,
    codec: CodecOptions<'_>,
) -> PyResult<ProducerConfig> {
    let compression_level = codec
        .compression_level
        .map(|level| {
            i32::try_from(level).map_err(|_| {
                py_error(
                    py,
                    ErrorCode::InvalidArgument,
                    format!("compression_level: {level} is far outside every codec's levels"),
                )
            })
        })
        .transpose()?;
    let mut config = ProducerConfig {
        compression: compression(py, codec.compression)?,
        compression_level,
        idempotence: codec.idempotence,
        ..ProducerConfig::default()
    };
    if let Some(v) = linger_ms {
        config.linger_ms = v;
    }
    if let Some(v) = batch_bytes {
        config.batch_bytes = v;
    }
    if let Some(v) = acks_arg {
        config.acks = acks(py, v)?;
    }
    if let Some(v) = max_in_flight_requests {
        config.max_in_flight_requests = v;
    }
    if let Some(v) = buffer_bytes_max {
        config.buffer_bytes_max = v;
    }
    if let Some(v) = delivery_timeout_ms {
        config.delivery_timeout_ms = v;
    }
    if let Some(v) = retry_backoff_ms {
        config.retry_backoff_ms = v;
    }
    config.validate().map_err(|e| client_error(py, e))?;
    Ok(config)
}

/// Consumer options; see the `Consumer` docstring.
#[allow(clippy::too_many_arguments)]
pub(crate) fn consumer_config(
    py: Python<'_>,
    group_id: String,
    topics: Vec<String>,
    auto_offset_reset: &str,
    enable_auto_commit: bool,
    auto_commit_interval_ms: Option<u64>,
    session_timeout_ms: Option<u32>,
    rebalance_timeout_ms: Option<u32>,
    max_poll_interval_ms: Option<u64>,
    fetch_max_wait_ms: Option<u32>,
    fetch_max_bytes: Option<u32>,
) -> PyResult<ConsumerConfig> {
    let mut config = ConsumerConfig::new(group_id)
        .topics(topics)
        .enable_auto_commit(enable_auto_commit)
        .auto_offset_reset(
            auto_offset_reset
                .parse::<AutoOffsetReset>()
                .map_err(|e| client_error(py, e))?,
        );
    if let Some(v) = auto_commit_interval_ms {
        config.auto_commit_interval_ms = v;
    }
    if let Some(v) = session_timeout_ms {
        config.session_timeout_ms = v;
    }
    if let Some(v) = rebalance_timeout_ms {
        config.rebalance_timeout_ms = v;
    }
    if let Some(v) = max_poll_interval_ms {
        config.max_poll_interval_ms = v;
    }
    if let Some(v) = fetch_max_wait_ms {
        config.fetch_max_wait_ms = v;
    }
    if let Some(v) = fetch_max_bytes {
        config.fetch_max_bytes = v;
    }
    config.validate().map_err(|e| client_error(py, e))?;
    Ok(config)
}
