//! The operations endpoint on hyper (HTTP/1 only): `GET /metrics` (OpenMetrics text),
//! `GET /healthz` (200 `ok` whenever it answers) and `GET /readyz` (200 `ready` while the broker
//! accepts connections, 503 `shutting down` once a graceful shutdown began).
//!
//! Bounds: the request head is capped at [`HTTP_REQUEST_BYTES_MAX`] (hyper answers 431 above
//! it); a connection has [`HTTP_TIMEOUT`] to send its head (hyper's header read timeout) and, in
//! all, to be answered; each connection serves one request and closes (no keep-alive); at most
//! [`HTTP_CONNECTIONS_MAX`] connections are served at once, further ones wait in the listen
//! backlog until one ends.

use crate::metrics::OPENMETRICS_CONTENT_TYPE;
use crate::state::BrokerState;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Largest request head accepted (request line and headers).
pub const HTTP_REQUEST_BYTES_MAX: usize = 8 * 1024;
/// Time a client has to send its request head and, in all, to be answered.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once (scrapers and probes are few).
pub const HTTP_CONNECTIONS_MAX: usize = 16;
/// How long a stop waits for the requests in progress.
pub const HTTP_STOP_TIMEOUT: Duration = Duration::from_secs(1);
/// hyper's smallest allowed read buffer: a smaller head bound would make it panic.
const HYPER_BUF_BYTES_MIN: usize = 8192;

/// The endpoint's bounds; [`HttpLimits::default`] is the named constants.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    pub request_bytes_max: usize,
    pub timeout: Duration,
    pub connections_max: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            request_bytes_max: HTTP_REQUEST_BYTES_MAX,
            timeout: HTTP_TIMEOUT,
            connections_max: HTTP_CONNECTIONS_MAX,
        }
    }
}

/// What the endpoint reports: the broker, or a stand-in in tests.
pub trait Endpoints: Send + Sync + 'static {
    /// The `/metrics` body.
    fn metrics_text(&self) -> String;
    /// False once a graceful shutdown began.
    fn is_ready(&self) -> bool;
}

impl Endpoints for BrokerState {
    fn metrics_text(&self) -> String {
        self.render_metrics()
    }

    fn is_ready(&self) -> bool {
        !self.is_shutting_down()
    }
}

/// Serves until `stop` completes, then lets the requests in progress finish (at most
/// [`HTTP_STOP_TIMEOUT`]). It keeps answering while the broker drains, so `/readyz` says 503.
pub async fn serve<E: Endpoints>(
    endpoints: Arc<E>,
    listener: TcpListener,
    limits: HttpLimits,
    stop: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.timeout)
        .max_buf_size(limits.request_bytes_max.max(HYPER_BUF_BYTES_MIN))
        .keep_alive(false);
    let permits = Arc::new(Semaphore::new(limits.connections_max));
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = accept(&listener, &permits) => accepted,
            () = &mut stop => break,
        };
        let Some((stream, permit)) = accepted else {
            continue;
        };
        let endpoints = endpoints.clone();
        let service = hyper::service::service_fn(move |request| {
            let response = answer(endpoints.as_ref(), &request);
            async move { Ok::<_, Infallible>(response) }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that reads its answer slowly is cut at the same bound.
            let _ = tokio::time::timeout(limits.timeout, connection).await;
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(HTTP_STOP_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::debug!("metrics endpoint stopped with requests in progress");
    }
}

/// The next connection once a connection slot is free; `None` after a failed accept.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> Option<(tokio::net::TcpStream, tokio::sync::OwnedSemaphorePermit)> {
    let permit = permits.clone().acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, _)) => Some((stream, permit)),
        Err(err) => {
            tracing::warn!(error = %err, "metrics accept failed");
            // Out of file descriptors, say: do not spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

/// Routes one request: a known path with another method is 405, an unknown path 404.
fn answer<E: Endpoints>(endpoints: &E, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    if !matches!(path, "/metrics" | "/healthz" | "/readyz") {
        return text(StatusCode::NOT_FOUND, "try /metrics, /healthz or /readyz\n");
    }
    if request.method() != Method::GET {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET"));
        return response;
    }
    match path {
        "/metrics" => {
            let mut response = text(StatusCode::OK, endpoints.metrics_text());
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static(OPENMETRICS_CONTENT_TYPE),
            );
            response
        }
        "/readyz" if !endpoints.is_ready() => {
            text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
        }
        "/readyz" => text(StatusCode::OK, "ready\n"),
        _ => text(StatusCode::OK, "ok\n"),
    }
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    #[derive(Debug, Default)]
    struct Stub {
        stopping: AtomicBool,
    }

    impl Endpoints for Stub {
        fn metrics_text(&self) -> String {
            "# EOF\n".into()
        }
        fn is_ready(&self) -> bool {
            !self.stopping.load(Ordering::Relaxed)
        }
    }

    /// An endpoint on a free port with a short timeout, on its own runtime thread.
    fn start(
        limits: HttpLimits,
    ) -> (
        std::net::SocketAddr,
        Arc<Stub>,
        tokio::sync::oneshot::Sender<()>,
    ) {
        let stub = Arc::new(Stub::default());
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let endpoints = stub.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                serve(endpoints, listener, limits, async {
                    let _ = stop_rx.await;
                })
                .await;
            });
        });
        (addr_rx.recv().unwrap(), stub, stop_tx)
    }

    #[test]
    fn a_client_that_stalls_mid_request_is_dropped_after_the_timeout() {
        let timeout = Duration::from_millis(300);
        let (addr, _, _stop) = start(HttpLimits {
            timeout,
            ..HttpLimits::default()
        });
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        let started = Instant::now();
        let mut rest = Vec::new();
        // Closed (EOF or reset), whatever hyper writes first (it may send a 408).
        let _ = stream.read_to_end(&mut rest);
        let waited = started.elapsed();
        assert!(waited >= timeout / 2, "closed after {waited:?}");
        assert!(
            waited < Duration::from_secs(5),
            "still open after {waited:?}"
        );
        assert!(!String::from_utf8_lossy(&rest).contains(" 200 "));
    }

    #[test]
    fn readyz_follows_the_endpoints_and_stop_ends_the_listener() {
        let (addr, stub, stop) = start(HttpLimits::default());
        let get = |path: &str| {
            let mut stream = std::net::TcpStream::connect(addr)?;
            write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")?;
            let mut raw = String::new();
            stream.read_to_string(&mut raw)?;
            Ok::<_, std::io::Error>(raw)
        };
        assert!(get("/readyz").unwrap().starts_with("HTTP/1.1 200"));
        stub.stopping.store(true, Ordering::Relaxed);
        let raw = get("/readyz").unwrap();
        assert!(raw.starts_with("HTTP/1.1 503"), "{raw}");
        assert!(raw.ends_with("shutting down\n"), "{raw}");
        stop.send(()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while get("/healthz").is_ok() {
            assert!(Instant::now() < deadline, "still answering after stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
