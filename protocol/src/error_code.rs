//! The one error-code table shared by the broker, every client and the bindings.
//!
//! Codes are fixed: a code is never reused. Below 1000 a code is Apache Kafka's number for the
//! same error (and `Unknown` is Kafka's -1, 65535 as u16), so both listeners send one number;
//! 1000-1999 are RustLog's own broker errors, which Kafka lacks; from 2000 up are raised by
//! clients only (no broker ever sends them) so that every language reports every failure with
//! one number.

use serde::{Deserialize, Serialize};

/// The first RustLog-only code (below it, the numbers are Kafka's).
pub const RUSTLOG_ONLY_MIN: u16 = 1000;
/// The first client-only code.
pub const CLIENT_ONLY_MIN: u16 = 2000;

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
    // Kafka's numbers (`org.apache.kafka.common.protocol.Errors`): where Kafka has the error,
    // RustLog's code is Kafka's, so one table serves both listeners. Kafka's UNKNOWN_SERVER_ERROR
    // is -1: the same 16 bits as 65535 here.
    /// Success.
    None = 0, false, "no error";
    /// An error the broker could not classify; the message says more. Kafka's -1.
    Unknown = 65535, false, "unexpected server error";
    /// The requested offset is outside [log start, high watermark].
    OffsetOutOfRange = 1, false, "offset out of range";
    /// A record batch failed its CRC-32C check, or its compressed records did not decompress.
    CorruptRecord = 2, false, "record batch is corrupt (CRC mismatch or bad compressed data)";
    /// The topic does not exist (Kafka's UNKNOWN_TOPIC_OR_PARTITION).
    TopicNotFound = 3, false, "unknown topic";
    /// The broker could not complete the request within its timeout.
    RequestTimedOut = 7, true, "request timed out on the broker";
    /// A record, batch or request is larger than a limit (Kafka's MESSAGE_TOO_LARGE).
    RecordTooLarge = 10, false, "record or batch exceeds a size limit";
    /// A committed offset's metadata is longer than the broker allows.
    OffsetMetadataTooLarge = 12, false, "offset commit metadata is too large";
    /// The group coordinator is not ready (loading, or shutting down); retry.
    CoordinatorNotAvailable = 15, true, "group coordinator not available";
    /// This broker is not the coordinator of the group (never sent by a one-node RustLog).
    NotCoordinator = 16, true, "not the group coordinator";
    /// The topic name breaks the rule `[A-Za-z0-9._-]{1,249}` (or is `.` or `..`).
    InvalidTopicName = 17, false, "invalid topic name";
    /// The produce request's acks is not -1, 0 or 1.
    InvalidRequiredAcks = 21, false, "invalid acks";
    /// The generation id is stale; join again.
    IllegalGeneration = 22, false, "stale group generation";
    /// The member's protocol type or protocols share nothing with the group's (or the group is
    /// of the other kind: native versus Kafka-protocol).
    InconsistentGroupProtocol = 23, false, "inconsistent group protocol";
    /// The group id is empty or too long.
    InvalidGroupId = 24, false, "invalid group id";
    /// The consumer group does not know this member id; join again.
    UnknownMemberId = 25, false, "unknown group member";
    /// The session timeout is outside the broker's allowed range.
    InvalidSessionTimeout = 26, false, "invalid session timeout";
    /// The group is rebalancing; join again to get the new assignment.
    RebalanceInProgress = 27, true, "group rebalance in progress";
    /// The api key is known but this version of it is not supported.
    UnsupportedVersion = 35, false, "unsupported api version";
    /// A topic with this name exists already.
    TopicAlreadyExists = 36, false, "topic already exists";
    /// The partition count is zero, above the limit, or (adding partitions) not larger.
    InvalidPartitions = 37, false, "invalid partition count";
    /// A replication factor other than 1 (or -1, the default) on a one-node broker.
    InvalidReplicationFactor = 38, false, "invalid replication factor";
    /// A topic or broker config key is unknown or its value is invalid.
    InvalidConfig = 40, false, "invalid config";
    /// The request body could not be decoded (bad JSON, bad UTF-8, truncated, trailing bytes).
    InvalidRequest = 42, false, "malformed request";
    /// An idempotent producer's batch does not follow the last sequence the broker has for its
    /// producer id and partition (a gap, or a sequence older than the last five batches).
    OutOfOrderSequenceNumber = 45, false, "out-of-order sequence number";
    /// The producer epoch is older than the one the broker has seen for this producer id.
    InvalidProducerEpoch = 47, false, "producer epoch is fenced by a newer one";
    /// The partition's storage failed (an I/O or fsync error); it no longer accepts writes.
    StorageError = 56, false, "storage error; partition is read-only";
    /// The broker has no state for this producer id (it expired or never existed) and the
    /// batch does not start a new sequence.
    UnknownProducerId = 59, false, "unknown producer id";
    /// The group still has members, so it cannot be deleted.
    NonEmptyGroup = 68, false, "the group has members";
    /// The group does not exist (Kafka's GROUP_ID_NOT_FOUND).
    GroupNotFound = 69, false, "unknown consumer group";
    /// The batch's compression codec (or level) is not one of none, gzip, snappy, lz4, zstd.
    UnsupportedCompressionType = 76, false, "unsupported compression type";
    /// A Kafka-protocol member joined without a member id: join again with the one given.
    MemberIdRequired = 79, false, "join again with the member id given";
    /// The group has its limit of members.
    GroupMaxSizeReached = 81, false, "the group has its limit of members";
    /// Another member took over this static member's `group.instance.id`.
    FencedInstanceId = 82, false, "static member fenced by a newer one with the same instance id";
    /// The group's active members still consume the topic, so its offsets cannot be deleted.
    GroupSubscribedToTopic = 86, false, "the group still consumes this topic";
    /// A record batch is structurally invalid (bad magic, codec, counts or deltas).
    InvalidRecord = 87, false, "invalid record batch";
    // RustLog-only codes a broker sends (1000-1999): Kafka has no such error.
    /// The topic exists but has no such partition (Kafka says UNKNOWN_TOPIC_OR_PARTITION).
    PartitionNotFound = 1000, false, "unknown partition";
    /// The api key is not known to the broker.
    UnknownApiKey = 1001, false, "unknown api key";
    /// The disk is full; reads keep working.
    DiskFull = 1002, true, "no space left on device";
    /// The broker is shutting down and takes no new work.
    BrokerShuttingDown = 1003, true, "broker is shutting down";
    /// The broker is at its connection limit.
    TooManyConnections = 1004, true, "too many connections";
    /// The connection has too many requests or response bytes queued.
    Throttled = 1005, true, "too many in-flight requests on this connection";
    // Client-only codes (2000 and up): no broker sends them.
    /// Client-side: the connection to the broker failed or was closed.
    Disconnected = 2000, true, "not connected to the broker";
    /// Client-side: the call did not finish within its timeout.
    TimedOut = 2001, true, "timed out";
    /// Client-side: the producer, consumer or client was closed.
    Closed = 2002, false, "client is closed";
    /// Client-side: an argument was rejected before anything was sent.
    InvalidArgument = 2003, false, "invalid argument";
    /// Client-side: the broker sent something the client cannot decode.
    ProtocolViolation = 2004, false, "broker sent a malformed response";
}

impl ErrorCode {
    /// True for codes a broker may send: Kafka's numbers (with Unknown, Kafka's -1) and
    /// RustLog's own broker codes, 1000-1999.
    pub const fn is_wire(self) -> bool {
        self.code() < CLIENT_ONLY_MIN || matches!(self, ErrorCode::Unknown)
    }

    /// True where the number is Kafka's own (the Kafka listener sends it as it is).
    pub const fn is_kafka(self) -> bool {
        self.code() < RUSTLOG_ONLY_MIN || matches!(self, ErrorCode::Unknown)
    }

    /// The number as Kafka's signed 16 bits (`Unknown` is -1).
    pub const fn as_i16(self) -> i16 {
        self.code() as i16
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

    #[test]
    fn ranges_say_who_sends_a_code() {
        assert!(ErrorCode::TopicNotFound.is_kafka() && ErrorCode::TopicNotFound.is_wire());
        assert!(ErrorCode::Unknown.is_kafka() && ErrorCode::Unknown.is_wire());
        assert_eq!(
            ErrorCode::Unknown.as_i16(),
            -1,
            "Kafka's UNKNOWN_SERVER_ERROR"
        );
        assert!(!ErrorCode::PartitionNotFound.is_kafka() && ErrorCode::PartitionNotFound.is_wire());
        assert!(!ErrorCode::Disconnected.is_kafka() && !ErrorCode::Disconnected.is_wire());
        for code in ErrorCode::ALL {
            let n = code.code();
            let client_only = (CLIENT_ONLY_MIN..u16::MAX).contains(&n);
            assert_eq!(code.is_wire(), !client_only, "{code}");
            assert_eq!(
                code.is_kafka(),
                n < RUSTLOG_ONLY_MIN || n == u16::MAX,
                "{code}"
            );
        }
    }
}
