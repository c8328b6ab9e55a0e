//! The broker core both listeners call: plain arguments in, plain results out, no wire types.
//! The native handlers (`crate::handlers`) and the Kafka handlers (`crate::kafka`) only translate
//! their requests to these calls and the results back, so no broker logic is written twice.
//!
//! - [`produce`]: append one batch to a partition (duplicates of idempotent producers, append
//!   notifications, record counts) and the durable wait (group-commit fsync with a timeout).
//! - [`fetch`]: the long poll over a set of partitions (min/max bytes, max wait, woken by appends).
//! - [`offsets`]: earliest / latest / by-timestamp offset lookup.
//! - [`topics`]: create (defaults, limits, validation) and delete a topic.
//! - [`producers`]: hand an idempotent producer its id and epoch.

pub mod fetch;
pub mod offsets;
pub mod produce;
pub mod producers;
pub mod topics;
