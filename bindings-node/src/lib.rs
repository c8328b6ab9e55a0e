//! `rustlog-node`: the napi-rs addon under the npm package `rustlog`. A thin layer: every
//! behaviour lives in the Rust client (`rustlog`); this crate converts values and errors, and
//! runs the client's futures on napi's tokio runtime so no call blocks the event loop.
//!
//! Module map (one file per JS class, like lancedb's `nodejs/`):
//! - [`errors`]: the error-code table for JS and the coded error message format.
//!
//! The KafkaJS-shaped public API is the hand-written `lib/` JS layer on top of these classes.

mod errors;
