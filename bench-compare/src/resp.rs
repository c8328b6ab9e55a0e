//! A minimal RESP2 reader for the Redis read-back (XRANGE) loop.
//!
//! Why not the `redis` crate here: reading 10,000 stream entries per reply, its generic parser
//! builds a `Value` tree (several allocations per entry) and was measured at about half of all
//! CPU on this 2-core machine, capping catch-up at ~0.45 M msg/s while `redis-benchmark` (C,
//! no tree) drives the same server to ~1.3 M XRANGE entries/s. A comparison must measure the
//! server, not our client, so this reader walks the reply in place, reusing its buffers, and
//! still checks every entry (one field named `v`, a value of the expected length).

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;

/// Longest status/header line accepted (a RESP header is a type byte and a number).
const LINE_MAX: usize = 4096;

pub struct RespConnection {
    io: BufStream<TcpStream>,
    line: Vec<u8>,
    bulk: Vec<u8>,
}

/// What one XRANGE reply held.
pub struct RangeBatch {
    pub entries: u64,
    /// Id of the last entry, for the next exclusive start; None for an empty reply.
    pub last_id: Option<String>,
}

impl RespConnection {
    pub async fn connect(addr: &str) -> Result<RespConnection> {
        let tcp = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to redis at {addr}"))?;
        tcp.set_nodelay(true).context("TCP_NODELAY")?;
        Ok(RespConnection {
            io: BufStream::with_capacity(1 << 20, 1 << 16, tcp),
            line: Vec::with_capacity(64),
            bulk: Vec::new(),
        })
    }

    /// `XRANGE key start + COUNT count`, checking each entry is `[id, [field, value]]` with a
    /// value of `value_len` bytes.
    pub async fn xrange(
        &mut self,
        key: &str,
        start: &str,
        count: u64,
        field: &[u8],
        value_len: usize,
    ) -> Result<RangeBatch> {
        let count = count.to_string();
        self.send(&[
            b"XRANGE",
            key.as_bytes(),
            start.as_bytes(),
            b"+",
            b"COUNT",
            count.as_bytes(),
        ])
        .await?;
        let entries = self.array_len().await?.unwrap_or(0);
        let mut last_id = None;
        for _ in 0..entries {
            if self.array_len().await? != Some(2) {
                bail!("stream entry is not [id, fields]");
            }
            let id_len = self.bulk().await?;
            let id = String::from_utf8_lossy(&self.bulk[..id_len]).into_owned();
            if self.array_len().await? != Some(2) {
                bail!("entry {id} does not have exactly one field");
            }
            let name_len = self.bulk().await?;
            if self.bulk[..name_len] != *field {
                bail!("entry {id} has an unexpected field name");
            }
            let len = self.bulk().await?;
            if len != value_len {
                bail!("entry {id} has a {len}-byte value, expected {value_len}");
            }
            last_id = Some(id);
        }
        Ok(RangeBatch {
            entries: u64::try_from(entries).context("entry count")?,
            last_id,
        })
    }

    async fn send(&mut self, args: &[&[u8]]) -> Result<()> {
        let mut frame = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            frame.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            frame.extend_from_slice(arg);
            frame.extend_from_slice(b"\r\n");
        }
        self.io
            .write_all(&frame)
            .await
            .context("writing to redis")?;
        self.io.flush().await.context("writing to redis")
    }

    /// Reads one header line into `self.line` (without CRLF); a `-ERR` line becomes an error.
    async fn header(&mut self) -> Result<(u8, i64)> {
        self.line.clear();
        let n = (&mut self.io)
            .take(u64::try_from(LINE_MAX).unwrap_or(u64::MAX))
            .read_until(b'\n', &mut self.line)
            .await
            .context("reading from redis")?;
        if n == 0 {
            bail!("redis closed the connection");
        }
        if !self.line.ends_with(b"\r\n") {
            bail!("malformed RESP line (no CRLF within {LINE_MAX} bytes)");
        }
        let body = &self.line[1..self.line.len() - 2];
        let kind = self.line[0];
        if kind == b'-' {
            bail!("redis error: {}", String::from_utf8_lossy(body));
        }
        let number = std::str::from_utf8(body)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .with_context(|| {
                format!(
                    "malformed RESP header {:?}",
                    String::from_utf8_lossy(&self.line)
                )
            })?;
        Ok((kind, number))
    }

    /// An array header; None for a null array.
    async fn array_len(&mut self) -> Result<Option<usize>> {
        match self.header().await? {
            (b'*', -1) => Ok(None),
            (b'*', n) => Ok(Some(usize::try_from(n).context("array length")?)),
            (kind, _) => bail!("expected a RESP array, got type {:?}", char::from(kind)),
        }
    }

    /// A bulk string read into `self.bulk`; returns its length.
    async fn bulk(&mut self) -> Result<usize> {
        let len = match self.header().await? {
            (b'$', n) => usize::try_from(n).context("bulk length")?,
            (kind, _) => bail!(
                "expected a RESP bulk string, got type {:?}",
                char::from(kind)
            ),
        };
        // The 1 MiB cap matches --message-size's limit; a larger length is a broken stream.
        if len > (1 << 20) {
            bail!("RESP bulk string of {len} bytes is larger than any value written");
        }
        self.bulk.resize(len + 2, 0);
        self.io
            .read_exact(&mut self.bulk)
            .await
            .context("reading from redis")?;
        if !self.bulk.ends_with(b"\r\n") {
            bail!("RESP bulk string without CRLF");
        }
        Ok(len)
    }
}
