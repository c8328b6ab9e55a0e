//! [`GroupError`]: why a group operation failed, with the group, member and generations
//! involved. Both listeners translate it: the native one through `From<GroupError> for
//! HandlerError`, the Kafka one through [`GroupError::code`] and `kafka::errors`.

use crate::error::HandlerError;
use rustlog_protocol::ErrorCode;

/// A failed group operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupError {
    #[error("invalid group id {group_id:?}: {reason}")]
    InvalidGroupId { group_id: String, reason: String },
    #[error("the broker tracks its limit of {groups_max} groups; group {group_id} is not created")]
    TooManyGroups { group_id: String, groups_max: usize },
    #[error("group {group_id}: session_timeout_ms {session_timeout_ms} is outside {min}..={max}")]
    InvalidSessionTimeout {
        group_id: String,
        session_timeout_ms: u32,
        min: u32,
        max: u32,
    },
    #[error("group {group_id}: {reason}")]
    InvalidRequest { group_id: String, reason: String },
    #[error("group {group_id} has its limit of {members_max} members")]
    GroupFull {
        group_id: String,
        members_max: usize,
    },
    #[error("member {member_id:?} is not in group {group_id}; join again")]
    UnknownMember { group_id: String, member_id: String },
    #[error(
        "generation {generation_id} of member {member_id:?} in group {group_id} is stale; \
         the current one is {current_generation_id}"
    )]
    IllegalGeneration {
        group_id: String,
        member_id: String,
        generation_id: i32,
        current_generation_id: i32,
    },
    #[error("group {group_id} is rebalancing (after generation {generation_id}); join again")]
    RebalanceInProgress {
        group_id: String,
        generation_id: i32,
    },
    #[error(
        "group {group_id} is a {group_kind} group with members; a {member_kind} member cannot \
         join it until it is empty"
    )]
    KindMismatch {
        group_id: String,
        group_kind: String,
        member_kind: String,
    },
    #[error("member {member_id:?} of group {group_id}: {reason}")]
    InconsistentProtocol {
        group_id: String,
        member_id: String,
        reason: String,
    },
    #[error("group {group_id}: join again with the member id {member_id:?}")]
    MemberIdRequired { group_id: String, member_id: String },
    #[error(
        "member {member_id:?} of group {group_id} was fenced: instance id {instance_id:?} now \
         belongs to {current_member_id:?}"
    )]
    FencedInstance {
        group_id: String,
        instance_id: String,
        member_id: String,
        current_member_id: String,
    },
    #[error("group {group_id} does not exist")]
    GroupNotFound { group_id: String },
    #[error(
        "group {group_id} has {members} members; only an empty group can be deleted or have its offsets set"
    )]
    NonEmptyGroup { group_id: String, members: usize },
    #[error(
        "group {group_id} still consumes topic {topic} (member {member_id:?} subscribes to it)"
    )]
    SubscribedToTopic {
        group_id: String,
        topic: String,
        member_id: String,
    },
    #[error("the broker is shutting down")]
    ShuttingDown,
    #[error("group {group_id}: {op} {path}: {reason}")]
    Storage {
        group_id: String,
        op: &'static str,
        path: String,
        reason: String,
    },
}

impl GroupError {
    /// The shared error code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            GroupError::InvalidGroupId { .. } | GroupError::TooManyGroups { .. } => {
                ErrorCode::InvalidGroupId
            }
            GroupError::InvalidSessionTimeout { .. } => ErrorCode::InvalidSessionTimeout,
            GroupError::InvalidRequest { .. } => ErrorCode::InvalidRequest,
            GroupError::GroupFull { .. } => ErrorCode::GroupMaxSizeReached,
            GroupError::UnknownMember { .. } => ErrorCode::UnknownMemberId,
            GroupError::IllegalGeneration { .. } => ErrorCode::IllegalGeneration,
            GroupError::RebalanceInProgress { .. } => ErrorCode::RebalanceInProgress,
            GroupError::KindMismatch { .. } | GroupError::InconsistentProtocol { .. } => {
                ErrorCode::InconsistentGroupProtocol
            }
            GroupError::MemberIdRequired { .. } => ErrorCode::MemberIdRequired,
            GroupError::FencedInstance { .. } => ErrorCode::FencedInstanceId,
            GroupError::GroupNotFound { .. } => ErrorCode::GroupNotFound,
            GroupError::NonEmptyGroup { .. } => ErrorCode::NonEmptyGroup,
            GroupError::SubscribedToTopic { .. } => ErrorCode::GroupSubscribedToTopic,
            GroupError::ShuttingDown => ErrorCode::BrokerShuttingDown,
            GroupError::Storage { .. } => ErrorCode::StorageError,
        }
    }
}

impl From<GroupError> for HandlerError {
    fn from(err: GroupError) -> Self {
        HandlerError::new(err.code(), err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_their_context_and_map_to_codes() {
        let err = GroupError::IllegalGeneration {
            group_id: "g".into(),
            member_id: "m".into(),
            generation_id: 1,
            current_generation_id: 3,
        };
        assert_eq!(err.code(), ErrorCode::IllegalGeneration);
        let handler: HandlerError = err.into();
        assert!(handler.message.contains("generation 1"), "{handler}");
        assert!(handler.message.contains("current one is 3"), "{handler}");
        let kinds = GroupError::KindMismatch {
            group_id: "g".into(),
            group_kind: "Kafka (consumer)".into(),
            member_kind: "native".into(),
        };
        assert_eq!(kinds.code(), ErrorCode::InconsistentGroupProtocol);
        assert!(kinds.to_string().contains("native member"), "{kinds}");
    }
}
