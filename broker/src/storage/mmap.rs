//! Read-only memory maps of sealed segment files — the only `unsafe` in the crate.
//!
//! Safety argument (why a mapping never faults, i.e. no SIGBUS): a mapped file is never
//! truncated or written in place by this process. Only sealed segments are mapped, and sealed
//! segments are immutable: recovery truncates a torn tail *before* anything is mapped; retention
//! removes a segment's files only when the last `Arc` of the segment (and so of its mapping, which
//! every returned [`bytes::Bytes`] keeps alive) is dropped; compaction never rewrites a file but
//! renames a new one over it, and the old inode stays alive while mapped. A file changed by
//! another process behind our back is outside this contract (one broker owns its data dir).
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::sync::Arc;

/// A read-only mapping of a whole sealed segment file.
#[derive(Debug)]
pub(crate) struct Mapping {
    map: memmap2::Mmap,
}

impl Mapping {
    /// Maps the first `len` bytes of `file`. `len` must be > 0 (callers skip empty files).
    pub(crate) fn map(file: &File, len: u64) -> io::Result<Mapping> {
        let len = usize::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "segment too large to map"))?;
        // SAFETY: the file is a sealed segment: by the module's argument it is never truncated or
        // modified in place while this mapping (or any `Bytes` slice of it) is alive, so every page
        // of `0..len` stays backed by file data for the mapping's lifetime. `len` is at most the
        // file's length, which the caller read after the segment was sealed.
        let map = unsafe { memmap2::MmapOptions::new().len(len).map(file)? };
        Ok(Mapping { map })
    }

    /// The mapped bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.map
    }
}

/// A range of a mapping that owns an `Arc` of it, so it can back a zero-copy `Bytes`.
#[derive(Debug)]
pub(crate) struct MappedSlice<T> {
    map: Arc<T>,
    start: usize,
    end: usize,
}

impl<T: AsRef<[u8]>> MappedSlice<T> {
    /// `start..end` must lie within the mapping (clamped otherwise).
    pub(crate) fn new(map: Arc<T>, start: usize, end: usize) -> MappedSlice<T> {
        let len = (*map).as_ref().len();
        let end = end.min(len);
        let start = start.min(end);
        MappedSlice { map, start, end }
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for MappedSlice<T> {
    fn as_ref(&self) -> &[u8] {
        &(*self.map).as_ref()[self.start..self.end]
    }
}
