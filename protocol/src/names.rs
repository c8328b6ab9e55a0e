//! Naming rules that the broker enforces and clients check early.

use crate::error::ProtocolError;
use crate::limits::{GROUP_ID_BYTES_MAX, TOPIC_NAME_BYTES_MAX};

/// Checks a topic name against `[A-Za-z0-9._-]{1,249}`, excluding `.` and `..`: the name becomes
/// a directory name, so nothing else is allowed.
pub fn validate_topic_name(name: &str) -> Result<(), ProtocolError> {
    let reason = if name.is_empty() {
        Some("must not be empty")
    } else if name.len() > TOPIC_NAME_BYTES_MAX {
        Some("must be at most 249 bytes")
    } else if name == "." || name == ".." {
        Some("must not be '.' or '..'")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        Some("may only contain ASCII letters, digits, '.', '_' and '-'")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ProtocolError::InvalidTopicName {
            name: name.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Checks a consumer group id: 1 to 255 bytes, no control characters. The error maps to the
/// wire code `InvalidGroupId`.
pub fn validate_group_id(group_id: &str) -> Result<(), ProtocolError> {
    let reason = if group_id.is_empty() {
        Some("must not be empty")
    } else if group_id.len() > GROUP_ID_BYTES_MAX {
        Some("must be at most 255 bytes")
    } else if group_id.chars().any(char::is_control) {
        Some("must not contain control characters")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ProtocolError::InvalidGroupId {
            group_id: group_id.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names() {
        for ok in ["a", "orders", "Orders.v2_x-1", &"x".repeat(249)] {
            assert!(validate_topic_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "é", "../etc", &"x".repeat(250)] {
            assert!(validate_topic_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn group_ids() {
        for ok in ["g", "billing", "team/α β", &"g".repeat(255)] {
            assert!(validate_group_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a\nb", "tab\there", &"g".repeat(256)] {
            let err = validate_group_id(bad).unwrap_err();
            assert_eq!(
                err.code(),
                crate::ErrorCode::InvalidGroupId,
                "{bad:?}: {err}"
            );
        }
    }
}
