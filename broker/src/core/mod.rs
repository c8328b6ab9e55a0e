//! The broker core both listeners call: plain arguments in, plain results out, no wire types.
//! The native handlers (`crate::handlers`) and the Kafka handlers (`crate::kafka`) only translate
//! their requests to these calls and the results back, so no broker logic is written twice.
//!
//! - [`produce`]: append one batch to a partition (duplicates of idempotent producers, append
//!   notifications, record counts) and the durable wait (group-commit fsync with a timeout).
//! - [`fetch`]: the long poll over a set of partitions (min/max bytes, max wait, woken by appends).
//! - [`offsets`]: earliest / latest / by-timestamp / max-timestamp offset lookup.
//! - [`topics`]: create (defaults, limits, validation), grow, reconfigure and delete a topic.
//! - [`producers`]: hand an idempotent producer its id and epoch.
//! - [`blocking`]: run fsyncing work on the blocking pool, as a [`HandlerError`] on failure.

pub mod fetch;
pub mod offsets;
pub mod produce;
pub mod producers;
pub mod topics;

use crate::error::HandlerError;
use rustlog_protocol::ErrorCode;

/// Runs blocking work (fsync, directory changes) off the async workers.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, HandlerError> + Send + 'static,
) -> Result<T, HandlerError> {
    tokio::task::spawn_blocking(work).await.map_err(|err| {
        HandlerError::new(ErrorCode::Unknown, format!("blocking task failed: {err}"))
    })?
}
