//! The one error-code table shared by the broker, every client and the bindings.
//!
//! Codes are fixed forever: a code is never renumbered or reused. Codes below 1000 travel on the
//! wire; codes from 1000 up are raised by clients only (no broker ever sends them) so that every
//! language reports every failure with one number.

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, $retriable:literal, $message:literal; )*) => {
        /// A protocol error code. See the table in `protocol-spec/SPEC.md` §Error codes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "u16", into = "u16")]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$name, )* ];

            /// The fixed number of this code.
            pub const fn code(self) -> u16 {
                match self { $( ErrorCode::$name => $code, )* }
            }

            /// The code's stable name (`TopicNotFound`).
            pub const fn name(self) -> &'static str {
                match self { $( ErrorCode::$name => stringify!($name), )* }
            }

            /// Whether retrying the same request later may succeed.
            pub const fn is_retriable(self) -> bool {
                match self { $( ErrorCode::$name => $retriable, )* }
            }

            /// A short human description.
            pub const fn message(self) -> &'static str {
                match self { $( ErrorCode::$name => $message, )* }
            }

            /// Looks up a number; `None` for numbers not in the table.
            pub const fn from_code(code: u16) -> Option<ErrorCode> {
                match code { $( $code => Some(ErrorCode::$name), )* _ => None }
            }
        }
    };
}

error_codes! {
    /// Success.
    None = 0, false, "no error";
    /// An error the broker could not classify; the message says more.
    Unknown = 1, false, "unexpected server error";
    /// A record batch failed its CRC-32C check, or its compressed records did not decompress.
    CorruptRecord = 2, false, "record batch is corrupt (CRC mismatch or bad compressed data)";
    /// The api key is known but this version of it is not supported.
    UnsupportedVersion = 3, false, "unsupported api version";
    /// The api key is not known to the broker.
    UnknownApiKey = 4, false, "unknown api key";
    /// The request body could not be decoded (bad JSON, bad UTF-8, truncated, trailing bytes).
    InvalidRequest = 5, false, "malformed request";
    /// A record, batch or request is larger than a limit.
    RecordTooLarge = 6, false, "record or batch exceeds a size limit";
    /// The topic does not exist.
    TopicNotFound = 7, false, "unknown topic";
    /// The topic exists but has no such partition.
    PartitionNotFound = 8, false, "unknown partition";
    /// A topic with this name exists already.
    TopicAlreadyExists = 9, false, "topic already exists";
    /// The topic name breaks the rule `[A-Za-z0-9._-]{1,249}` (or is `.` or `..`).
    InvalidTopicName = 10, false, "invalid topic name";
    /// The partition count is zero or above the limit.
    InvalidPartitions = 11, false, "invalid partition count";
    /// A topic or broker config key is unknown or its value is invalid.
    InvalidConfig = 12, false, "invalid config";
    /// The requested offset is outside [log start, high watermark].
    OffsetOutOfRange = 13, false, "offset out of range";
    /// The partition's storage failed (an I/O or fsync error); it no longer accepts writes.
    StorageError = 14, false, "storage error; partition is read-only";
    /// The disk is full; reads keep working.
    DiskFull = 15, false, "no space left on device";
    /// The broker could not complete the request within its timeout.
    RequestTimedOut = 16, true, "request timed out on the broker";
    /// The broker is shutting down and takes no new work.
    BrokerShuttingDown = 17, true, "broker is shutting down";
    /// The broker is at its connection limit.
    TooManyConnections = 18, true, "too many connections";
    /// A record batch is structurally invalid (bad magic, codec, counts or deltas).
    InvalidRecord = 19, false, "invalid record batch";
    /// The consumer group does not know this member id; join again.
    UnknownMemberId = 20, false, "unknown group member";
    /// The generation id is stale; join again.
    IllegalGeneration = 21, false, "stale group generation";
    /// The group is rebalancing; join again to get the new assignment.
    RebalanceInProgress = 22, true, "group rebalance in progress";
    /// The group id is empty or too long.
    InvalidGroupId = 23, false, "invalid group id";
    /// The group does not exist.
    GroupNotFound = 24, false, "unknown consumer group";
    /// The session timeout is outside the broker's allowed range.
    InvalidSessionTimeout = 25, false, "invalid session timeout";
    /// The connection has too many requests or response bytes queued.
    Throttled = 26, true, "too many in-flight requests on this connection";
    /// An idempotent producer's batch does not follow the last sequence the broker has for its
    /// producer id and partition (a gap, or a sequence older than the last five batches).
    OutOfOrderSequenceNumber = 45, false, "out-of-order sequence number";
    /// The producer epoch is older than the one the broker has seen for this producer id.
    InvalidProducerEpoch = 47, false, "producer epoch is fenced by a newer one";
    /// The broker has no state for this producer id (it expired or never existed) and the
    /// batch does not start a new sequence.
    UnknownProducerId = 59, false, "unknown producer id";
    /// The batch's compression codec (or level) is not one of none, gzip, snappy, lz4, zstd.
    UnsupportedCompressionType = 76, false, "unsupported compression type";
    /// Client-side: the connection to the broker failed or was closed.
    Disconnected = 1000, true, "not connected to the broker";
    /// Client-side: the call did not finish within its timeout.
    TimedOut = 1001, true, "timed out";
    /// Client-side: the producer, consumer or client was closed.
    Closed = 1002, false, "client is closed";
    /// Client-side: an argument was rejected before anything was sent.
    InvalidArgument = 1003, false, "invalid argument";
    /// Client-side: the broker sent something the client cannot decode.
    ProtocolViolation = 1004, false, "broker sent a malformed response";
}

impl ErrorCode {
    /// True for codes a broker may send (below 1000).
    pub const fn is_wire(self) -> bool {
        self.code() < 1000
    }
}

impl From<ErrorCode> for u16 {
    fn from(code: ErrorCode) -> u16 {
        code.code()
    }
}

impl TryFrom<u16> for ErrorCode {
    type Error = String;
    fn try_from(code: u16) -> Result<Self, Self::Error> {
        ErrorCode::from_code(code).ok_or_else(|| format!("unknown error code {code}"))
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.code()), "duplicate code {}", code.code());
            assert_eq!(ErrorCode::from_code(code.code()), Some(*code));
        }
        assert_eq!(ErrorCode::from_code(999), None);
    }
}
