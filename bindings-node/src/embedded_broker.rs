//! `NativeEmbeddedBroker`, behind `RustLog.startEmbeddedBroker({ dataDir, port })`: a full
//! `rustlog-broker` running on napi's tokio runtime inside this process, for tests and small
//! apps. It holds no libuv handle, so it never keeps Node alive by itself.

use crate::errors::{coded, invalid_argument};
use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use rustlog_broker::{Broker, BrokerConfig, BrokerError, BrokerHandle};
use rustlog_protocol::ErrorCode;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::sync::Mutex;

#[napi]
#[derive(Debug)]
pub struct NativeEmbeddedBroker {
    address: String,
    /// `None` once stopped. Dropping a running handle (GC) signals the broker to stop.
    handle: Arc<Mutex<Option<BrokerHandle>>>,
}

fn broker_error(e: &BrokerError) -> napi::Error {
    let code = match e {
        BrokerError::InvalidConfig { .. } => ErrorCode::InvalidConfig,
        BrokerError::Storage(s) => s.code(),
        BrokerError::Io { .. } => ErrorCode::StorageError,
        _ => ErrorCode::Unknown,
    };
    coded(code, false, format!("embedded broker: {e}"))
}

#[napi]
impl NativeEmbeddedBroker {
    /// Opens (or recovers) `dataDir` and listens on `host:port` (0 = a free port). The metrics
    /// HTTP listener stays off.
    #[napi(ts_return_type = "Promise<NativeEmbeddedBroker>")]
    pub fn start<'env>(
        env: &'env Env,
        data_dir: String,
        host: String,
        port: u32,
    ) -> napi::Result<PromiseRaw<'env, NativeEmbeddedBroker>> {
        let ip: IpAddr = host
            .parse()
            .map_err(|_| invalid_argument(format!("host {host:?} is not an IP address")))?;
        let port = u16::try_from(port)
            .map_err(|_| invalid_argument(format!("port {port} is above 65535")))?;
        let mut config = BrokerConfig::ephemeral(data_dir);
        config.listen = SocketAddr::new(ip, port);
        config.metrics_listen = None;
        env.spawn_future(async move {
            let handle = Broker::start(config).await.map_err(|e| broker_error(&e))?;
            Ok(NativeEmbeddedBroker {
                address: handle.local_addr().to_string(),
                handle: Arc::new(Mutex::new(Some(handle))),
            })
        })
    }

    /// `host:port` clients connect to.
    #[napi(getter)]
    pub fn address(&self) -> String {
        self.address.clone()
    }

    /// Stops accepting, ends connections, flushes and fsyncs every partition. Harmless twice.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let handle = self.handle.clone();
        env.spawn_future(async move {
            let running = handle.lock().await.take();
            match running {
                Some(h) => h.shutdown().await.map_err(|e| broker_error(&e)),
                None => Ok(()),
            }
        })
    }
}
