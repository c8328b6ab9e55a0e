//! Small file helpers on top of [`Io`]: whole-buffer positioned reads and writes, and the
//! crash-safe replace of a small file (write temp, fsync, rename, fsync dir).

use std::io;
use std::path::{Path, PathBuf};

use crate::storage::error::StorageError;
use crate::storage::io::{Io, IoFile};

/// Suffix of the temporary file [`write_file_atomic`] writes before renaming it into place.
pub const TEMP_SUFFIX: &str = ".tmp";

/// Writes all of `buf` at `offset`, looping over partial writes.
pub(crate) fn write_all_at(file: &dyn IoFile, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        let n = file.write_at(buf, offset)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "write_at wrote 0 bytes",
            ));
        }
        buf = &buf[n..];
        offset += n as u64;
    }
    Ok(())
}

/// Fills `buf` from `offset`; fails with `UnexpectedEof` when the file is shorter.
pub(crate) fn read_exact_at(
    file: &dyn IoFile,
    mut buf: &mut [u8],
    mut offset: u64,
) -> io::Result<()> {
    while !buf.is_empty() {
        let n = file.read_at(buf, offset)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file ends before the requested range",
            ));
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

/// Reads a whole (small) file; `Ok(None)` when it does not exist.
pub fn read_file(io: &dyn Io, path: &Path) -> Result<Option<Vec<u8>>, StorageError> {
    let file = match io.open(path, false) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StorageError::io("open", path, e)),
    };
    let len = file.len().map_err(|e| StorageError::io("stat", path, e))?;
    let len = usize::try_from(len).map_err(|_| StorageError::corrupt(path, 0, "file too large"))?;
    let mut buf = vec![0u8; len];
    read_exact_at(file.as_ref(), &mut buf, 0).map_err(|e| StorageError::io("read", path, e))?;
    Ok(Some(buf))
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(TEMP_SUFFIX);
    PathBuf::from(name)
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Replaces `path` with `bytes` crash-safely: after a crash the file holds either the old or
/// the new content, never a mix. Steps: write `path.tmp`, fsync it, rename over `path`, fsync the
/// directory. Callers serialise writers of the same path. A failed temp file is removed at
/// once (on a full disk it holds space other writes need) and `path` keeps its old content.
pub fn write_file_atomic(io: &dyn Io, path: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    let tmp = temp_path(path);
    if let Err(e) = write_temp(io, &tmp, bytes) {
        if let Err(cleanup) = remove_if_exists(io, &tmp) {
            tracing::warn!(path = %tmp.display(), error = %cleanup, "could not remove a failed temp file");
        }
        return Err(e);
    }
    io.rename(&tmp, path)
        .map_err(|e| StorageError::io("rename", path, e))?;
    sync_dir(io, parent_dir(path))
}

/// Creates `tmp` holding exactly `bytes`, fsynced.
fn write_temp(io: &dyn Io, tmp: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    let file = io
        .open(tmp, true)
        .map_err(|e| StorageError::io("create", tmp, e))?;
    file.set_len(0)
        .map_err(|e| StorageError::io("truncate", tmp, e))?;
    write_all_at(file.as_ref(), bytes, 0).map_err(|e| StorageError::io("write", tmp, e))?;
    file.sync_data().map_err(|e| StorageError::fsync(tmp, e))
}

/// Whether `bytes` more bytes fit on the file system: writes them to `path` and removes it
/// again (whatever happened). [`StorageError::DiskFull`] when they do not fit. Not fsynced:
/// the question is whether the space can be allocated, not whether it is durable.
pub(crate) fn probe_free_space(io: &dyn Io, path: &Path, bytes: usize) -> Result<(), StorageError> {
    let written = io
        .open(path, true)
        .and_then(|file| write_all_at(file.as_ref(), &vec![0u8; bytes], 0))
        .map_err(|e| StorageError::io("write a space probe", path, e));
    let removed = remove_if_exists(io, path);
    written.and(removed)
}

/// fsyncs a directory.
pub fn sync_dir(io: &dyn Io, dir: &Path) -> Result<(), StorageError> {
    io.sync_dir(dir).map_err(|e| StorageError::fsync(dir, e))
}

/// Deletes a file; a missing file is fine.
pub(crate) fn remove_if_exists(io: &dyn Io, path: &Path) -> Result<(), StorageError> {
    match io.remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StorageError::io("remove", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::io::StdIo;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.json");
        assert_eq!(read_file(&StdIo, &path).unwrap(), None);
        write_file_atomic(&StdIo, &path, b"first, longer content").unwrap();
        write_file_atomic(&StdIo, &path, b"second").unwrap();
        assert_eq!(read_file(&StdIo, &path).unwrap().unwrap(), b"second");
        assert!(!temp_path(&path).exists());
    }
}
