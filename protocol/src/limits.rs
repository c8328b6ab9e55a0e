//! Every size limit of the protocol, by name.
//!
//! A peer must reject (never allocate for) anything larger. The broker may be configured with
//! lower values, never higher ones: these are the hard ceilings of the format.

/// Largest frame, counted without the 4-byte length prefix. Checked before any allocation.
///
/// Chosen so that one full fetch response (`FETCH_BYTES_MAX` plus the one oversized first batch
/// a fetch may return) fits, and so that an HTTP request (`GET ` = 0x47455420) or a TLS
/// ClientHello (0x1603..) read as a length is far above it.
pub const FRAME_BYTES_MAX: u32 = 32 * 1024 * 1024;

/// Bytes of the length prefix that starts every frame.
pub const FRAME_LENGTH_BYTES: usize = 4;

/// Largest encoded record batch (header included).
pub const BATCH_BYTES_MAX: u32 = 8 * 1024 * 1024;

/// Largest records section of one batch after decompression. A compressed batch that expands
/// past it is refused before more is allocated (a zip bomb costs at most this much memory).
pub const BATCH_DECOMPRESSED_BYTES_MAX: u32 = 32 * 1024 * 1024;

/// Most records in one batch.
pub const RECORDS_PER_BATCH_MAX: u32 = 262_144;

/// Largest record key.
pub const KEY_BYTES_MAX: u32 = 64 * 1024;

/// Largest record value.
pub const VALUE_BYTES_MAX: u32 = 4 * 1024 * 1024;

/// Most headers on one record.
pub const HEADERS_PER_RECORD_MAX: u32 = 256;

/// Largest header key (UTF-8 bytes).
pub const HEADER_KEY_BYTES_MAX: u32 = 1024;

/// Largest header value.
pub const HEADER_VALUE_BYTES_MAX: u32 = 64 * 1024;

/// Upper bound on `max_bytes` of one fetch (the broker clamps larger asks to this).
pub const FETCH_BYTES_MAX: u32 = 8 * 1024 * 1024;

/// Longest a fetch may wait for data (`max_wait_ms`).
pub const FETCH_WAIT_MS_MAX: u32 = 60_000;

/// Most topic-partition entries in one Produce or Fetch request.
pub const PARTITIONS_PER_REQUEST_MAX: u32 = 4096;

/// Longest topic name; names match `[A-Za-z0-9._-]{1,249}` because they become directory names.
pub const TOPIC_NAME_BYTES_MAX: usize = 249;

/// Most partitions a topic may have.
pub const PARTITIONS_PER_TOPIC_MAX: u32 = 1024;

/// Longest consumer group id, member id or client id (UTF-8 bytes).
pub const GROUP_ID_BYTES_MAX: usize = 255;

/// Longest client id (UTF-8 bytes).
pub const CLIENT_ID_BYTES_MAX: usize = 255;

/// Longest string in a binary body (topic names and error messages), a `u16` length.
pub const SHORT_STRING_BYTES_MAX: usize = u16::MAX as usize;
