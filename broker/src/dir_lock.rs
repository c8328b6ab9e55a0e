//! An exclusive lock on the data directory (`<data_dir>/.lock`, `flock`), so two brokers never
//! append to the same segment files. The kernel drops the lock when the holder exits, even on
//! `kill -9`, so a crash never leaves a stale lock behind.
#![allow(unsafe_code)]

use crate::error::BrokerError;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Name of the lock file inside the data directory.
pub const LOCK_FILE: &str = ".lock";

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Takes the lock or fails at once with [`BrokerError::DataDirLocked`].
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, BrokerError> {
        let path = data_dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| BrokerError::Io {
                op: "open data dir lock",
                path: path.clone(),
                source,
            })?;
        lock_exclusive(&file).map_err(|source| {
            if source.kind() == std::io::ErrorKind::WouldBlock {
                BrokerError::DataDirLocked { path: path.clone() }
            } else {
                BrokerError::Io {
                    op: "lock data dir",
                    path: path.clone(),
                    source,
                }
            }
        })?;
        Ok(DataDirLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
fn lock_exclusive(file: &File) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock only reads the descriptor number, which `file` keeps open for the call.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn lock_exclusive(_file: &File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path()).unwrap();
        let err = DataDirLock::acquire(dir.path()).unwrap_err();
        assert!(matches!(err, BrokerError::DataDirLocked { .. }), "{err}");
        drop(first);
        DataDirLock::acquire(dir.path()).unwrap();
    }
}
