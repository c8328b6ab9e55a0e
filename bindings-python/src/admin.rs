//! `rustlog.Admin` (blocking): topics and groups. Results are the protocol's JSON shapes as
//! plain dicts (see `TopicDescription` & co. in the stubs).

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::future::Future;

use pyo3::prelude::*;
use pyo3::types::PyType;
use rustlog::blocking;

use crate::config::client_config;
use crate::convert::py_result;
use crate::errors::{client_error, closed};
use crate::wait::{block_on, connect_blocking};

/// Topic and group administration.
#[pyclass(module = "rustlog", frozen)]
pub(crate) struct Admin {
    /// `None` once closed.
    client: Mutex<Option<blocking::Client>>,
}

impl Admin {
    /// Runs one admin call on the client's runtime and converts its answer to Python objects.
    fn call<'py, T, Fut>(
        &self,
        py: Python<'py>,
        call: impl FnOnce(rustlog::Admin) -> Fut,
    ) -> PyResult<Bound<'py, PyAny>>
    where
        T: serde::Serialize + Send + 'static,
        Fut: Future<Output = rustlog::Result<T>> + Send + 'static,
    {
        let client = self
            .client
            .lock()
            .clone()
            .ok_or_else(|| closed(py, "admin"))?;
        let rt = client.runtime().map_err(|e| client_error(py, e))?;
        let answer = block_on(py, &rt, call(client.async_client().admin()))?;
        py_result(py, &answer)
    }
}

#[pymethods]
impl Admin {
    #[new]
    #[pyo3(signature = (
        bootstrap = "127.0.0.1:7400", *, client_id = None, request_timeout_ms = None,
        connect_timeout_ms = None,
    ))]
    fn new(
        py: Python<'_>,
        bootstrap: &str,
        client_id: Option<String>,
        request_timeout_ms: Option<u64>,
        connect_timeout_ms: Option<u64>,
    ) -> PyResult<Self> {
        let client_cfg =
            client_config(bootstrap, client_id, request_timeout_ms, connect_timeout_ms);
        let client = connect_blocking(py, client_cfg)?;
        Ok(Admin {
            client: Mutex::new(Some(client)),
        })
    }

    /// Creates a topic; returns `{"name", "partitions", "config"}` with the effective config.
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

    /// Deletes a topic and its data.
    fn delete_topic(&self, py: Python<'_>, name: String) -> PyResult<()> {
        self.call(
            py,
            move |admin| async move { admin.delete_topic(&name).await },
        )?;
        Ok(())
    }

    /// Every topic as `{"name", "partitions"}`, sorted by name.
    fn list_topics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |admin| async move { admin.list_topics().await })
    }

    /// A topic's config and per-partition offsets and sizes.
    fn describe_topic<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        self.call(
            py,
            move |admin| async move { admin.describe_topic(&name).await },
        )
    }

    /// One partition's offsets, size and segments.
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

    /// Every consumer group as `{"group_id", "state", "generation_id", "member_count"}`.
    fn list_groups<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |admin| async move { admin.list_groups().await })
    }

    /// A group's members, assignment, committed offsets and lag per partition.
    fn describe_group<'py>(
        &self,
        py: Python<'py>,
        group_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |admin| async move {
            admin.describe_group(&group_id).await
        })
    }

    /// The broker's metrics in OpenMetrics text format (as `GET /metrics` serves them).
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |admin| async move { admin.metrics().await })
    }

    /// Drops the connection; later calls raise `rustlog.Closed`.
    fn close(&self) {
        let client = self.client.lock().take();
        drop(client);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        _exc_type: Option<&Bound<'_, PyType>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        self.close();
        false
    }
}
