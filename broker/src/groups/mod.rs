//! Consumer groups: membership and rebalances ([`coordinator`]), partition assignment
//! ([`assignor`]) and crash-safe committed offsets ([`store`]).

pub mod assignor;
pub mod coordinator;
pub mod store;

pub use coordinator::{Coordinator, CoordinatorLimits, GroupSnapshot};
pub use store::GroupStore;
