//! `rustlog._native`: the private native module behind the `rustlog` Python package. A thin
//! binding: behaviour lives in the Rust client (`rustlog`); this layer translates types, errors,
//! the GIL and asyncio.
//!
//! Module map:
//! - [`errors`]: `RustLogError` and one subclass per protocol error code, built from
//!   `rustlog_protocol::ErrorCode::ALL` so Python and Rust can never disagree.
//! - [`wait`]: blocking calls without the GIL, in short slices that still answer Ctrl-C.
//! - [`convert`]: Python values to records and back; admin answers to dicts.
//! - [`config`]: constructor `**options` to client settings through the Rust client's option
//!   table (`rustlog::options`, handed to Python as `_native.OPTIONS`).
//! - [`types`]: `RecordMetadata`, `Message` and the admin's offset answers (`PartitionOffset`,
//!   `CommittedOffset`, `OffsetChange`) and the consumer's `TopicPartitionOffset`.
//! - [`producer`], [`consumer`], [`admin`]: the blocking classes (over `rustlog::blocking`).
//! - [`events`]: `ConsumerEvent` and the consumers' event streams (`Consumer.events()`).
//! - [`rebalance`]: Python rebalance hooks as the client's `RebalanceListener` (blocking
//!   callables and asyncio listeners), and how a hook's exception reaches `poll`.
//! - [`embedded`]: `EmbeddedBroker`, a real broker in-process (`rustlog_broker`).
//! - [`logs`]: the client's and the embedded broker's log events (`rustlog::log_bridge`) as
//!   records of Python's `logging` (`rustlog.consumer`, `rustlog.broker...`).
//! - [`aio`]: the asyncio twins (over the async client, via `pyo3_async_runtimes`).

use pyo3::prelude::*;

mod admin;
mod aio;
mod config;
mod consumer;
mod convert;
mod embedded;
mod errors;
mod events;
mod logs;
mod producer;
mod rebalance;
mod types;
mod wait;

/// The native module; `python/rustlog/__init__.py` re-exports what users need.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    logs::register(m)?;
    m.add("OPTIONS", config::option_table(py)?)?;
    m.add("DEFAULT_BOOTSTRAP", config::DEFAULT_BOOTSTRAP)?;
    m.add_class::<types::RecordMetadata>()?;
    m.add_class::<types::Message>()?;
    m.add_class::<types::PartitionOffset>()?;
    m.add_class::<types::CommittedOffset>()?;
    m.add_class::<types::OffsetChange>()?;
    m.add_class::<types::TopicPartitionOffset>()?;
    m.add_class::<producer::Producer>()?;
    m.add_class::<producer::DeliveryFuture>()?;
    m.add_class::<producer::BatchFuture>()?;
    m.add_class::<consumer::Consumer>()?;
    m.add_class::<events::ConsumerEvent>()?;
    m.add_class::<events::EventStream>()?;
    m.add_class::<admin::Admin>()?;
    m.add_class::<embedded::EmbeddedBroker>()?;
    m.add(
        "AsyncProducer",
        py.get_type::<aio::producer::AsyncProducer>(),
    )?;
    m.add(
        "AsyncConsumer",
        py.get_type::<aio::consumer::AsyncConsumer>(),
    )?;
    m.add("AsyncAdmin", py.get_type::<aio::admin::AsyncAdmin>())?;
    m.add(
        "AsyncEventStream",
        py.get_type::<events::AsyncEventStream>(),
    )?;
    Ok(())
}
