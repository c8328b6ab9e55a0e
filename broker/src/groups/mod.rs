//! Consumer groups, one module each:
//! - [`coordinator`]: every group's membership, generation and committed offsets; native
//!   (broker-assigned) membership and the checks shared by both kinds of group.
//! - [`classic`]: Kafka's leader-assigned ("classic") protocol: JoinGroup with pending and
//!   static members, protocol vote, leader election, SyncGroup fan-out, heartbeats.
//! - [`assignor`]: range and round-robin assignment for native groups.
//! - [`store`]: crash-safe group files (offsets, last generation, kind, a Kafka group's Stable
//!   members).
//! - [`error`]: [`GroupError`], with group, member and generations as context.
//!
//! Plain arguments in, plain results out: no wire type of either protocol crosses this module's
//! boundary; the native handlers and the Kafka handlers translate.

pub mod assignor;
pub mod classic;
pub mod coordinator;
pub mod error;
pub mod store;

pub use assignor::{Assignor, TopicPartitions};
pub use classic::{
    ClassicJoin, ClassicJoined, ClassicProtocol, ClassicSync, ClassicSynced, MemberRef,
};
pub use coordinator::{
    CommitAs, CommitEntry, Coordinator, CoordinatorLimits, GroupKind, GroupListing, GroupSnapshot,
    KafkaSyncWait, MemberSnapshot, NativeJoin, NativeJoined, OffsetCommit,
};
pub use error::GroupError;
pub use store::GroupStore;
