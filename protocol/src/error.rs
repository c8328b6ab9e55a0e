//! Decoding and validation errors of the codec, each mapped to its wire [`ErrorCode`].

use crate::error_code::ErrorCode;

/// Why bytes could not be decoded or a value could not be encoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The length prefix announces a frame above the limit; nothing was allocated.
    #[error("frame of {length} bytes exceeds the limit of {max} bytes")]
    FrameTooLarge { length: u64, max: u64 },
    /// The length prefix announces a frame too short to hold its header.
    #[error("frame of {length} bytes is shorter than its {min}-byte header")]
    FrameTooSmall { length: u64, min: u64 },
    /// A field ran past the end of its buffer.
    #[error("truncated {what}: needed {needed} bytes, {available} available")]
    Truncated {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    /// Bytes were left over after a complete body or record.
    #[error("{extra} unexpected trailing bytes after {what}")]
    TrailingBytes { what: &'static str, extra: usize },
    /// The api key is not in the table.
    #[error("unknown api key {0}")]
    UnknownApiKey(u16),
    /// The api key is known but not at this version.
    #[error("api {api} does not support version {version}")]
    UnsupportedVersion { api: &'static str, version: u16 },
    /// A JSON control-plane body did not parse into its type.
    #[error("invalid JSON body for {api}: {source}")]
    InvalidJson {
        api: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A string field was not valid UTF-8.
    #[error("{what} is not valid UTF-8")]
    InvalidUtf8 { what: &'static str },
    /// A record batch's stored CRC does not match its bytes.
    #[error("record batch CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    CrcMismatch { stored: u32, computed: u32 },
    /// A record batch is structurally wrong.
    #[error("invalid record batch: {reason}")]
    InvalidBatch { reason: String },
    /// A count or size is above its named limit.
    #[error("{what} of {value} exceeds the limit of {max}")]
    LimitExceeded {
        what: &'static str,
        value: u64,
        max: u64,
    },
    /// A topic name breaks the naming rule.
    #[error("invalid topic name {name:?}: {reason}")]
    InvalidTopicName { name: String, reason: &'static str },
    /// A consumer group id breaks its rule (1..=255 bytes, no control characters).
    #[error("invalid group id {group_id:?}: {reason}")]
    InvalidGroupId {
        group_id: String,
        reason: &'static str,
    },
    /// An enum field holds a value outside its table.
    #[error("invalid {what} value {value}")]
    InvalidEnum { what: &'static str, value: u64 },
    /// Attribute bits 0-2 name a codec that does not exist (5, 6 or 7).
    #[error(
        "compression codec {codec} is not supported (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)"
    )]
    UnsupportedCompression { codec: u8 },
    /// Compressed records did not decompress.
    #[error("{codec} data of a record batch is corrupt: {reason}")]
    Decompression { codec: &'static str, reason: String },
    /// A compression level outside what the codec takes.
    #[error("compression level {level} is invalid for {codec}: {reason}")]
    InvalidCompressionLevel {
        codec: &'static str,
        level: i32,
        reason: String,
    },
    /// Valid Kafka bytes that RustLog does not support (transactions, control batches).
    #[error("not supported: {what}")]
    Unsupported { what: &'static str },
    /// A response carried an error code this codec does not know.
    #[error("unknown error code {0}")]
    UnknownErrorCode(u16),
}

impl ProtocolError {
    /// The wire code a broker answers with for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ProtocolError::FrameTooLarge { .. } | ProtocolError::LimitExceeded { .. } => {
                ErrorCode::RecordTooLarge
            }
            ProtocolError::UnknownApiKey(_) => ErrorCode::UnknownApiKey,
            ProtocolError::UnsupportedVersion { .. } => ErrorCode::UnsupportedVersion,
            ProtocolError::CrcMismatch { .. } => ErrorCode::CorruptRecord,
            ProtocolError::InvalidBatch { .. } | ProtocolError::Unsupported { .. } => {
                ErrorCode::InvalidRecord
            }
            ProtocolError::Decompression { .. } => ErrorCode::CorruptRecord,
            ProtocolError::UnsupportedCompression { .. }
            | ProtocolError::InvalidCompressionLevel { .. } => {
                ErrorCode::UnsupportedCompressionType
            }
            ProtocolError::InvalidTopicName { .. } => ErrorCode::InvalidTopicName,
            ProtocolError::InvalidGroupId { .. } => ErrorCode::InvalidGroupId,
            _ => ErrorCode::InvalidRequest,
        }
    }
}
