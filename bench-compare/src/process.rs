//! Starting and stopping server processes, and finding their binaries.
//!
//! A [`ServerGuard`] owns one server process and its fresh temporary directory. Whatever happens
//! to the trial (error, timeout, Ctrl-C), dropping the guard stops the process by its PID
//! (SIGTERM, then SIGKILL after a timeout) and only then removes the directory.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tempfile::TempDir;

/// How long a server gets to exit after SIGTERM before SIGKILL. Redis and RustLog fsync on a
/// graceful stop, so this must cover one flush of a few hundred MB.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// Poll step while waiting for a port to open or a process to exit.
const POLL: Duration = Duration::from_millis(20);
/// Attempts to start a server when the port picked was taken in between (see `free_port`).
const START_ATTEMPTS: usize = 3;
/// Bytes of the server log quoted in an error.
const LOG_TAIL_BYTES: u64 = 2048;

/// The directories a server is given: `root` holds the log and config files, `data` is empty.
pub struct Scratch {
    pub root: PathBuf,
    pub data: PathBuf,
}

/// What to start: `args` builds the arguments from the port and scratch directories, and may
/// write config files into `scratch.root`.
pub struct ServerSpec<'a> {
    /// Short name for messages and the temp dir prefix, e.g. "redis".
    pub name: &'static str,
    pub program: &'a Path,
    pub work_dir: &'a Path,
    pub ready_timeout: Duration,
    pub args: &'a dyn Fn(u16, &Scratch) -> Result<Vec<String>>,
}

/// A running server; stopping it and removing its directory happens on drop at the latest.
pub struct ServerGuard {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
    log_path: PathBuf,
    stopped: bool,
    // Declared last so it is removed after `Drop::drop` has stopped the process.
    _dir: TempDir,
}

impl ServerGuard {
    /// Starts the server and waits until its port accepts connections.
    pub async fn start(spec: &ServerSpec<'_>) -> Result<ServerGuard> {
        let mut last_err = None;
        for _ in 0..START_ATTEMPTS {
            let guard = Self::spawn(spec)?;
            match guard.wait_ready(spec.ready_timeout).await {
                Ok(guard) => return Ok(guard),
                // Another process may have taken the port between `free_port` and the server's
                // bind; a fresh port fixes that, so retry only that case.
                Err((err, log)) if log.contains("in use") => last_err = Some(err),
                Err((err, _)) => return Err(err),
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow::anyhow!("{} did not start", spec.name)))
    }

    fn spawn(spec: &ServerSpec<'_>) -> Result<ServerGuard> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("rustlog-compare-{}-", spec.name))
            .tempdir_in(spec.work_dir)
            .with_context(|| format!("creating a temp dir in {}", spec.work_dir.display()))?;
        let scratch = Scratch {
            root: dir.path().to_path_buf(),
            data: dir.path().join("data"),
        };
        std::fs::create_dir(&scratch.data)
            .with_context(|| format!("creating {}", scratch.data.display()))?;
        let port = free_port()?;
        let args = (spec.args)(port, &scratch)?;
        let log_path = scratch.root.join("server.log");
        let log =
            File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
        let log_err = log
            .try_clone()
            .with_context(|| format!("duplicating the handle of {}", log_path.display()))?;
        let child = Command::new(spec.program)
            .args(&args)
            .current_dir(&scratch.root)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .with_context(|| format!("starting {} {}", spec.program.display(), args.join(" ")))?;
        Ok(ServerGuard {
            name: spec.name,
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log_path,
            stopped: false,
            _dir: dir,
        })
    }

    /// Connects until the port answers; on failure returns the error and the log tail (the
    /// guard is dropped, which stops the process).
    async fn wait_ready(
        mut self,
        timeout: Duration,
    ) -> std::result::Result<ServerGuard, (anyhow::Error, String)> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    let log = self.log_tail();
                    let err = anyhow::anyhow!(
                        "{} exited during start-up ({status}); log:\n{log}",
                        self.name
                    );
                    return Err((err, log));
                }
                Ok(None) => {}
                Err(e) => {
                    let err = anyhow::Error::new(e).context(format!("checking {}", self.name));
                    return Err((err, String::new()));
                }
            }
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return Ok(self);
            }
            if Instant::now() >= deadline {
                let log = self.log_tail();
                let err = anyhow::anyhow!(
                    "{} did not accept connections on {} within {timeout:?}; log:\n{log}",
                    self.name,
                    self.addr
                );
                return Err((err, log));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Fails if the server died during the trial, so a crash is never reported as a result.
    pub fn check_alive(&mut self) -> Result<()> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => bail!(
                "{} exited during the trial ({status}); log:\n{}",
                self.name,
                self.log_tail()
            ),
            Err(e) => Err(anyhow::Error::new(e).context(format!("checking {}", self.name))),
        }
    }

    /// The end of the server's log, for error messages.
    pub fn log_tail(&self) -> String {
        read_tail(&self.log_path, LOG_TAIL_BYTES).unwrap_or_else(|e| format!("(no log: {e})"))
    }

    /// Stops the server without blocking the runtime; returns how it exited.
    pub async fn shutdown(mut self) -> Result<ExitStatus> {
        self.stopped = true;
        if let Some(status) = self.child.try_wait().context("checking the server")? {
            return Ok(status);
        }
        self.terminate();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().context("waiting for the server")? {
                return Ok(status);
            }
            tokio::time::sleep(POLL).await;
        }
        self.child.kill().context("SIGKILL")?;
        self.child.wait().context("reaping the server")?;
        bail!(
            "{} ignored SIGTERM for {STOP_TIMEOUT:?} and was killed",
            self.name
        )
    }

    fn terminate(&mut self) {
        let Ok(pid) = libc::pid_t::try_from(self.child.id()) else {
            return;
        };
        // SAFETY: kill(2) has no memory effects. The PID is our own child that has not been
        // reaped yet (try_wait returned None), so it cannot have been reused by another process.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }

    /// Blocking variant for `Drop`, where no runtime can be awaited.
    fn stop_blocking(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_)) | Err(_)) {
            return;
        }
        self.terminate();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(POLL);
        }
        // Errors here mean the process is already gone; nothing else can be done in Drop.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        if !self.stopped {
            self.stop_blocking();
        }
    }
}

/// A port that was free a moment ago: bind port 0, read what the OS chose, release it.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("binding 127.0.0.1:0")?;
    Ok(listener
        .local_addr()
        .context("reading the bound port")?
        .port())
}

fn read_tail(path: &Path, max: u64) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(max)))?;
    let mut buf = Vec::new();
    file.read_to_end(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).trim_end().to_string())
}

/// Finds `name` on PATH, then in the sbin directories Debian installs servers into (they are not
/// on a normal user's PATH, and nats-server lands in /usr/sbin).
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let fallbacks = ["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from);
    path_dirs
        .into_iter()
        .chain(fallbacks)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

pub fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// First line of `<program> <args>`, e.g. a `--version` banner.
pub fn first_line_of(program: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {} {}", program.display(), args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "{} {} failed ({}): {}",
            program.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().next().unwrap_or_default().trim().to_string())
}

/// True when `path` is on tmpfs, where fsync costs nothing and the tiers would all look alike.
pub fn is_tmpfs(path: &Path) -> Result<bool> {
    use std::os::unix::ffi::OsStrExt;
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())
        .context("the work dir path contains a NUL byte")?;
    let mut stat = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` points to writable memory of
    // the right type; statfs(2) initialises it on success, and we read it only then.
    let rc = unsafe { libc::statfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error())
            .with_context(|| format!("statfs {}", path.display()));
    }
    // SAFETY: statfs returned 0, so the struct is initialised.
    let stat = unsafe { stat.assume_init() };
    #[allow(clippy::unnecessary_cast)] // f_type's width differs between libc targets.
    Ok(stat.f_type as i64 == TMPFS_MAGIC)
}
