//! `rustlog.EmbeddedBroker`: a real broker running in-process (on its own threads), for tests
//! and small apps. Without a `data_dir` it uses a temporary directory removed on stop.

use parking_lot::Mutex;
use std::net::SocketAddr;
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyType;
use rustlog_broker::{BrokerConfig, BrokerError, EmbeddedBroker as Broker};
use rustlog_protocol::ErrorCode;

use crate::errors::py_error;
use crate::wait::on_thread;

fn broker_error(py: Python<'_>, err: BrokerError) -> PyErr {
    let code = match &err {
        BrokerError::InvalidConfig { .. } => ErrorCode::InvalidConfig,
        _ => ErrorCode::Unknown,
    };
    py_error(py, code, format!("embedded broker: {err}"))
}

struct Running {
    broker: Broker,
    /// Removed after the broker stopped (declared after `broker`: dropped last).
    _temp_dir: Option<tempfile::TempDir>,
}

/// A broker in this process; `with rustlog.EmbeddedBroker() as broker: broker.bootstrap`.
#[pyclass(module = "rustlog", frozen)]
pub(crate) struct EmbeddedBroker {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    data_dir: PathBuf,
    running: Mutex<Option<Running>>,
}

#[pymethods]
impl EmbeddedBroker {
    /// Starts the broker and returns once it listens. `port=0` picks a free port; metrics are
    /// served only when `metrics_port` is given (0 picks a free one).
    #[new]
    #[pyo3(signature = (data_dir = None, port = 0, *, host = "127.0.0.1", metrics_port = None))]
    fn new(
        py: Python<'_>,
        data_dir: Option<PathBuf>,
        port: u16,
        host: &str,
        metrics_port: Option<u16>,
    ) -> PyResult<Self> {
        crate::logs::refresh(py);
        let (dir, temp_dir) = match data_dir {
            Some(dir) => (dir, None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("rustlog-embedded-")
                    .tempdir()
                    .map_err(|e| {
                        py_error(
                            py,
                            ErrorCode::Unknown,
                            format!("cannot create a temp dir: {e}"),
                        )
                    })?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let ip: std::net::IpAddr = host.parse().map_err(|e| {
            py_error(
                py,
                ErrorCode::InvalidArgument,
                format!("host {host:?}: {e}"),
            )
        })?;
        let mut config = BrokerConfig::ephemeral(dir.clone());
        config.listen = SocketAddr::new(ip, port);
        config.metrics_listen = metrics_port.map(|p| SocketAddr::new(ip, p));
        let broker = on_thread(py, "rustlog-embedded-start", move || Broker::start(config))?
            .map_err(|e| broker_error(py, e))?;
        Ok(EmbeddedBroker {
            addr: broker.addr(),
            metrics_addr: broker.metrics_addr(),
            data_dir: dir,
            running: Mutex::new(Some(Running {
                broker,
                _temp_dir: temp_dir,
            })),
        })
    }

    /// `host:port` to pass as `bootstrap`.
    #[getter]
    fn bootstrap(&self) -> String {
        self.addr.to_string()
    }

    #[getter]
    fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `host:port` of the Prometheus endpoint, when on.
    #[getter]
    fn metrics_address(&self) -> Option<String> {
        self.metrics_addr.map(|a| a.to_string())
    }

    /// The data directory (a `pathlib.Path`).
    #[getter]
    fn data_dir(&self) -> PathBuf {
        self.data_dir.clone()
    }

    /// Whether the broker is still running.
    #[getter]
    fn running(&self) -> bool {
        self.running.lock().is_some()
    }

    /// Shuts down gracefully (flush and fsync) and waits; a temporary data dir is removed.
    /// Calling it again does nothing.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let running = self.running.lock().take();
        let Some(mut running) = running else {
            return Ok(());
        };
        on_thread(py, "rustlog-embedded-stop", move || {
            let stopped = running.broker.stop();
            drop(running);
            stopped
        })?
        .map_err(|e| broker_error(py, e))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyType>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.stop(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "EmbeddedBroker(bootstrap={:?}, data_dir={:?}, running={})",
            self.addr.to_string(),
            self.data_dir,
            crate::convert::py_bool(self.running())
        )
    }
}
