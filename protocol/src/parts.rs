//! [`FrameParts`]: an encoded frame (or body) as byte runs in order, so that record batches
//! (stored bytes over the mmap on the broker, sealed batches in the client) reach the socket
//! without being copied into the frame. A writer sends the parts in turn or with one writev.
//!
//! [`PartsWriter`] builds them: small fields go into an open buffer, runs of at least
//! [`SHARED_PART_BYTES_MIN`] are kept by reference (a `Bytes` clone), smaller ones copied.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use std::collections::VecDeque;
use std::io::IoSlice;

/// Shared runs shorter than this are copied: a separate write or iovec costs more than the copy.
pub const SHARED_PART_BYTES_MIN: usize = 16 * 1024;

/// An encoded frame or body as byte runs; their concatenation is the bytes on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameParts {
    parts: Vec<Bytes>,
    len: usize,
}

impl FrameParts {
    /// Total bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The runs in order (none empty).
    pub fn parts(&self) -> &[Bytes] {
        &self.parts
    }

    /// Takes the runs.
    pub fn into_parts(self) -> Vec<Bytes> {
        self.parts
    }

    /// Appends all bytes to `out` (a copy).
    pub fn extend_into(&self, out: &mut BytesMut) {
        out.reserve(self.len);
        for part in &self.parts {
            out.extend_from_slice(part);
        }
    }

    /// The bytes as one run (no copy when there is one part).
    pub fn to_bytes(&self) -> Bytes {
        match self.parts.as_slice() {
            [] => Bytes::new(),
            [one] => one.clone(),
            _ => {
                let mut out = BytesMut::with_capacity(self.len);
                self.extend_into(&mut out);
                out.freeze()
            }
        }
    }
}

impl From<Bytes> for FrameParts {
    fn from(bytes: Bytes) -> Self {
        let len = bytes.len();
        FrameParts {
            parts: if bytes.is_empty() {
                vec![]
            } else {
                vec![bytes]
            },
            len,
        }
    }
}

/// What is left to write of a run of parts: the iovecs for the next vectored write, then how
/// far it got. The one place that turns a short write into the rest of the parts, for the
/// broker's writer and the client's.
#[derive(Debug, Default)]
pub struct PartsCursor {
    parts: VecDeque<Bytes>,
}

impl PartsCursor {
    /// Iovecs handed to one vectored write at most (Linux takes up to 1024).
    pub const SLICES_MAX: usize = 64;

    /// An empty cursor.
    pub fn new() -> Self {
        PartsCursor::default()
    }

    /// Queues a frame's parts after what is queued.
    pub fn push(&mut self, frame: FrameParts) {
        self.parts.extend(frame.parts);
    }

    /// True when everything was written.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The next iovecs to write, at most [`Self::SLICES_MAX`].
    pub fn io_slices(&self) -> Vec<IoSlice<'_>> {
        self.parts
            .iter()
            .take(Self::SLICES_MAX)
            .map(|part| IoSlice::new(part))
            .collect()
    }

    /// Drops the first `written` bytes (what a vectored write reported).
    pub fn advance(&mut self, mut written: usize) {
        while let Some(front) = self.parts.front_mut() {
            if written < front.len() {
                front.advance(written);
                return;
            }
            written -= front.len();
            self.parts.pop_front();
        }
    }
}

/// Builds [`FrameParts`]. The first run stays writable until [`PartsWriter::finish_frame`], so
/// a frame's length prefix can be patched once the body is known.
#[derive(Debug, Default)]
pub struct PartsWriter {
    /// The first run once a shared run followed it.
    first: Option<BytesMut>,
    done: Vec<Bytes>,
    open: BytesMut,
    len: usize,
}

impl PartsWriter {
    /// An empty writer.
    pub fn new() -> Self {
        PartsWriter::default()
    }

    /// The buffer small fields are written to.
    pub fn buf(&mut self) -> &mut BytesMut {
        &mut self.open
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len + self.open.len()
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `bytes`, by reference when it is at least [`SHARED_PART_BYTES_MIN`] long.
    pub fn put_shared(&mut self, bytes: &Bytes) {
        if bytes.len() < SHARED_PART_BYTES_MIN {
            self.open.put_slice(bytes);
            return;
        }
        self.close_open();
        self.len += bytes.len();
        self.done.push(bytes.clone());
    }

    /// Ends the open run; what is written next starts a new one in the same allocation.
    fn close_open(&mut self) {
        if self.open.is_empty() {
            return;
        }
        let run = self.open.split();
        self.len += run.len();
        if self.first.is_none() && self.done.is_empty() {
            self.first = Some(run);
        } else {
            self.done.push(run.freeze());
        }
    }

    /// The runs written.
    pub fn finish(mut self) -> FrameParts {
        self.close_open();
        let mut parts = Vec::with_capacity(self.done.len() + 1);
        if let Some(first) = self.first.take() {
            parts.push(first.freeze());
        }
        parts.append(&mut self.done);
        FrameParts {
            parts,
            len: self.len,
        }
    }

    /// The runs written, with the length of everything after the first four bytes patched
    /// into those bytes (a frame's big-endian length prefix, written as a placeholder first).
    pub fn finish_frame(mut self) -> FrameParts {
        const PREFIX_BYTES: usize = 4;
        self.close_open();
        let total = self.len;
        if let Some(first) = self.first.as_mut().filter(|f| f.len() >= PREFIX_BYTES) {
            let length = total.saturating_sub(PREFIX_BYTES) as u32;
            first[..PREFIX_BYTES].copy_from_slice(&length.to_be_bytes());
        }
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn small_runs_are_copied_large_ones_shared_and_the_prefix_counts_every_part() {
        let large = Bytes::from(vec![7u8; SHARED_PART_BYTES_MIN]);
        let mut w = PartsWriter::new();
        w.buf().put_u32(0);
        w.buf().put_u8(1);
        w.put_shared(&Bytes::from_static(b"small"));
        w.put_shared(&large);
        w.buf().put_u8(2);
        w.put_shared(&large);
        let parts = w.finish_frame();
        assert_eq!(parts.parts().len(), 4, "head, large, one byte, large");
        assert_eq!(
            parts.parts()[1].as_ptr(),
            large.as_ptr(),
            "shared, not copied"
        );
        let all = parts.to_bytes();
        assert_eq!(all.len(), parts.len());
        assert_eq!(all.len(), 4 + 1 + 5 + 1 + 2 * SHARED_PART_BYTES_MIN);
        assert_eq!(&all[..4], &((all.len() - 4) as u32).to_be_bytes());
        assert_eq!(&all[4..10], b"\x01small");
    }

    /// A fetch answer's stored batches are the frame's own parts; the frame decodes back, and
    /// its one-buffer form (`encode_frame`) is the same bytes.
    #[test]
    fn a_fetch_response_shares_large_records_and_decodes_back() {
        use crate::messages::fetch::{FetchPartitionResponse, FetchResponse};
        use crate::{ApiKey, ErrorCode, Response, ResponseBody};
        let partition = |p: u32, records: Bytes| FetchPartitionResponse {
            topic: "t".into(),
            partition: p,
            error_code: ErrorCode::None,
            high_watermark: 9,
            log_start_offset: 0,
            records,
        };
        let stored = Bytes::from(vec![3u8; 100_000]);
        let response = Response::Fetch(FetchResponse {
            partitions: vec![
                partition(0, stored.clone()),
                partition(1, Bytes::from_static(b"tiny")),
            ],
        });
        let parts = response.encode_frame_parts(7).unwrap();
        assert!(parts.parts().iter().any(|p| p.as_ptr() == stored.as_ptr()));
        let mut whole = BytesMut::new();
        response.encode_frame(7, &mut whole).unwrap();
        assert_eq!(parts.to_bytes(), whole.clone().freeze());
        let frame = crate::frame::decode_response_frame(&mut whole, u32::MAX)
            .unwrap()
            .unwrap();
        assert_eq!(frame.header.correlation_id, 7);
        let decoded = Response::decode(ApiKey::Fetch, &frame).unwrap();
        assert_eq!(decoded, ResponseBody::Ok(response));
    }

    #[test]
    fn the_cursor_resumes_a_short_write_inside_a_part_and_across_parts() {
        let mut cursor = PartsCursor::new();
        cursor.push(FrameParts::from(Bytes::from_static(b"abc")));
        cursor.push(FrameParts::from(Bytes::from_static(b"defgh")));
        assert_eq!(cursor.io_slices().len(), 2);
        cursor.advance(4);
        let left: Vec<u8> = cursor.io_slices().iter().flat_map(|s| s.to_vec()).collect();
        assert_eq!(left, b"efgh");
        cursor.advance(4);
        assert!(cursor.is_empty());
    }

    #[test]
    fn a_frame_of_small_fields_is_one_part() {
        let mut w = PartsWriter::new();
        w.buf().put_u32(0);
        w.buf().put_u16(9);
        let parts = w.finish_frame();
        assert_eq!(parts.parts().len(), 1);
        assert_eq!(parts.to_bytes().as_ref(), &[0, 0, 0, 2, 0, 9]);
        assert!(PartsWriter::new().finish().is_empty());
    }
}
