//! [`BrokerError`]: why a broker could not start or stop; and [`HandlerError`], why one request
//! failed (carried to the client as an error code plus a message).

use crate::storage::StorageError;
use rustlog_protocol::{ErrorCode, ProtocolError};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Start-up, shutdown and configuration errors of the broker.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// A config key (flag, file key or field) has a bad value.
    #[error("invalid config key `{key}`: {reason}")]
    InvalidConfig { key: String, reason: String },
    /// A listener could not bind.
    #[error("cannot listen on {addr} ({what}): {source}")]
    Bind {
        what: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// A file operation outside the storage engine failed.
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Another broker (process or in-process instance) holds the data directory.
    #[error("data directory is in use by another broker (lock {path} is held)")]
    DataDirLocked { path: PathBuf },
    /// The storage engine failed (opening the data dir, final flush).
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// The embedded broker's runtime could not be built or its thread died.
    #[error("embedded broker runtime: {0}")]
    Runtime(String),
}

/// Why one request failed: the wire code and a message with context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct HandlerError {
    pub code: ErrorCode,
    pub message: String,
}

impl HandlerError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        HandlerError {
            code,
            message: message.into(),
        }
    }
}

impl From<StorageError> for HandlerError {
    fn from(err: StorageError) -> Self {
        HandlerError::new(err.code(), err.to_string())
    }
}

impl From<ProtocolError> for HandlerError {
    fn from(err: ProtocolError) -> Self {
        HandlerError::new(err.code(), err.to_string())
    }
}
