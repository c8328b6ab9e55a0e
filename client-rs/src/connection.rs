//! One TCP connection to the broker, pipelined: callers hand over request bodies, a writer task
//! frames them (assigning correlation ids) and writes them in bulk, a reader task matches each
//! response to the oldest pending request (the broker answers in order) and checks that the
//! correlation ids agree. Any I/O or framing failure kills the connection and fails every
//! pending request with `Disconnected`; [`ConnSlot`] opens a new one on the next call.

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use bytes::BytesMut;
use parking_lot::Mutex;
use rustlog_protocol::frame::{decode_response_frame, request_frame_parts};
use rustlog_protocol::limits::{FRAME_BYTES_MAX, FRAME_LENGTH_BYTES};
use rustlog_protocol::{
    decode_rejection, ApiKey, ErrorCode, Request, Response, ResponseBody, ResponseFrame,
    REJECTION_CORRELATION_ID,
};
use rustlog_protocol::{FrameParts, PartsCursor};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Read buffer growth step.
const READ_CHUNK_BYTES: usize = 64 * 1024;
/// Most queued requests the writer coalesces into one write.
const WRITE_COALESCE_MAX: usize = 256;

type Reply = oneshot::Sender<Result<ResponseFrame>>;

struct Outgoing {
    api: ApiKey,
    body: FrameParts,
    reply: Reply,
    permit: OwnedSemaphorePermit,
}

struct Pending {
    correlation_id: u32,
    reply: Reply,
    _permit: OwnedSemaphorePermit,
}

/// State shared by the handle and the two tasks.
struct Shared {
    addr: String,
    /// Requests written and not yet answered, oldest first. `dead` is read and set under this
    /// lock, so nothing is queued after the queue was failed.
    pending: Mutex<PendingQueue>,
    dead: AtomicBool,
    died: Notify,
}

struct PendingQueue {
    queue: VecDeque<Pending>,
    dead_reason: Option<String>,
    /// The broker refused the connection (SPEC.md §3.4): its code and message, retriable.
    refused: Option<(ErrorCode, String)>,
}

impl Shared {
    /// Marks the connection dead and fails everything pending with `Disconnected`
    /// (retriable: the request may succeed on a new connection). Idempotent.
    fn kill(&self, reason: &str) {
        self.kill_with(reason, false);
    }

    /// Like [`Self::kill`], but the broker sent bytes that are not a valid response: pending
    /// requests fail with `ProtocolViolation`, which is not retried (the peer is probably not
    /// a RustLog broker).
    fn kill_violation(&self, reason: &str) {
        self.kill_with(reason, true);
    }

    /// The broker refused the connection with the unsolicited frame of SPEC.md §3.4: every
    /// pending and later request fails with its code (`TooManyConnections`, retriable), so the
    /// caller's retry loop reconnects with backoff.
    fn kill_refused(&self, code: ErrorCode, message: String) {
        self.pending.lock().refused.get_or_insert((code, message));
        self.kill("the broker refused the connection");
    }

    fn kill_with(&self, reason: &str, violation: bool) {
        let drained: Vec<Pending> = {
            let mut q = self.pending.lock();
            if q.dead_reason.is_none() {
                q.dead_reason = Some(reason.to_string());
            }
            self.dead.store(true, Ordering::Release);
            q.queue.drain(..).collect()
        };
        self.died.notify_waiters();
        let reason = self.pending.lock().dead_reason.clone().unwrap_or_default();
        for p in drained {
            let err = if violation {
                Error::violation(format!("{reason} (from {})", self.addr))
            } else {
                self.dead_error()
            };
            let _ = p.reply.send(Err(err));
        }
    }

    fn disconnected(&self, reason: &str) -> Error {
        Error::Disconnected {
            addr: self.addr.clone(),
            reason: reason.to_string(),
        }
    }

    fn dead_error(&self) -> Error {
        let q = self.pending.lock();
        if let Some((code, message)) = &q.refused {
            return Error::broker(*code, format!("{message} (at {})", self.addr));
        }
        let reason = q
            .dead_reason
            .clone()
            .unwrap_or_else(|| "connection closed".to_string());
        drop(q);
        self.disconnected(&reason)
    }

    async fn wait_dead(&self) {
        loop {
            let notified = self.died.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.dead.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }
}

/// A live (or dead) pipelined connection.
pub(crate) struct Connection {
    shared: Arc<Shared>,
    tx: mpsc::UnboundedSender<Outgoing>,
    in_flight: Arc<Semaphore>,
    request_timeout: Duration,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("addr", &self.shared.addr)
            .field("alive", &self.is_alive())
            .finish()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.shared.kill("connection dropped by the client");
    }
}

impl Connection {
    /// Opens a TCP connection to `addr` and starts its reader and writer tasks.
    pub(crate) async fn open(addr: SocketAddr, config: &ClientConfig) -> Result<Connection> {
        let addr_text = addr.to_string();
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| Error::Disconnected {
                addr: addr_text.clone(),
                reason: e.to_string(),
            })?;
        // Small requests (heartbeats, single records) must not wait for Nagle.
        let _ = stream.set_nodelay(true);
        let (read_half, write_half) = stream.into_split();
        let shared = Arc::new(Shared {
            addr: addr_text,
            pending: Mutex::new(PendingQueue {
                queue: VecDeque::new(),
                dead_reason: None,
                refused: None,
            }),
            dead: AtomicBool::new(false),
            died: Notify::new(),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(shared.clone(), write_half, rx));
        tokio::spawn(read_loop(shared.clone(), read_half));
        Ok(Connection {
            shared,
            tx,
            in_flight: Arc::new(Semaphore::new(config.max_in_flight_per_connection)),
            request_timeout: config.request_timeout,
        })
    }

    pub(crate) fn is_alive(&self) -> bool {
        !self.shared.dead.load(Ordering::Acquire)
    }

    /// Sends one request body and waits up to `wait` for its response frame.
    ///
    /// A wait of at least the request timeout that elapses means the broker stalled: the
    /// connection is killed so the next call reconnects. A shorter wait (the caller's own
    /// deadline) only abandons this request.
    pub(crate) async fn round_trip(
        &self,
        api: ApiKey,
        body: FrameParts,
        wait: Duration,
    ) -> Result<ResponseFrame> {
        let deadline = Instant::now() + wait;
        let permit = tokio::time::timeout_at(deadline, self.in_flight.clone().acquire_owned())
            .await
            .map_err(|_| Error::timed_out(format!("{api} (waiting for an in-flight slot)"), wait))?
            .map_err(|_| self.shared.dead_error())?;
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Outgoing {
                api,
                body,
                reply,
                permit,
            })
            .map_err(|_| self.shared.dead_error())?;
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(self.shared.dead_error()),
            Err(_) => {
                if wait >= self.request_timeout {
                    self.shared
                        .kill(&format!("{api} got no response within {wait:?}"));
                }
                Err(Error::timed_out(api.name(), wait))
            }
        }
    }

    /// Sends a typed request and decodes the response; broker errors become [`Error::Broker`].
    pub(crate) async fn request(
        &self,
        api: ApiKey,
        body: FrameParts,
        wait: Duration,
    ) -> Result<Response> {
        let frame = self.round_trip(api, body, wait).await?;
        decode_response(api, &frame)
    }
}

/// Decodes a response frame to a request of kind `api`.
pub(crate) fn decode_response(api: ApiKey, frame: &ResponseFrame) -> Result<Response> {
    match Response::decode(api, frame) {
        Ok(ResponseBody::Ok(response)) => Ok(response),
        Ok(ResponseBody::Err { code, message }) => Err(Error::broker(code, message)),
        Err(e) => Err(Error::violation(format!("{api} response: {e}"))),
    }
}

/// Encodes a request body once, so retries resend the same bytes (its batches shared, not
/// copied).
pub(crate) fn encode_request(request: &Request) -> Result<(ApiKey, FrameParts)> {
    let body = request
        .encode_body_parts()
        .map_err(|e| Error::invalid(format!("cannot encode {}: {e}", request.api_key())))?;
    Ok((request.api_key(), body))
}

/// Writes everything queued in `parts` in order with vectored writes (the requests coalesced
/// in one pass and their batches, without copying them together).
async fn write_all_parts(
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
    parts: &mut PartsCursor,
) -> std::io::Result<()> {
    while !parts.is_empty() {
        let written = writer.write_vectored(&parts.io_slices()).await?;
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        parts.advance(written);
    }
    Ok(())
}

async fn write_loop(
    shared: Arc<Shared>,
    mut writer: tokio::net::tcp::OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
) {
    let mut correlation_id: u32 = 0;
    let mut parts = PartsCursor::new();
    let mut batch: Vec<Outgoing> = Vec::with_capacity(WRITE_COALESCE_MAX);
    loop {
        let first = tokio::select! {
            next = rx.recv() => next,
            () = shared.wait_dead() => None,
        };
        let Some(first) = first else { break };
        batch.push(first);
        while batch.len() < WRITE_COALESCE_MAX {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        {
            let mut q = shared.pending.lock();
            if q.dead_reason.is_some() {
                drop(q);
                for out in batch.drain(..) {
                    let _ = out.reply.send(Err(shared.dead_error()));
                }
                break;
            }
            for out in batch.drain(..) {
                // Never the id of the broker's unsolicited rejection frame (SPEC.md §3.4).
                correlation_id = correlation_id
                    .wrapping_add(1)
                    .max(REJECTION_CORRELATION_ID + 1);
                parts.push(request_frame_parts(out.api, 0, correlation_id, &out.body));
                q.queue.push_back(Pending {
                    correlation_id,
                    reply: out.reply,
                    _permit: out.permit,
                });
            }
        }
        if let Err(e) = write_all_parts(&mut writer, &mut parts).await {
            shared.kill(&format!("write failed: {e}"));
            break;
        }
    }
    // Requests still queued in the channel never reached the socket.
    rx.close();
    while let Ok(out) = rx.try_recv() {
        let _ = out.reply.send(Err(shared.dead_error()));
    }
    let _ = writer.shutdown().await;
}

async fn read_loop(shared: Arc<Shared>, mut reader: tokio::net::tcp::OwnedReadHalf) {
    let mut buf = BytesMut::with_capacity(READ_CHUNK_BYTES);
    loop {
        loop {
            match decode_response_frame(&mut buf, FRAME_BYTES_MAX) {
                Ok(Some(frame)) => {
                    // Checked first: the refusal may come before or after requests were sent.
                    if let Some((code, message)) = decode_rejection(&frame) {
                        shared.kill_refused(code, message);
                        return;
                    }
                    let pending = shared.pending.lock().queue.pop_front();
                    match pending {
                        Some(p) if p.correlation_id == frame.header.correlation_id => {
                            let _ = p.reply.send(Ok(frame));
                        }
                        Some(p) => {
                            let reason = format!(
                                "response correlation id {} does not match the oldest request {}",
                                frame.header.correlation_id, p.correlation_id
                            );
                            let _ = p.reply.send(Err(Error::violation(reason.clone())));
                            shared.kill_violation(&reason);
                            return;
                        }
                        None => {
                            shared.kill_violation(&format!(
                                "unsolicited response with correlation id {}",
                                frame.header.correlation_id
                            ));
                            return;
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    shared.kill_violation(&format!("bad response frame: {e}"));
                    return;
                }
            }
        }
        // Room for the whole frame being read (its length was checked by the decoder), so
        // a large fetch response is read without repeated reallocation and copying.
        let wanted = match buf.get(..FRAME_LENGTH_BYTES) {
            Some(prefix) => {
                let mut raw = [0u8; FRAME_LENGTH_BYTES];
                raw.copy_from_slice(prefix);
                (u32::from_be_bytes(raw) as usize + FRAME_LENGTH_BYTES).saturating_sub(buf.len())
            }
            None => 0,
        };
        let wanted = wanted.max(READ_CHUNK_BYTES / 4);
        if buf.capacity() - buf.len() < wanted {
            buf.reserve(wanted.max(READ_CHUNK_BYTES));
        }
        let read = tokio::select! {
            r = reader.read_buf(&mut buf) => r,
            () = shared.wait_dead() => return,
        };
        match read {
            Ok(0) => {
                shared.kill("connection closed by the broker");
                return;
            }
            Ok(_) => {}
            Err(e) => {
                shared.kill(&format!("read failed: {e}"));
                return;
            }
        }
    }
}

/// A reconnecting connection: hands out the live connection, or opens a new one with
/// exponential, jittered backoff until the caller's deadline. Each producer, consumer and admin
/// has its own slot so a long-polling fetch never delays a produce or a heartbeat.
#[derive(Debug)]
pub(crate) struct ConnSlot {
    config: Arc<ClientConfig>,
    current: Mutex<Option<Arc<Connection>>>,
    connecting: tokio::sync::Mutex<()>,
}

impl ConnSlot {
    pub(crate) fn new(config: Arc<ClientConfig>) -> Self {
        ConnSlot {
            config,
            current: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn live(&self) -> Option<Arc<Connection>> {
        let guard = self.current.lock();
        guard.as_ref().filter(|c| c.is_alive()).cloned()
    }

    /// The live connection, reconnecting (with backoff) until `deadline` if there is none.
    pub(crate) async fn connection(&self, deadline: Instant) -> Result<Arc<Connection>> {
        if let Some(conn) = self.live() {
            return Ok(conn);
        }
        let _connecting = tokio::time::timeout_at(deadline, self.connecting.lock())
            .await
            .map_err(|_| {
                Error::timed_out("connect (waiting for another reconnect)", Duration::ZERO)
            })?;
        if let Some(conn) = self.live() {
            return Ok(conn);
        }
        let conn = Arc::new(connect_with_backoff(&self.config, deadline).await?);
        *self.current.lock() = Some(conn.clone());
        Ok(conn)
    }

    /// Drops the current connection (the next call reconnects).
    pub(crate) fn reset(&self) {
        let old = self.current.lock().take();
        drop(old);
    }

    /// Sends `request`, retrying retriable failures (broker codes flagged retriable,
    /// disconnects, stalls) with backoff until `deadline`.
    pub(crate) async fn call(&self, request: &Request, deadline: Instant) -> Result<Response> {
        let (api, body) = encode_request(request)?;
        self.call_raw(api, body, deadline).await
    }

    /// Like [`Self::call`], but broker errors are returned at once; only connection failures
    /// are retried. For requests whose broker errors the caller must see (heartbeats, commits).
    pub(crate) async fn call_no_broker_retry(
        &self,
        request: &Request,
        deadline: Instant,
    ) -> Result<Response> {
        let (api, body) = encode_request(request)?;
        self.call_inner(api, body, deadline, false).await
    }

    pub(crate) async fn call_raw(
        &self,
        api: ApiKey,
        body: FrameParts,
        deadline: Instant,
    ) -> Result<Response> {
        self.call_inner(api, body, deadline, true).await
    }

    async fn call_inner(
        &self,
        api: ApiKey,
        body: FrameParts,
        deadline: Instant,
        retry_broker_errors: bool,
    ) -> Result<Response> {
        let mut attempt: u32 = 0;
        loop {
            let result = match self.connection(deadline).await {
                Ok(conn) => {
                    let wait = deadline
                        .saturating_duration_since(Instant::now())
                        .min(self.config.request_timeout);
                    conn.request(api, body.clone(), wait).await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(response) => return Ok(response),
                Err(e)
                    if e.is_retriable() && (retry_broker_errors || e.is_connection_failure()) =>
                {
                    let pause = backoff(&self.config, attempt);
                    if Instant::now() + pause >= deadline {
                        return Err(e);
                    }
                    tracing::debug!(%api, attempt, error = %e, "retrying");
                    tokio::time::sleep(pause).await;
                    attempt = attempt.saturating_add(1);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// The delay before reconnect attempt `attempt` (0-based): exponential from the configured
/// first delay up to the max, jittered to 50-150% so many clients do not reconnect in step.
pub(crate) fn backoff(config: &ClientConfig, attempt: u32) -> Duration {
    let base = config
        .reconnect_backoff
        .saturating_mul(1u32 << attempt.min(16))
        .min(config.reconnect_backoff_max);
    let jitter: f64 = rand::Rng::gen_range(&mut rand::thread_rng(), 0.5..1.5);
    base.mul_f64(jitter).min(config.reconnect_backoff_max)
}

/// Resolves the broker address (an unresolvable one is an argument error, not retried).
pub(crate) async fn resolve(addr: &str) -> Result<SocketAddr> {
    let mut addrs = tokio::net::lookup_host(addr)
        .await
        .map_err(|e| Error::invalid(format!("broker address {addr:?}: {e}")))?;
    addrs
        .next()
        .ok_or_else(|| Error::invalid(format!("broker address {addr:?} resolves to nothing")))
}

/// Resolves every bootstrap address; one that does not resolve is skipped while another does.
async fn resolve_all(config: &ClientConfig) -> Result<Vec<SocketAddr>> {
    let mut out = Vec::new();
    let mut first_error = None;
    for addr in config.broker_addrs()? {
        match resolve(addr).await {
            Ok(resolved) => out.push(resolved),
            Err(e) => {
                tracing::debug!(addr, error = %e, "bootstrap address skipped");
                first_error.get_or_insert(e);
            }
        }
    }
    match (out.is_empty(), first_error) {
        (true, Some(e)) => Err(e),
        _ => Ok(out),
    }
}

async fn connect_with_backoff(config: &ClientConfig, deadline: Instant) -> Result<Connection> {
    let addrs = resolve_all(config).await?;
    let mut attempt: u32 = 0;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let wait = remaining.min(config.connect_timeout);
        // Each attempt takes the next bootstrap address.
        let addr = addrs[attempt as usize % addrs.len()];
        let err = match tokio::time::timeout(wait, Connection::open(addr, config)).await {
            Ok(Ok(conn)) => return Ok(conn),
            Ok(Err(e)) => e,
            Err(_) => Error::Disconnected {
                addr: addr.to_string(),
                reason: format!("connect timed out after {wait:?}"),
            },
        };
        // A refused address moves on to the next one at once; a full round backs off.
        if !(attempt as usize + 1).is_multiple_of(addrs.len()) {
            attempt = attempt.saturating_add(1);
            continue;
        }
        let rounds = u32::try_from(attempt as usize / addrs.len()).unwrap_or(u32::MAX);
        let pause = backoff(config, rounds);
        if Instant::now() + pause >= deadline {
            return Err(err);
        }
        tracing::debug!(addr = %config.broker_addr, attempt, error = %err, "reconnecting");
        tokio::time::sleep(pause).await;
        attempt = attempt.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustlog_protocol::frame::decode_request_frame;
    use rustlog_protocol::messages::ping::{PingRequest, PingResponse};
    use tokio::net::TcpListener;

    /// A scripted broker: answers every request with Ping responses, in order, optionally
    /// with a wrong correlation id.
    async fn fake_broker(corrupt_ids: bool) -> (SocketAddr, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = BytesMut::new();
            loop {
                while let Some(frame) = decode_request_frame(&mut buf, FRAME_BYTES_MAX).unwrap() {
                    let mut out = BytesMut::new();
                    let id = frame.header.correlation_id + u32::from(corrupt_ids);
                    Response::Ping(PingResponse {})
                        .encode_frame(id, &mut out)
                        .unwrap();
                    sock.write_all(&out).await.unwrap();
                }
                if sock.read_buf(&mut buf).await.unwrap() == 0 {
                    return;
                }
            }
        });
        (addr, task)
    }

    fn config(addr: SocketAddr) -> ClientConfig {
        ClientConfig {
            broker_addr: addr.to_string(),
            ..ClientConfig::default()
        }
    }

    #[tokio::test]
    async fn pipelined_requests_match_their_responses() {
        let (addr, _task) = fake_broker(false).await;
        let conn = Arc::new(Connection::open(addr, &config(addr)).await.unwrap());
        let (api, body) = encode_request(&Request::Ping(PingRequest {})).unwrap();
        let calls = (0..100).map(|_| {
            let conn = conn.clone();
            let body = body.clone();
            async move { conn.request(api, body, Duration::from_secs(5)).await }
        });
        for result in futures::future::join_all(calls).await {
            assert_eq!(result.unwrap(), Response::Ping(PingResponse {}));
        }
    }

    #[tokio::test]
    async fn a_mismatched_correlation_id_kills_the_connection() {
        let (addr, _task) = fake_broker(true).await;
        let conn = Connection::open(addr, &config(addr)).await.unwrap();
        let (api, body) = encode_request(&Request::Ping(PingRequest {})).unwrap();
        let err = conn
            .request(api, body, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), rustlog_protocol::ErrorCode::ProtocolViolation);
        assert!(!conn.is_alive());
    }

    #[tokio::test]
    async fn connecting_to_a_closed_port_fails_within_the_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let slot = ConnSlot::new(Arc::new(config(addr)));
        let started = Instant::now();
        let err = slot
            .connection(Instant::now() + Duration::from_millis(300))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), rustlog_protocol::ErrorCode::Disconnected);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_peer_that_is_not_a_broker_fails_fast_and_is_not_retried() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            // An HTTP server's answer: read as a length prefix it is far above the limit.
            let _ = sock.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
            let mut sink = [0u8; 1024];
            while sock.read(&mut sink).await.is_ok_and(|n| n > 0) {}
        });
        let slot = ConnSlot::new(Arc::new(config(addr)));
        let started = Instant::now();
        let err = slot
            .call(
                &Request::Ping(PingRequest {}),
                Instant::now() + Duration::from_secs(10),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), rustlog_protocol::ErrorCode::ProtocolViolation);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "not retried until the deadline"
        );
    }

    #[test]
    fn backoff_grows_and_stays_under_the_max() {
        let cfg = ClientConfig::default();
        for attempt in 0..40 {
            let pause = backoff(&cfg, attempt);
            assert!(pause <= cfg.reconnect_backoff_max);
            assert!(pause >= cfg.reconnect_backoff / 2);
        }
        assert!(backoff(&cfg, 10) > cfg.reconnect_backoff * 2);
    }
}
