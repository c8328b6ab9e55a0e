//! Frames: a `u32` big-endian length of the rest, a fixed header, then the body.
//!
//! ```text
//! request:  length u32 | api_key u16 | api_version u16 | correlation_id u32 | body
//! response: length u32 | correlation_id u32 | error_code u16 | body
//! ```
//!
//! Decoding is incremental: with too few bytes the decoder answers `Ok(None)` ("need more"),
//! never an error. The length is checked against the limit before a reader allocates anything.

use crate::api::ApiKey;
use crate::error::ProtocolError;
use crate::error_code::ErrorCode;
use crate::limits::{FRAME_BYTES_MAX, FRAME_LENGTH_BYTES};
use crate::parts::{FrameParts, PartsWriter};
use bytes::{BufMut, Bytes, BytesMut};

/// Bytes of a request header (after the length prefix).
pub const REQUEST_HEADER_BYTES: usize = 8;
/// Bytes of a response header (after the length prefix).
pub const RESPONSE_HEADER_BYTES: usize = 6;

/// Checks a frame's 4-byte length prefix and returns the number of bytes that follow it.
///
/// `frame_bytes_max` is the reader's limit (at most [`FRAME_BYTES_MAX`]); `header_bytes` the
/// smallest legal frame. This is the cheap check a server runs before reading or allocating.
pub fn check_frame_length(
    prefix: [u8; 4],
    frame_bytes_max: u32,
    header_bytes: usize,
) -> Result<usize, ProtocolError> {
    let length = u32::from_be_bytes(prefix);
    let max = frame_bytes_max.min(FRAME_BYTES_MAX);
    if length > max {
        return Err(ProtocolError::FrameTooLarge {
            length: u64::from(length),
            max: u64::from(max),
        });
    }
    let length = length as usize;
    if length < header_bytes {
        return Err(ProtocolError::FrameTooSmall {
            length: length as u64,
            min: header_bytes as u64,
        });
    }
    Ok(length)
}

/// If `buf` starts with a whole frame, returns its total size including the prefix.
pub fn frame_total_len(
    buf: &[u8],
    frame_bytes_max: u32,
    header_bytes: usize,
) -> Result<Option<usize>, ProtocolError> {
    let Some(prefix) = buf.get(..FRAME_LENGTH_BYTES) else {
        return Ok(None);
    };
    let mut raw = [0u8; 4];
    raw.copy_from_slice(prefix);
    let length = check_frame_length(raw, frame_bytes_max, header_bytes)?;
    let total = length + FRAME_LENGTH_BYTES;
    Ok((buf.len() >= total).then_some(total))
}

/// The header of a request frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestHeader {
    /// The raw api key (may be unknown to this codec).
    pub api_key: u16,
    pub api_version: u16,
    pub correlation_id: u32,
}

impl RequestHeader {
    /// The api key, if known.
    pub fn api(&self) -> Result<ApiKey, ProtocolError> {
        ApiKey::from_code(self.api_key).ok_or(ProtocolError::UnknownApiKey(self.api_key))
    }

    /// The api key, checked to be known and at a supported version.
    pub fn checked_api(&self) -> Result<ApiKey, ProtocolError> {
        let api = self.api()?;
        if self.api_version < api.min_version() || self.api_version > api.max_version() {
            return Err(ProtocolError::UnsupportedVersion {
                api: api.name(),
                version: self.api_version,
            });
        }
        Ok(api)
    }
}

/// The header of a response frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHeader {
    pub correlation_id: u32,
    /// Raw error code; 0 means the body is the response, anything else an [`crate::ErrorBody`].
    pub error_code: u16,
}

/// A request frame split into header and body, the body sharing the input buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFrame {
    pub header: RequestHeader,
    pub body: Bytes,
}

/// A response frame split into header and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseFrame {
    pub header: ResponseHeader,
    pub body: Bytes,
}

/// Takes one whole request frame off the front of `buf`, or `Ok(None)` if more bytes are needed.
pub fn decode_request_frame(
    buf: &mut BytesMut,
    frame_bytes_max: u32,
) -> Result<Option<RequestFrame>, ProtocolError> {
    let Some(total) = frame_total_len(buf, frame_bytes_max, REQUEST_HEADER_BYTES)? else {
        return Ok(None);
    };
    let frame = buf.split_to(total).freeze();
    Ok(Some(split_request(frame)))
}

/// Splits a whole request frame (prefix included, length already checked).
fn split_request(frame: Bytes) -> RequestFrame {
    let h = &frame[FRAME_LENGTH_BYTES..FRAME_LENGTH_BYTES + REQUEST_HEADER_BYTES];
    let header = RequestHeader {
        api_key: u16::from_be_bytes([h[0], h[1]]),
        api_version: u16::from_be_bytes([h[2], h[3]]),
        correlation_id: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
    };
    RequestFrame {
        header,
        body: frame.slice(FRAME_LENGTH_BYTES + REQUEST_HEADER_BYTES..),
    }
}

/// Takes one whole response frame off the front of `buf`, or `Ok(None)` if more bytes are needed.
pub fn decode_response_frame(
    buf: &mut BytesMut,
    frame_bytes_max: u32,
) -> Result<Option<ResponseFrame>, ProtocolError> {
    let Some(total) = frame_total_len(buf, frame_bytes_max, RESPONSE_HEADER_BYTES)? else {
        return Ok(None);
    };
    let frame = buf.split_to(total).freeze();
    let h = &frame[FRAME_LENGTH_BYTES..FRAME_LENGTH_BYTES + RESPONSE_HEADER_BYTES];
    let header = ResponseHeader {
        correlation_id: u32::from_be_bytes([h[0], h[1], h[2], h[3]]),
        error_code: u16::from_be_bytes([h[4], h[5]]),
    };
    Ok(Some(ResponseFrame {
        header,
        body: frame.slice(FRAME_LENGTH_BYTES + RESPONSE_HEADER_BYTES..),
    }))
}

/// Writes a request frame whose body is produced by `body`. The length is patched afterwards.
pub fn encode_request_frame(
    out: &mut BytesMut,
    api: ApiKey,
    api_version: u16,
    correlation_id: u32,
    body: impl FnOnce(&mut BytesMut),
) {
    let start = out.len();
    put_request_header(out, api, api_version, correlation_id);
    body(out);
    patch_length(out, start);
}

/// Writes a response frame whose body is produced by `body`. The length is patched afterwards.
pub fn encode_response_frame(
    out: &mut BytesMut,
    correlation_id: u32,
    error_code: ErrorCode,
    body: impl FnOnce(&mut BytesMut),
) {
    let start = out.len();
    put_response_header(out, correlation_id, error_code);
    body(out);
    patch_length(out, start);
}

/// A request frame as parts (see [`crate::parts`]) around an encoded `body`: its record
/// batches stay shared, not copied.
pub fn request_frame_parts(
    api: ApiKey,
    api_version: u16,
    correlation_id: u32,
    body: &FrameParts,
) -> FrameParts {
    let mut w = PartsWriter::new();
    put_request_header(w.buf(), api, api_version, correlation_id);
    for part in body.parts() {
        w.put_shared(part);
    }
    w.finish_frame()
}

/// The length placeholder (patched once the frame is complete) and the request header.
pub fn put_request_header(out: &mut BytesMut, api: ApiKey, api_version: u16, correlation_id: u32) {
    out.put_u32(0);
    out.put_u16(api.code());
    out.put_u16(api_version);
    out.put_u32(correlation_id);
}

/// The length placeholder (patched once the frame is complete) and the response header.
pub fn put_response_header(out: &mut BytesMut, correlation_id: u32, error_code: ErrorCode) {
    out.put_u32(0);
    out.put_u32(correlation_id);
    out.put_u16(error_code.code());
}

fn patch_length(out: &mut BytesMut, start: usize) {
    let length = (out.len() - start - FRAME_LENGTH_BYTES) as u32;
    out[start..start + FRAME_LENGTH_BYTES].copy_from_slice(&length.to_be_bytes());
}
