//! `rustlog-protocol`: the RustLog wire protocol as a pure codec (no sockets, no files, no async).
//!
//! Module map:
//! - [`limits`]: every size limit, by name.
//! - [`error_code`]: the one error-code table (number, name, retriable) shared by all languages.
//! - [`error`]: [`ProtocolError`], why bytes did not decode.
//! - [`api`]: [`ApiKey`], the request kinds and their versions.
//! - [`frame`]: length-prefixed frames and their request/response headers.
//! - [`parts`]: frames as byte runs, so record batches are written without a copy.
//! - [`messages`]: one file per request kind; [`Request`] / [`Response`] dispatch by api key.
//! - [`batch`]: Kafka's RecordBatch v2, the bytes stored on disk and sent on the wire; builder,
//!   header-only decoder and zero-copy reader with CRC-32C checks.
//! - [`compression`]: the batch codecs (gzip, snappy, lz4, zstd) with bounded decompression.
//! - [`names`]: topic name and group id rules.
//! - [`config_keys`]: topic config key names.
//! - [`partitioner`]: the key → partition hash every client shares.
//! - [`wire`]: bounds-checked big-endian primitives.
//!
//! The normative description of every byte is `protocol-spec/SPEC.md`; `protocol-spec/vectors/`
//! holds golden frames that this crate's tests decode and re-encode byte for byte.

pub mod api;
pub mod batch;
pub mod compression;
pub mod config_keys;
pub mod error;
pub mod error_code;
pub mod frame;
pub mod limits;
pub mod messages;
pub mod names;
pub mod partitioner;
pub mod parts;
pub mod wire;

pub use api::ApiKey;
pub use batch::{BatchHeader, ProducerStamp, RecordBatchBuilder, RecordBatchView, RecordView};
pub use compression::Compression;
pub use error::ProtocolError;
pub use error_code::ErrorCode;
pub use frame::{RequestFrame, RequestHeader, ResponseFrame, ResponseHeader};
pub use messages::common::{ErrorBody, TopicPartition, TopicPartitions};
pub use messages::{
    decode_rejection, encode_error_response, encode_rejection, Request, Response, ResponseBody,
    REJECTION_CORRELATION_ID,
};
pub use parts::{FrameParts, PartsCursor, PartsWriter};
