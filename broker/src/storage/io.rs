//! The file I/O seam. Every byte the storage engine reads or writes goes through [`Io`] and
//! [`IoFile`], so tests swap [`StdIo`] for [`FaultyIo`] and fail the Nth write or fsync, tear a
//! write short, or run out of disk space.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::storage::error::ENOSPC;

/// One open file, addressed by position (no shared cursor, so concurrent readers need no lock).
pub trait IoFile: Send + Sync + fmt::Debug {
    /// Writes some prefix of `buf` at `offset`; returns how many bytes were written.
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize>;
    /// Reads into `buf` from `offset`; returns how many bytes were read (0 at end of file).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// fsyncs the file's data (fdatasync).
    fn sync_data(&self) -> io::Result<()>;
    /// Truncates or extends the file.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Current length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Whether the file holds no bytes.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
    /// The underlying OS file, when there is one, so sealed segments can be memory-mapped.
    /// Implementations without one make readers fall back to `read_at`.
    fn std_file(&self) -> Option<&File>;
}

/// The directory-level operations, and the factory of [`IoFile`]s.
pub trait Io: Send + Sync + fmt::Debug {
    /// Opens a file for reading and writing; creates it when `create` is set.
    fn open(&self, path: &Path, create: bool) -> io::Result<Box<dyn IoFile>>;
    /// `mkdir -p`.
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Entries of a directory (full paths), in no particular order.
    fn list_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>>;
    /// Deletes a file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Deletes a directory tree.
    fn remove_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Atomically renames `from` to `to`, replacing `to`.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// fsyncs a directory so created, renamed and deleted entries are durable.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
    /// Whether the path exists.
    fn exists(&self, path: &Path) -> bool;
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct StdIo;

impl StdIo {
    /// A shareable handle.
    pub fn shared() -> Arc<dyn Io> {
        Arc::new(StdIo)
    }
}

#[derive(Debug)]
struct StdFile(File);

impl IoFile for StdFile {
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        self.0.write_at(buf, offset)
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.0.read_at(buf, offset)
    }
    fn sync_data(&self) -> io::Result<()> {
        self.0.sync_data()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }
    fn std_file(&self) -> Option<&File> {
        Some(&self.0)
    }
}

impl Io for StdIo {
    fn open(&self, path: &Path, create: bool) -> io::Result<Box<dyn IoFile>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(path)?;
        Ok(Box::new(StdFile(file)))
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }
    fn list_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        std::fs::read_dir(path)?
            .map(|entry| entry.map(|e| e.path()))
            .collect()
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir_all(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        File::open(path)?.sync_all()
    }
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
}

/// How an injected write fault behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFault {
    /// The write fails with EIO and writes nothing.
    Error,
    /// The write stores only its first `bytes` bytes, then fails with EIO (a torn write).
    Short { bytes: usize },
    /// The write fails with ENOSPC and writes nothing.
    DiskFull,
}

#[derive(Debug, Default)]
struct FaultPlan {
    /// Only files whose path ends with this are affected (None = every file).
    path_suffix: Option<String>,
    writes: u64,
    syncs: u64,
    creates: u64,
    fail_write: Option<(u64, WriteFault)>,
    fail_sync: Option<u64>,
    /// The failing fsync reports ENOSPC (as NFS or thin provisioning can) instead of EIO.
    fail_sync_enospc: bool,
    /// This creation of a new file fails with ENOSPC.
    fail_create: Option<u64>,
    /// Bytes that may still be written before ENOSPC (None = unlimited).
    space_left: Option<u64>,
    /// Once a fault fired, keep failing every later write/sync (a dead disk), if set.
    sticky: bool,
    tripped: bool,
}

impl FaultPlan {
    fn applies(&self, path: &Path) -> bool {
        match &self.path_suffix {
            None => true,
            Some(suffix) => path.to_string_lossy().ends_with(suffix.as_str()),
        }
    }
}

/// A fault-injecting [`Io`] over the real file system, for tests.
///
/// Counters start at zero when created or [`FaultyIo::reset`]; `fail_nth_write(3, ..)` fails the
/// third write (counting only files matched by [`FaultyIo::only_paths_ending_with`]).
#[derive(Debug, Clone, Default)]
pub struct FaultyIo {
    plan: Arc<Mutex<FaultPlan>>,
    /// Each file's length at its last successful fdatasync: what a power loss would keep (a
    /// model of the disk, so it survives [`FaultyIo::reset`]).
    synced_len: Arc<Mutex<HashMap<PathBuf, u64>>>,
}

impl FaultyIo {
    /// A faulty I/O layer that behaves like [`StdIo`] until a fault is armed.
    pub fn new() -> FaultyIo {
        FaultyIo::default()
    }

    /// Fails the `n`th write from now (1-based) with `fault`.
    pub fn fail_nth_write(&self, n: u64, fault: WriteFault) {
        let mut plan = self.plan.lock();
        plan.fail_write = Some((plan.writes + n, fault));
    }

    /// Fails the `n`th fsync from now (1-based, file and directory fsyncs count).
    pub fn fail_nth_sync(&self, n: u64) {
        let mut plan = self.plan.lock();
        plan.fail_sync = Some(plan.syncs + n);
        plan.fail_sync_enospc = false;
    }

    /// Like [`Self::fail_nth_sync`], but the fsync reports ENOSPC: still an fsync failure.
    pub fn fail_nth_sync_with_enospc(&self, n: u64) {
        let mut plan = self.plan.lock();
        plan.fail_sync = Some(plan.syncs + n);
        plan.fail_sync_enospc = true;
    }

    /// Fails the `n`th creation of a new file from now (1-based) with ENOSPC, creating nothing.
    pub fn fail_nth_create(&self, n: u64) {
        let mut plan = self.plan.lock();
        plan.fail_create = Some(plan.creates + n);
    }

    /// Allows only `bytes` more bytes to be written; the write that crosses the budget stores
    /// what fits and fails with ENOSPC. `None` lifts the limit.
    pub fn set_space_left(&self, bytes: Option<u64>) {
        self.plan.lock().space_left = bytes;
    }

    /// Restricts faults and counters to files whose path ends with `suffix` (e.g. `".log"`).
    pub fn only_paths_ending_with(&self, suffix: Option<&str>) {
        self.plan.lock().path_suffix = suffix.map(str::to_string);
    }

    /// After the first fault, fail every later write and fsync too.
    pub fn set_sticky(&self, sticky: bool) {
        self.plan.lock().sticky = sticky;
    }

    /// The length of `path` at its last successful fdatasync through this I/O, if any.
    pub fn synced_len(&self, path: &Path) -> Option<u64> {
        self.synced_len.lock().get(path).copied()
    }

    fn note_synced(&self, path: &Path, len: u64) {
        self.synced_len.lock().insert(path.to_path_buf(), len);
    }

    /// Disarms every fault and lifts the space limit.
    pub fn reset(&self) {
        *self.plan.lock() = FaultPlan::default();
    }

    /// Writes seen so far on matched files.
    pub fn writes(&self) -> u64 {
        self.plan.lock().writes
    }

    /// fsyncs seen so far on matched files and directories.
    pub fn syncs(&self) -> u64 {
        self.plan.lock().syncs
    }

    fn before_sync(&self, path: &Path) -> io::Result<()> {
        let mut plan = self.plan.lock();
        if !plan.applies(path) {
            return Ok(());
        }
        plan.syncs += 1;
        if (plan.sticky && plan.tripped) || plan.fail_sync == Some(plan.syncs) {
            plan.tripped = true;
            if plan.fail_sync_enospc {
                return Err(io::Error::from_raw_os_error(ENOSPC));
            }
            return Err(io::Error::other(format!(
                "injected fsync failure #{} on {}",
                plan.syncs,
                path.display()
            )));
        }
        Ok(())
    }

    /// Fails the creation of a new file when that is armed.
    fn before_create(&self, path: &Path) -> io::Result<()> {
        let mut plan = self.plan.lock();
        if !plan.applies(path) || path.exists() {
            return Ok(());
        }
        plan.creates += 1;
        if plan.fail_create == Some(plan.creates) {
            plan.tripped = true;
            return Err(io::Error::from_raw_os_error(ENOSPC));
        }
        Ok(())
    }

    /// Decides how much of a `len`-byte write may happen and which error follows it.
    fn before_write(&self, path: &Path, len: usize) -> (usize, Option<io::Error>) {
        let mut plan = self.plan.lock();
        if !plan.applies(path) {
            return (len, None);
        }
        plan.writes += 1;
        let n = plan.writes;
        if plan.sticky && plan.tripped {
            return (0, Some(io::Error::other("injected write failure (sticky)")));
        }
        if let Some((at, fault)) = plan.fail_write {
            if at == n {
                plan.tripped = true;
                let what = format!("injected write failure #{n} on {}", path.display());
                return match fault {
                    WriteFault::Error => (0, Some(io::Error::other(what))),
                    WriteFault::Short { bytes } => (bytes.min(len), Some(io::Error::other(what))),
                    WriteFault::DiskFull => (0, Some(io::Error::from_raw_os_error(ENOSPC))),
                };
            }
        }
        if let Some(left) = plan.space_left {
            if (len as u64) > left {
                plan.space_left = Some(0);
                plan.tripped = true;
                return (left as usize, Some(io::Error::from_raw_os_error(ENOSPC)));
            }
            plan.space_left = Some(left - len as u64);
        }
        (len, None)
    }
}

#[derive(Debug)]
struct FaultyFile {
    inner: File,
    path: PathBuf,
    io: FaultyIo,
}

impl IoFile for FaultyFile {
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let (allowed, err) = self.io.before_write(&self.path, buf.len());
        if allowed > 0 {
            self.inner.write_all_at(&buf[..allowed], offset)?;
        }
        match err {
            Some(err) => Err(err),
            None => Ok(allowed),
        }
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }
    fn sync_data(&self) -> io::Result<()> {
        self.io.before_sync(&self.path)?;
        self.inner.sync_data()?;
        let len = self.inner.metadata()?.len();
        self.io.note_synced(&self.path, len);
        Ok(())
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.inner.metadata()?.len())
    }
    fn std_file(&self) -> Option<&File> {
        Some(&self.inner)
    }
}

impl Io for FaultyIo {
    fn open(&self, path: &Path, create: bool) -> io::Result<Box<dyn IoFile>> {
        if create {
            self.before_create(path)?;
        }
        let inner = OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(path)?;
        Ok(Box::new(FaultyFile {
            inner,
            path: path.to_path_buf(),
            io: self.clone(),
        }))
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        StdIo.create_dir_all(path)
    }
    fn list_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        StdIo.list_dir(path)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        StdIo.remove_file(path)
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        StdIo.remove_dir_all(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        StdIo.rename(from, to)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.before_sync(path)?;
        StdIo.sync_dir(path)
    }
    fn exists(&self, path: &Path) -> bool {
        StdIo.exists(path)
    }
}
