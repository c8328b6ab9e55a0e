//! `rustlog-node`: the napi-rs addon under the npm package `rustlog`. A thin layer: every
//! behaviour lives in the Rust client (`rustlog`); this crate converts values and errors and
//! runs the client's futures on napi's tokio runtime, so no call blocks the event loop (each
//! method returns a Promise at once).
//!
//! Module map (one file per JS class, like lancedb's `nodejs/`):
//! - [`errors`]: the error-code table for JS and the coded error message format.
//! - [`client`]: `NativeClient`, the options of `new RustLog({ brokers, ... })` through the
//!   client's option table, and the one lazily connecting client its objects share.
//! - [`producer`]: `NativeProducer` (connect, packed send, flush, disconnect).
//! - [`consumer`]: `NativeConsumer` (connect, subscribe, poll, commit, pause / resume / seek,
//!   the group's events, disconnect).
//! - [`admin`]: `NativeAdmin` (topics and groups).
//! - [`logging`]: the client's log events forwarded to JS (KafkaJS's `logCreator`).
//! - [`embedded_broker`]: `NativeEmbeddedBroker`, a `rustlog-broker` inside the process.
//!
//! The KafkaJS-shaped public API is the hand-written `lib/` JS layer on top of these classes.
//! Dropping a class (JS garbage collection) drops its client objects, which closes their
//! connections.

// `clippy --all-targets` also checks a test build of this cdylib, where napi-derive registers
// nothing with JS, so every exported item looks unused there.
#![cfg_attr(test, allow(dead_code))]

mod admin;
mod client;
mod consumer;
mod embedded_broker;
mod errors;
mod logging;
mod producer;
