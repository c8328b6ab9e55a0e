//! The one error type of the client. Every failure maps to a code of the shared table
//! ([`ErrorCode`]): broker errors keep the broker's code and message, client-side failures use
//! the client codes (2000 and up), so every language reports every failure with one number.

use rustlog_protocol::{ErrorCode, ProtocolError};

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a client call.
///
/// `Clone` because one failed produce request fails every record handle of its batch.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The broker answered with an error code.
    #[error("broker error {code} ({name}): {message}", code = code.code(), name = code.name())]
    Broker {
        /// The broker's code (Kafka's number below 1000, or a RustLog-only one from 1000 to 1999).
        code: ErrorCode,
        /// The broker's message, with its context.
        message: String,
    },
    /// The connection to the broker could not be opened or was lost.
    #[error("not connected to the broker at {addr}: {reason}")]
    Disconnected {
        /// The broker address the client was using.
        addr: String,
        /// Why (the I/O error, or "connection closed").
        reason: String,
    },
    /// The call did not finish within its timeout.
    #[error("{operation} timed out after {timeout_ms} ms")]
    TimedOut {
        /// What was being waited for.
        operation: String,
        /// The timeout that elapsed.
        timeout_ms: u64,
    },
    /// The producer, consumer or client was closed.
    #[error("{what} is closed")]
    Closed {
        /// Which object.
        what: &'static str,
    },
    /// An argument was rejected before anything was sent.
    #[error("invalid argument: {message}")]
    InvalidArgument {
        /// What was wrong with it.
        message: String,
    },
    /// A client-side check that mirrors a broker error code (a record over the size limit, a
    /// topic name breaking the rule, a partition the topic does not have). Nothing was sent.
    #[error("{message} ({name})", name = code.name())]
    Rejected {
        /// The code the broker would have answered with.
        code: ErrorCode,
        /// What was wrong.
        message: String,
    },
    /// The broker sent bytes the client cannot decode.
    #[error("protocol violation from the broker: {message}")]
    ProtocolViolation {
        /// What did not decode.
        message: String,
    },
}

impl Error {
    /// The error's code in the shared table.
    pub fn kind(&self) -> ErrorCode {
        match self {
            Error::Broker { code, .. } | Error::Rejected { code, .. } => *code,
            Error::Disconnected { .. } => ErrorCode::Disconnected,
            Error::TimedOut { .. } => ErrorCode::TimedOut,
            Error::Closed { .. } => ErrorCode::Closed,
            Error::InvalidArgument { .. } => ErrorCode::InvalidArgument,
            Error::ProtocolViolation { .. } => ErrorCode::ProtocolViolation,
        }
    }

    /// The numeric code (`self.kind().code()`), handy for bindings.
    pub fn code(&self) -> u16 {
        self.kind().code()
    }

    /// The broker's message for broker errors; otherwise the client's description.
    pub fn message(&self) -> String {
        match self {
            Error::Broker { message, .. } | Error::Rejected { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// Whether trying again later may succeed (the table's flag for the code).
    pub fn is_retriable(&self) -> bool {
        self.kind().is_retriable()
    }

    /// Whether the connection, not the request, failed (disconnected, timed out, or refused at
    /// the broker's connection cap): retried even where broker errors are not.
    pub fn is_connection_failure(&self) -> bool {
        match self {
            Error::Broker { code, .. } => *code == ErrorCode::TooManyConnections,
            Error::Disconnected { .. } | Error::TimedOut { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn broker(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::Broker {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            message: message.into(),
        }
    }

    pub(crate) fn timed_out(operation: impl Into<String>, timeout: std::time::Duration) -> Self {
        Error::TimedOut {
            operation: operation.into(),
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        }
    }

    pub(crate) fn violation(message: impl Into<String>) -> Self {
        Error::ProtocolViolation {
            message: message.into(),
        }
    }

    /// A client-side validation failure of a value the broker would reject with the same code.
    pub(crate) fn rejected(err: &ProtocolError) -> Self {
        Error::Rejected {
            code: err.code(),
            message: err.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn kinds_and_retriability_follow_the_shared_table() {
        let broker = Error::broker(ErrorCode::TopicNotFound, "topic 'x' does not exist");
        assert_eq!(broker.kind(), ErrorCode::TopicNotFound);
        assert_eq!(broker.code(), 3, "Kafka's UNKNOWN_TOPIC_OR_PARTITION");
        assert_eq!(broker.message(), "topic 'x' does not exist");
        assert!(!broker.is_retriable());

        let busy = Error::broker(ErrorCode::RebalanceInProgress, "rebalancing");
        assert!(busy.is_retriable());

        let gone = Error::Disconnected {
            addr: "127.0.0.1:1".into(),
            reason: "connection refused".into(),
        };
        assert_eq!(gone.kind(), ErrorCode::Disconnected);
        assert_eq!(gone.code(), 2000);
        assert!(gone.is_retriable());

        let slow = Error::timed_out("produce", Duration::from_millis(250));
        assert_eq!(slow.kind(), ErrorCode::TimedOut);
        assert!(slow.is_retriable());
        assert_eq!(slow.to_string(), "produce timed out after 250 ms");

        assert!(!Error::Closed { what: "producer" }.is_retriable());
        assert_eq!(Error::invalid("x").kind(), ErrorCode::InvalidArgument);
        assert_eq!(Error::violation("x").kind(), ErrorCode::ProtocolViolation);
    }

    #[test]
    fn client_side_rejections_carry_the_broker_code() {
        let err = rustlog_protocol::names::validate_topic_name("a/b").unwrap_err();
        let mapped = Error::rejected(&err);
        assert_eq!(mapped.kind(), ErrorCode::InvalidTopicName);
        assert!(mapped.to_string().contains("a/b"));

        let big = rustlog_protocol::RecordBatchBuilder::check_record(
            None,
            Some(&vec![
                0u8;
                rustlog_protocol::limits::VALUE_BYTES_MAX as usize + 1
            ]),
            &[],
        )
        .unwrap_err();
        assert_eq!(Error::rejected(&big).kind(), ErrorCode::RecordTooLarge);
    }
}
