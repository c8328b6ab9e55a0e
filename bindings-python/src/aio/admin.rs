//! `rustlog.aio.Admin`: topic and group administration from coroutines.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::IntoPyObject;
use pyo3_async_runtimes::tokio::future_into_py;
use rustlog::OffsetSpec;

use super::{connected_then, Json};
use crate::config::{settings, DEFAULT_BOOTSTRAP};
use crate::convert::{answer_json, offset_reset, offset_spec, topic_partition_offsets};
use crate::errors::client_error_detached;
use crate::types::{py_list, CommittedOffset, OffsetChange, PartitionOffset};

struct Shared {
    /// Lazy: connects on the first call.
    client: rustlog::Client,
}

impl Shared {
    async fn admin(&self) -> rustlog::Result<rustlog::Admin> {
        self.client.ensure_connected().await?;
        Ok(self.client.admin())
    }
}

/// The asyncio admin; results are the same dicts and value classes as `rustlog.Admin`'s.
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

    /// Like [`Self::call`] for answers that become Python objects through `convert` (the
    /// value classes of the offset calls, ints, `None`) instead of JSON-shaped dicts.
    fn call_into<'py, T, R, Fut>(
        &self,
        py: Python<'py>,
        call: impl FnOnce(rustlog::Admin) -> Fut + Send + 'static,
        convert: impl FnOnce(T) -> R + Send + 'static,
    ) -> PyResult<Bound<'py, PyAny>>
    where
        T: Send + 'static,
        R: for<'a> IntoPyObject<'a> + Send + 'static,
        Fut: Future<Output = rustlog::Result<T>> + Send + 'static,
    {
        let shared = self.shared.clone();
        future_into_py(py, async move {
            let admin = shared.admin().await.map_err(client_error_detached)?;
            let answer = call(admin).await.map_err(client_error_detached)?;
            Ok(convert(answer))
        })
    }
}

#[pymethods]
impl AsyncAdmin {
    #[new]
    #[pyo3(signature = (bootstrap = DEFAULT_BOOTSTRAP, **options))]
    fn new(
        py: Python<'_>,
        bootstrap: &str,
        options: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<Self> {
        crate::logs::refresh(py);
        Ok(AsyncAdmin {
            shared: Arc::new(Shared {
                client: rustlog::Client::lazy(
                    settings(py, "aio.Admin", rustlog::Scope::Client, bootstrap, options)?.client,
                )
                .map_err(|e| crate::errors::client_error(py, e))?,
            }),
        })
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

    fn create_partitions<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        partitions: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call_into(
            py,
            move |admin| async move { admin.create_partitions(&topic, partitions).await },
            |count| count,
        )
    }

    fn delete_group<'py>(&self, py: Python<'py>, group_id: String) -> PyResult<Bound<'py, PyAny>> {
        self.call_into(
            py,
            move |admin| async move { admin.delete_group(&group_id).await },
            |()| (),
        )
    }

    #[pyo3(signature = (topic, at = "latest"))]
    fn topic_offsets<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        at: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spec = offset_spec(py, at)?;
        self.call_into(
            py,
            move |admin| async move { admin.topic_offsets(&topic, spec).await },
            py_list::<_, PartitionOffset>,
        )
    }

    fn offsets_for_time<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        timestamp_ms: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spec = OffsetSpec::Timestamp { timestamp_ms };
        self.call_into(
            py,
            move |admin| async move { admin.topic_offsets(&topic, spec).await },
            py_list::<_, PartitionOffset>,
        )
    }

    fn group_offsets<'py>(&self, py: Python<'py>, group_id: String) -> PyResult<Bound<'py, PyAny>> {
        self.call_into(
            py,
            move |admin| async move { admin.group_offsets(&group_id).await },
            py_list::<_, CommittedOffset>,
        )
    }

    fn set_group_offsets<'py>(
        &self,
        py: Python<'py>,
        group_id: String,
        offsets: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let offsets = topic_partition_offsets(offsets)?;
        self.call_into(
            py,
            move |admin| async move { admin.set_group_offsets(&group_id, &offsets).await },
            |()| (),
        )
    }

    #[pyo3(signature = (
        group_id, topic, *, to = None, to_offset = None, to_timestamp_ms = None, shift_by = None,
        partitions = None, execute = false,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn reset_group_offsets<'py>(
        &self,
        py: Python<'py>,
        group_id: String,
        topic: String,
        to: Option<&str>,
        to_offset: Option<u64>,
        to_timestamp_ms: Option<i64>,
        shift_by: Option<i64>,
        partitions: Option<Vec<u32>>,
        execute: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let to = offset_reset(py, to, to_offset, to_timestamp_ms, shift_by)?;
        self.call_into(
            py,
            move |admin| async move {
                admin
                    .reset_group_offsets(&group_id, &topic, partitions.as_deref(), to, execute)
                    .await
            },
            py_list::<_, OffsetChange>,
        )
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
