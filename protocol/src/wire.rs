//! Big-endian primitives shared by the binary bodies: a bounds-checked reader over a byte slice
//! and writer helpers. Every length read here is checked against what is left before use, so a
//! hostile length can never cause an allocation or a panic.

use crate::error::ProtocolError;
use bytes::{BufMut, Bytes};

/// A cursor over a `Bytes` buffer; slices it hands out share the buffer (no copy).
#[derive(Debug, Clone)]
pub struct Reader {
    buf: Bytes,
    pos: usize,
}

impl Reader {
    /// Starts reading at the beginning of `buf`.
    pub fn new(buf: Bytes) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Fails with `TrailingBytes` unless everything was read.
    pub fn finish(&self, what: &'static str) -> Result<(), ProtocolError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(ProtocolError::TrailingBytes { what, extra }),
        }
    }

    /// Takes `len` bytes as a shared slice.
    pub fn bytes(&mut self, len: usize, what: &'static str) -> Result<Bytes, ProtocolError> {
        let available = self.remaining();
        if len > available {
            return Err(ProtocolError::Truncated {
                what,
                needed: len,
                available,
            });
        }
        let out = self.buf.slice(self.pos..self.pos + len);
        self.pos += len;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], ProtocolError> {
        let available = self.remaining();
        if N > available {
            return Err(ProtocolError::Truncated {
                what,
                needed: N,
                available,
            });
        }
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        Ok(out)
    }

    /// Reads a `u8`.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, ProtocolError> {
        Ok(self.array::<1>(what)?[0])
    }
    /// Reads a big-endian `u16`.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, ProtocolError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }
    /// Reads a big-endian `u32`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, ProtocolError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }
    /// Reads a big-endian `i32`.
    pub fn i32(&mut self, what: &'static str) -> Result<i32, ProtocolError> {
        Ok(i32::from_be_bytes(self.array(what)?))
    }
    /// Reads a big-endian `u64`.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, ProtocolError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }
    /// Reads a big-endian `i64`.
    pub fn i64(&mut self, what: &'static str) -> Result<i64, ProtocolError> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    /// Reads a short string: `u16` length, then that many UTF-8 bytes.
    pub fn short_string(&mut self, what: &'static str) -> Result<String, ProtocolError> {
        let len = usize::from(self.u16(what)?);
        let raw = self.bytes(len, what)?;
        String::from_utf8(raw.to_vec()).map_err(|_| ProtocolError::InvalidUtf8 { what })
    }

    /// Reads a count and checks it against `max` before anything is allocated for it.
    pub fn count(&mut self, what: &'static str, max: u32) -> Result<usize, ProtocolError> {
        let count = self.u32(what)?;
        if count > max {
            return Err(ProtocolError::LimitExceeded {
                what,
                value: u64::from(count),
                max: u64::from(max),
            });
        }
        usize::try_from(count).map_err(|_| ProtocolError::LimitExceeded {
            what,
            value: u64::from(count),
            max: u64::from(max),
        })
    }
}

/// Writes a short string (`u16` length + UTF-8). Callers validate lengths that matter (topic
/// names) beforehand; an over-long string (an error message) is cut at a character boundary below
/// the limit rather than wrapping the length or splitting a character.
pub fn put_short_string(out: &mut impl BufMut, value: &str) {
    let mut len = value.len().min(crate::limits::SHORT_STRING_BYTES_MAX);
    while !value.is_char_boundary(len) {
        len -= 1;
    }
    out.put_u16(len as u16);
    out.put_slice(&value.as_bytes()[..len]);
}
