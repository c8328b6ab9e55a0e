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

/// Checks a consumer group id: 1 to 255 bytes, no control characters.
pub fn validate_group_id(group_id: &str) -> Result<(), ProtocolError> {
    if group_id.is_empty()
        || group_id.len() > GROUP_ID_BYTES_MAX
        || group_id.chars().any(char::is_control)
    {
        return Err(ProtocolError::LimitExceeded {
            what: "group id bytes (1..=255, no control characters)",
            value: group_id.len() as u64,
            max: GROUP_ID_BYTES_MAX as u64,
        });
    }
    Ok(())
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
}
