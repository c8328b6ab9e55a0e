//! `rustlog.aio.Admin`: topic and group administration from coroutines.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3_async_runtimes::tokio::future_into_py;
use rustlog::ClientConfig;
use tokio::sync::OnceCell;

use super::{connected_then, Json};
use crate::config::client_config;
use crate::convert::answer_json;
use crate::errors::client_error_detached;

struct Shared {
    client_cfg: ClientConfig,
    connected: OnceCell<rustlog::Client>,
}

impl Shared {
    async fn admin(&self) -> rustlog::Result<rustlog::Admin> {
        let client = self
            .connected
            .get_or_try_init(|| rustlog::Client::connect_with(self.client_cfg.clone()))
            .await?;
        Ok(client.admin())
    }
}

/// The asyncio admin; results are the same dicts as `rustlog.Admin`'s.
#[pyclass(module = "rustlog.aio", name = "Admin", frozen)]
pub(crate) struct AsyncAdmin {
    shared: Arc<Shared>,
}

impl AsyncAdmin {
    fn call<'py, T, Fut>(
        &self,
        py: Python<'py>,
        call: impl FnOnce(rustlog::Admin) -> Fut + Send + 'static,
    ) -> PyResult<Bound<'py, PyAny>>
    where
        T: serde::Serialize + Send + 'static,
        Fut: Future<Output = rustlog::Result<T>> + Send + 'static,
    {
        let shared = self.shared.clone();
        future_into_py(py, async move {
            let admin = shared.admin().await.map_err(client_error_detached)?;
            let answer = call(admin).await.map_err(client_error_detached)?;
            Ok(Json(answer_json(&answer)?))
        })
    }
}

#[pymethods]
impl AsyncAdmin {
    #[new]
    #[pyo3(signature = (
        bootstrap = "127.0.0.1:7400", *, client_id = None, request_timeout_ms = None,
        connect_timeout_ms = None,
    ))]
    fn new(
        bootstrap: &str,
        client_id: Option<String>,
        request_timeout_ms: Option<u64>,
        connect_timeout_ms: Option<u64>,
    ) -> Self {
        AsyncAdmin {
            shared: Arc::new(Shared {
                client_cfg: client_config(
                    bootstrap,
                    client_id,
                    request_timeout_ms,
                    connect_timeout_ms,
                ),
                connected: OnceCell::new(),
            }),
        }
    }

    #[pyo3(signature = (name, partitions = 1, config = None))]
    fn create_topic<'py>(
        &self,
        py: Python<'py>,
        name: String,
        partitions: u32,
        config: Option<BTreeMap<String, String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let config = config.unwrap_or_default();
        self.call(py, move |admin| async move {
            admin.create_topic(&name, partitions, config).await
        })
    }

    fn delete_topic<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        self.call(
            py,
            move |admin| async move { admin.delete_topic(&name).await },
        )
    }

    fn list_topics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |admin| async move { admin.list_topics().await })
    }

    fn describe_topic<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        self.call(
            py,
            move |admin| async move { admin.describe_topic(&name).await },
        )
    }

    fn describe_partition<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        partition: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |admin| async move {
            admin.describe_partition(&topic, partition).await
        })
    }

    fn list_groups<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |admin| async move { admin.list_groups().await })
    }

    fn describe_group<'py>(
        &self,
        py: Python<'py>,
        group_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |admin| async move {
            admin.describe_group(&group_id).await
        })
    }

    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |admin| async move { admin.metrics().await })
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this: Py<Self> = slf.clone().unbind();
        let shared = slf.get().shared.clone();
        connected_then(py, async move { shared.admin().await }, this)
    }

    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc_type: Option<&Bound<'py, PyType>>,
        _exc: Option<&Bound<'py, PyAny>>,
        _tb: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        future_into_py(py, async move { Ok(false) })
    }
}
