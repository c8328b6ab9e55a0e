//! A TCP proxy between a client and the broker that loses responses on purpose: told to, it
//! swallows the response to the next request of one kind (say Produce) and closes that
//! connection, which is exactly what a client sees when a broker appended a batch but the
//! answer never arrived. Everything else is forwarded frame by frame, unchanged.

use parking_lot::Mutex;
use rustlog_protocol::ApiKey;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// Bytes of the frame length prefix.
const LENGTH_BYTES: usize = 4;
/// Largest frame the proxy forwards (the protocol's frame limit).
const FRAME_BYTES_MAX: usize = rustlog_protocol::limits::FRAME_BYTES_MAX as usize;

/// What the proxy was told and what it did.
#[derive(Debug, Default)]
pub struct ProxyState {
    /// Api key whose responses are dropped, and how many more to drop.
    drop_rule: Option<(u16, usize)>,
    /// Responses dropped so far.
    pub dropped: usize,
    /// Client connections accepted so far.
    pub connections: usize,
    /// Requests forwarded, by api key.
    pub requests: HashMap<u16, usize>,
}

/// See the module docs. The listener and its connections stop with the test's runtime.
#[derive(Debug, Clone)]
pub struct LossyProxy {
    addr: SocketAddr,
    state: Arc<Mutex<ProxyState>>,
}

impl LossyProxy {
    /// Listens on a free loopback port and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> LossyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(ProxyState::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                shared.lock().connections += 1;
                tokio::spawn(relay(client, upstream, shared.clone()));
            }
        });
        LossyProxy { addr, state }
    }

    /// `127.0.0.1:PORT` for the client.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// Drops the responses to the next `count` requests of `api`, closing the connection
    /// each carried instead of answering.
    pub fn drop_responses(&self, api: ApiKey, count: usize) {
        self.state.lock().drop_rule = Some((api as u16, count));
    }

    /// Responses dropped so far.
    pub fn dropped(&self) -> usize {
        self.state.lock().dropped
    }

    /// Client connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state.lock().connections
    }

    /// Requests of `api` forwarded so far (a retry counts again).
    pub fn requests(&self, api: ApiKey) -> usize {
        let state = self.state.lock();
        state.requests.get(&(api as u16)).copied().unwrap_or(0)
    }
}

/// Api keys of the requests in flight on one connection, by correlation id.
type InFlight = Arc<Mutex<HashMap<u32, u16>>>;

async fn relay(client: TcpStream, upstream: SocketAddr, state: Arc<Mutex<ProxyState>>) {
    let Ok(broker) = TcpStream::connect(upstream).await else {
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (broker_read, broker_write) = broker.into_split();
    let in_flight = InFlight::default();
    // Either direction ending ends both: dropping the halves closes the two sockets.
    tokio::select! {
        () = requests(client_read, broker_write, in_flight.clone(), state.clone()) => {}
        () = responses(broker_read, client_write, in_flight, state) => {}
    }
}

/// Reads one whole frame (length prefix included), or `None` at the end of the stream.
async fn read_frame(from: &mut OwnedReadHalf) -> Option<Vec<u8>> {
    let mut prefix = [0u8; LENGTH_BYTES];
    from.read_exact(&mut prefix).await.ok()?;
    let len = u32::from_be_bytes(prefix) as usize;
    if len > FRAME_BYTES_MAX {
        return None;
    }
    let mut frame = vec![0u8; LENGTH_BYTES + len];
    frame[..LENGTH_BYTES].copy_from_slice(&prefix);
    from.read_exact(&mut frame[LENGTH_BYTES..]).await.ok()?;
    Some(frame)
}

fn be_u16(frame: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(frame.get(at..at + 2)?.try_into().ok()?))
}

fn be_u32(frame: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(frame.get(at..at + 4)?.try_into().ok()?))
}

/// Client → broker: notes each request's api key by correlation id (request header: api key
/// u16, api version u16, correlation id u32) and forwards it.
async fn requests(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    in_flight: InFlight,
    state: Arc<Mutex<ProxyState>>,
) {
    while let Some(frame) = read_frame(&mut from).await {
        let (Some(api), Some(id)) = (be_u16(&frame, 4), be_u32(&frame, 8)) else {
            return;
        };
        in_flight.lock().insert(id, api);
        *state.lock().requests.entry(api).or_default() += 1;
        if to.write_all(&frame).await.is_err() {
            return;
        }
    }
}

/// Broker → client: forwards each response (header: correlation id u32, error code u16)
/// unless the drop rule takes it, in which case the connection ends unanswered.
async fn responses(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    in_flight: InFlight,
    state: Arc<Mutex<ProxyState>>,
) {
    while let Some(frame) = read_frame(&mut from).await {
        let Some(id) = be_u32(&frame, 4) else { return };
        let api = in_flight.lock().remove(&id);
        if api.is_some_and(|api| take_drop(&state, api)) {
            return;
        }
        if to.write_all(&frame).await.is_err() {
            return;
        }
    }
}

/// Whether the response to a request of `api` is to be dropped (counting it if so).
fn take_drop(state: &Mutex<ProxyState>, api: u16) -> bool {
    let mut state = state.lock();
    match state.drop_rule {
        Some((rule_api, left)) if rule_api == api && left > 0 => {
            state.drop_rule = Some((rule_api, left - 1));
            state.dropped += 1;
            true
        }
        _ => false,
    }
}
