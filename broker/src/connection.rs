//! One client connection: read frames, handle them concurrently, answer strictly in arrival order.
//!
//! The connection task reads and decodes frames and pushes one response future per request into
//! a `FuturesOrdered`, so a slow request (a long-polling fetch, a durable produce) does not stop
//! the reading of the next ones, yet responses leave in request order. Finished responses go to a
//! writer task through a channel. Memory per connection is bounded:
//! - a frame's length prefix is checked against `frame_bytes_max` before anything is allocated;
//! - at most `in_flight_requests_max` requests are being handled at once;
//! - request bytes plus (estimated, then actual) response bytes held by the connection are
//!   bounded by `connection_queued_bytes_max` (a single larger request is still let through
//!   alone);
//! - the same bytes summed over every connection of both listeners are bounded by
//!   `queued_response_bytes_max` ([`QueuedBytesPool`]). A connection that already holds bytes
//!   does not start a request while the pool is full; a connection holding nothing may always
//!   start one (its minimum share), so clients that never read cannot starve one that does:
//!   it holds nothing between its requests. The pool can so be passed by at most one request
//!   per connection that held nothing.
//!
//! At a limit the connection simply stops reading (TCP back-pressure) until responses drain, so
//! nothing is dropped. A framing error, a frame that stalls half-way for `read_timeout_ms`, or
//! `idle_timeout_ms` without a request (or without the client taking a byte of its answers)
//! closes this connection only, and every byte it held returns to the pool. At shutdown the
//! connection stops reading the socket, still answers every whole request it had already read,
//! then closes once those answers are written.
//!
//! The loop is the same for both listeners; a [`Protocol`] supplies what differs (how a frame is
//! cut and decoded, its budget estimate, how it is answered): [`Native`] here, and
//! `crate::kafka::Kafka` for the Kafka listener.

use crate::handlers;
use crate::metrics::Metrics;
use crate::state::BrokerState;
use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use futures::stream::{FuturesOrdered, StreamExt};
use rustlog_protocol::frame::{decode_request_frame, REQUEST_HEADER_BYTES};
use rustlog_protocol::limits::{FETCH_BYTES_MAX, FRAME_LENGTH_BYTES};
use rustlog_protocol::messages::fetch::FetchRequest;
use rustlog_protocol::RequestFrame;
use rustlog_protocol::{ApiKey, FrameParts, PartsCursor};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

/// Bytes the reader asks the socket for at a time.
pub const READ_CHUNK_BYTES: usize = 64 * 1024;
/// Response bytes assumed for a non-fetch request before it is handled.
pub const RESPONSE_ESTIMATE_BYTES: usize = 4 * 1024;
/// Bytes the writer buffers before a syscall (small pipelined responses share one write).
pub const WRITE_BUFFER_BYTES: usize = 64 * 1024;

/// What one wire protocol plugs into the shared connection loop.
pub trait Protocol: Send + Sync + 'static {
    /// One decoded request.
    type Frame: Send + 'static;
    /// Why the byte stream cannot be read on (logged; the connection closes).
    type Error: std::fmt::Display;

    /// Cuts one whole frame off `buf` when it is there; checks the length prefix against
    /// `frame_bytes_max` before anything is allocated.
    fn decode(buf: &mut BytesMut, frame_bytes_max: u32)
        -> Result<Option<Self::Frame>, Self::Error>;

    /// Budget bytes the request holds before it is handled (its bytes plus its expected reply).
    fn estimate_bytes(frame: &Self::Frame) -> usize;

    /// Handles the request; the parts are the whole response frame (record batches shared with
    /// storage, not copied), empty for no response.
    fn respond(state: Arc<BrokerState>, frame: Self::Frame) -> BoxFuture<'static, FrameParts>;

    /// What a connection refused at the connection cap is told before it is closed.
    fn rejection(connections_max: usize) -> Option<Bytes>;
}

/// RustLog's own protocol.
#[derive(Debug)]
pub struct Native;

impl Protocol for Native {
    type Frame = RequestFrame;
    type Error = rustlog_protocol::ProtocolError;

    fn decode(
        buf: &mut BytesMut,
        frame_bytes_max: u32,
    ) -> Result<Option<RequestFrame>, Self::Error> {
        decode_request_frame(buf, frame_bytes_max)
    }

    fn estimate_bytes(frame: &RequestFrame) -> usize {
        estimate_bytes(&frame.header.api_key, &frame.body)
    }

    fn respond(state: Arc<BrokerState>, frame: RequestFrame) -> BoxFuture<'static, FrameParts> {
        Box::pin(handlers::handle(state, frame))
    }

    fn rejection(connections_max: usize) -> Option<Bytes> {
        let mut out = BytesMut::new();
        rustlog_protocol::encode_rejection(
            &mut out,
            rustlog_protocol::ErrorCode::TooManyConnections,
            &format!("the broker is at its limit of {connections_max} connections"),
        );
        Some(out.freeze())
    }
}

/// Request and response bytes held by every connection of both listeners together
/// (`queued_response_bytes_max`), shared through [`BrokerState`].
#[derive(Debug)]
pub struct QueuedBytesPool {
    used: AtomicUsize,
    max: usize,
    freed: Notify,
}

impl QueuedBytesPool {
    /// An empty pool of `max` bytes.
    pub fn new(max: usize) -> Self {
        QueuedBytesPool {
            used: AtomicUsize::new(0),
            max,
            freed: Notify::new(),
        }
    }

    /// Bytes held now.
    pub fn used_bytes(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    fn has_room(&self) -> bool {
        self.used_bytes() < self.max
    }

    fn reserve(&self, bytes: usize) {
        self.used.fetch_add(bytes, Ordering::AcqRel);
    }

    fn release(&self, bytes: usize) {
        saturating_sub(&self.used, bytes);
        // Wakes every connection waiting for the pool; one that finds it full again waits on.
        self.freed.notify_waiters();
    }
}

/// Subtracts without wrapping: release never exceeds what was reserved, but never wrap if it did.
fn saturating_sub(counter: &AtomicUsize, bytes: usize) {
    let _ = counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
        Some(used.saturating_sub(bytes))
    });
}

/// Bytes of requests and responses one connection holds, also counted in the broker-wide pool.
#[derive(Debug)]
struct ByteBudget {
    used: AtomicUsize,
    max: usize,
    freed: Notify,
    pool: Arc<QueuedBytesPool>,
}

impl ByteBudget {
    fn new(max: usize, pool: Arc<QueuedBytesPool>) -> Self {
        ByteBudget {
            used: AtomicUsize::new(0),
            max: max.min(pool.max),
            freed: Notify::new(),
            pool,
        }
    }

    /// Whether the connection may start another request: under its own limit, and the pool has
    /// room unless the connection holds nothing (its minimum share).
    fn has_room(&self) -> bool {
        let used = self.used.load(Ordering::Acquire);
        used < self.max && (used == 0 || self.pool.has_room())
    }

    /// True when only the broker-wide pool holds the connection back.
    fn waits_for_pool(&self) -> bool {
        self.used.load(Ordering::Acquire) < self.max && !self.has_room()
    }

    fn reserve(&self, bytes: usize) {
        self.used.fetch_add(bytes, Ordering::AcqRel);
        self.pool.reserve(bytes);
    }

    fn release(&self, bytes: usize) {
        saturating_sub(&self.used, bytes);
        self.pool.release(bytes);
        // notify_one stores a permit when nobody waits yet, so a release that races with the
        // reader's check is never lost.
        self.freed.notify_one();
    }
}

impl Drop for ByteBudget {
    /// Whatever the connection still holds when it is gone (answers it never took, requests cut
    /// short by a broken socket) goes back to the broker-wide pool.
    fn drop(&mut self) {
        self.pool.release(self.used.load(Ordering::Acquire));
    }
}

/// A finished response and the budget bytes it holds.
struct Outgoing {
    frame: FrameParts,
    reserved: usize,
}

/// Why a connection ended (for the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    ClientClosed,
    Shutdown,
    FramingError,
    ReadStalled,
    Idle,
    IoError,
    WriterGone,
}

/// Serves one connection until it ends.
pub async fn serve<P: Protocol>(state: Arc<BrokerState>, stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let (mut reader, writer) = stream.into_split();
    let budget = Arc::new(ByteBudget::new(
        state.config.limits.connection_queued_bytes_max,
        state.queued_bytes.clone(),
    ));
    let (tx, rx) = mpsc::unbounded_channel::<Outgoing>();
    let mut writer_task = tokio::spawn(write_loop(writer, rx, state.clone(), budget.clone()));
    let end = read_loop::<P>(&state, &mut reader, &tx, &budget, peer).await;
    drop(tx);
    match end {
        End::FramingError | End::ReadStalled | End::Idle => {
            Metrics::add(&state.metrics.connections_closed_bad_input, 1);
        }
        _ => {}
    }
    tracing::debug!(%peer, ?end, "connection ended");
    // Let the writer send what is queued, but never wait forever on a client that does not read.
    let drain = Duration::from_millis(state.config.limits.shutdown_timeout_ms);
    match tokio::time::timeout(drain, &mut writer_task).await {
        // A client that stopped reading is idle too (the read side saw only `WriterGone`).
        Ok(Ok(WriterEnd::Stalled)) if end == End::WriterGone => {
            Metrics::add(&state.metrics.connections_closed_bad_input, 1);
        }
        Ok(_) => {}
        Err(_) => writer_task.abort(),
    }
}

async fn read_loop<P: Protocol>(
    state: &Arc<BrokerState>,
    reader: &mut tokio::net::tcp::OwnedReadHalf,
    tx: &mpsc::UnboundedSender<Outgoing>,
    budget: &Arc<ByteBudget>,
    peer: SocketAddr,
) -> End {
    let limits = &state.config.limits;
    let idle_timeout = Duration::from_millis(limits.idle_timeout_ms);
    let read_timeout = Duration::from_millis(limits.read_timeout_ms);
    let mut buf = BytesMut::with_capacity(READ_CHUNK_BYTES);
    let mut in_flight: FuturesOrdered<BoxFuture<'static, Outgoing>> = FuturesOrdered::new();
    let mut shutdown = state.shutdown.clone();
    // `draining`: read nothing more from the socket (shutdown or a framing error); whole
    // requests already buffered are still answered unless the stream is `broken`.
    let mut draining = *shutdown.borrow();
    let mut broken = false;
    let mut end: Option<End> = draining.then_some(End::Shutdown);
    let mut eof = false;
    let mut last_activity = Instant::now();
    let mut frame_started: Option<Instant> = None;

    loop {
        // Dispatch every whole frame already buffered, as far as the limits allow.
        let mut consumed = false;
        let mut held_back = false;
        while !broken {
            if in_flight.len() >= limits.in_flight_requests_max || !budget.has_room() {
                held_back = !buf.is_empty();
                break;
            }
            match P::decode(&mut buf, limits.frame_bytes_max) {
                Ok(Some(frame)) => {
                    consumed = true;
                    let reserved = P::estimate_bytes(&frame).min(budget.max);
                    budget.reserve(reserved);
                    in_flight.push_back(Box::pin(respond::<P>(
                        state.clone(),
                        frame,
                        reserved,
                        budget.clone(),
                    )));
                }
                Ok(None) => break,
                Err(err) => {
                    // No correlation id can be trusted: close this connection only.
                    tracing::warn!(%peer, error = %err, "framing error; closing connection");
                    draining = true;
                    broken = true;
                    end = Some(End::FramingError);
                    buf.clear();
                }
            }
        }
        let now = Instant::now();
        if consumed {
            last_activity = now;
        }
        frame_started = match (buf.is_empty(), consumed, frame_started) {
            (true, _, _) => None,
            (false, true, _) | (false, false, None) => Some(now),
            (false, false, Some(started)) => Some(started),
        };
        if (draining || eof) && in_flight.is_empty() && !held_back {
            return end.unwrap_or(End::ClientClosed);
        }
        let can_read = !draining
            && !eof
            && in_flight.len() < limits.in_flight_requests_max
            && budget.has_room();
        if !can_read && frame_started.is_some() {
            // The broker, not the client, is holding the frame back: restart its clock.
            frame_started = Some(now);
        }
        // A half frame must complete within the read timeout; an idle connection is closed.
        let deadline = match frame_started {
            Some(started) if can_read => Some((started + read_timeout, End::ReadStalled)),
            None if in_flight.is_empty() && !draining => {
                Some((last_activity + idle_timeout, End::Idle))
            }
            _ => None,
        };
        if can_read {
            buf.reserve(READ_CHUNK_BYTES);
        }
        // Held back by a limit: wait for this connection's bytes (or the pool's) to be freed.
        let wait_for_room = !can_read && (held_back || (!draining && !eof));
        tokio::select! {
            biased;
            Some(out) = in_flight.next(), if !in_flight.is_empty() => {
                last_activity = Instant::now();
                if tx.send(out).is_err() {
                    return End::WriterGone;
                }
            }
            changed = shutdown.changed(), if !draining => {
                if changed.is_err() || *shutdown.borrow() {
                    draining = true;
                    end.get_or_insert(End::Shutdown);
                }
            }
            read = reader.read_buf(&mut buf), if can_read => match read {
                Ok(0) => {
                    eof = true;
                    end.get_or_insert(End::ClientClosed);
                }
                Ok(n) => Metrics::add(&state.metrics.bytes_in, n as u64),
                Err(err) => {
                    tracing::debug!(%peer, error = %err, "read failed");
                    return End::IoError;
                }
            },
            // The writer gave up (a write error, or the client stopped reading): stop too.
            _ = tx.closed() => return End::WriterGone,
            _ = budget.freed.notified(), if wait_for_room => {}
            _ = budget.pool.freed.notified(), if wait_for_room && budget.waits_for_pool() => {}
            _ = sleep_until_opt(deadline.map(|(at, _)| at)), if deadline.is_some() => {
                let reason = deadline.map_or(End::Idle, |(_, reason)| reason);
                tracing::info!(%peer, ?reason, "closing connection on timeout");
                return reason;
            }
        }
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Budget bytes a request holds before it is handled: its own bytes plus its response's
/// expected size (a fetch's `max_bytes`, clamped; a small constant otherwise).
fn estimate_bytes(api_key: &u16, body: &Bytes) -> usize {
    let frame = FRAME_LENGTH_BYTES + REQUEST_HEADER_BYTES + body.len();
    let response = if *api_key == ApiKey::Fetch.code() {
        FetchRequest::peek_max_bytes(body).map_or(RESPONSE_ESTIMATE_BYTES, |max| {
            max.min(FETCH_BYTES_MAX) as usize + RESPONSE_ESTIMATE_BYTES
        })
    } else {
        RESPONSE_ESTIMATE_BYTES
    };
    frame + response
}

/// Handles one request; the budget is corrected to the real response size.
async fn respond<P: Protocol>(
    state: Arc<BrokerState>,
    frame: P::Frame,
    reserved: usize,
    budget: Arc<ByteBudget>,
) -> Outgoing {
    let frame = P::respond(state, frame).await;
    let reserved = if frame.len() > reserved {
        budget.reserve(frame.len() - reserved);
        frame.len()
    } else {
        reserved
    };
    Outgoing { frame, reserved }
}

async fn write_loop(
    writer: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    state: Arc<BrokerState>,
    budget: Arc<ByteBudget>,
) -> WriterEnd {
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER_BYTES, writer);
    let stall_timeout = Duration::from_millis(state.config.limits.idle_timeout_ms);
    while let Some(out) = rx.recv().await {
        let mut pending = vec![out];
        // Coalesce what is already queued into one flush.
        while let Ok(more) = rx.try_recv() {
            pending.push(more);
        }
        // Some(stalled) once a write failed.
        let mut failed: Option<bool> = None;
        for out in &pending {
            if failed.is_none() {
                match write_parts(&mut writer, &out.frame, stall_timeout).await {
                    Ok(()) => Metrics::add(&state.metrics.bytes_out, out.frame.len() as u64),
                    Err(err) => failed = Some(err.kind() == std::io::ErrorKind::TimedOut),
                }
            }
        }
        if failed.is_none() {
            failed = match tokio::time::timeout(stall_timeout, writer.flush()).await {
                Ok(Ok(())) => None,
                Ok(Err(_)) => Some(false),
                Err(_) => Some(true),
            };
        }
        for out in &pending {
            budget.release(out.reserved);
        }
        match failed {
            Some(true) => return WriterEnd::Stalled,
            Some(false) => return WriterEnd::Failed,
            None => {}
        }
    }
    let _ = writer.shutdown().await;
    WriterEnd::Done
}

/// How the writer task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriterEnd {
    Done,
    Failed,
    /// The client took nothing for `idle_timeout_ms`.
    Stalled,
}

/// Writes a frame's parts in order with vectored writes: a frame of a buffer's size or more (a
/// fetch's stored batches) goes from storage's bytes to the socket in few syscalls, without a
/// copy into the buffer; smaller ones are gathered in the buffer. A client that takes none of a
/// write for `stall_timeout` (`idle_timeout_ms`: it stopped reading, as Kafka counts a
/// connection without traffic either way as idle) fails it, so it cannot hold its connection
/// and queued bytes for ever.
async fn write_parts(
    writer: &mut BufWriter<OwnedWriteHalf>,
    frame: &FrameParts,
    stall_timeout: Duration,
) -> std::io::Result<()> {
    let mut parts = PartsCursor::new();
    parts.push(frame.clone());
    while !parts.is_empty() {
        let written =
            match tokio::time::timeout(stall_timeout, writer.write_vectored(&parts.io_slices()))
                .await
            {
                Ok(written) => written?,
                Err(_) => {
                    tracing::info!("client stopped reading its answers; closing connection");
                    return Err(std::io::ErrorKind::TimedOut.into());
                }
            };
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        parts.advance(written);
    }
    Ok(())
}
