//! `rustlog.Admin` (blocking): topics and groups. Results are the protocol's JSON shapes as
//! plain dicts (see `TopicDescription` & co. in the stubs), except the offset calls, whose
//! answers are the value classes of [`crate::types`] (`PartitionOffset` & co.).

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::future::Future;

use pyo3::prelude::*;
use pyo3::types::PyType;
use rustlog::blocking;

use crate::config::{settings, DEFAULT_BOOTSTRAP};
use crate::convert::{offset_reset, offset_spec, py_result, topic_partition_offsets};
use crate::errors::{client_error, closed};
use crate::types::{py_list, CommittedOffset, OffsetChange, PartitionOffset};
use crate::wait::{block_on, connect_blocking};

/// Topic and group administration.
#[pyclass(module = "rustlog", frozen)]
pub(crate) struct Admin {
    /// `None` once closed.
    client: Mutex<Option<blocking::Client>>,
}

impl Admin {
    /// Runs one admin call on the client's runtime and returns its answer as is.
    fn run<T, Fut>(&self, py: Python<'_>, call: impl FnOnce(rustlog::Admin) -> Fut) -> PyResult<T>
    where
        T: Send + 'static,
        Fut: Future<Output = rustlog::Result<T>> + Send + 'static,
    {
        let client = self
            .client
            .lock()
            .clone()
            .ok_or_else(|| closed(py, "admin"))?;
        let rt = client.runtime().map_err(|e| client_error(py, e))?;
        block_on(py, &rt, call(client.async_client().admin()))
    }

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
        let answer = self.run(py, call)?;
        py_result(py, &answer)
    }
}

#[pymethods]
impl Admin {
    #[new]
    #[pyo3(signature = (bootstrap = DEFAULT_BOOTSTRAP, **options))]
    fn new(
        py: Python<'_>,
        bootstrap: &str,
        options: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<Self> {
        crate::logs::refresh(py);
        let client_cfg = settings(py, "Admin", rustlog::Scope::Client, bootstrap, options)?.client;
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

    /// Grows a topic to `partitions` partitions (more than it has) and returns the new count.
    fn create_partitions(&self, py: Python<'_>, topic: String, partitions: u32) -> PyResult<u32> {
        self.run(py, move |admin| async move {
            admin.create_partitions(&topic, partitions).await
        })
    }

    /// Deletes a group without members, with its committed offsets.
    fn delete_group(&self, py: Python<'_>, group_id: String) -> PyResult<()> {
        self.run(py, move |admin| async move {
            admin.delete_group(&group_id).await
        })
    }

    /// Every partition's log start (`at="earliest"`) or high watermark (`at="latest"`).
    #[pyo3(signature = (topic, at = "latest"))]
    fn topic_offsets(
        &self,
        py: Python<'_>,
        topic: String,
        at: &str,
    ) -> PyResult<Vec<PartitionOffset>> {
        let spec = offset_spec(py, at)?;
        let found = self.run(py, move |admin| async move {
            admin.topic_offsets(&topic, spec).await
        })?;
        Ok(py_list(found))
    }

    /// Every partition's first offset whose record is at or after `timestamp_ms` (`None`: none).
    fn offsets_for_time(
        &self,
        py: Python<'_>,
        topic: String,
        timestamp_ms: i64,
    ) -> PyResult<Vec<PartitionOffset>> {
        let spec = rustlog::OffsetSpec::Timestamp { timestamp_ms };
        let found = self.run(py, move |admin| async move {
            admin.topic_offsets(&topic, spec).await
        })?;
        Ok(py_list(found))
    }

    /// A group's committed offsets, by topic and partition (none for an unknown group).
    fn group_offsets(&self, py: Python<'_>, group_id: String) -> PyResult<Vec<CommittedOffset>> {
        let found = self.run(py, move |admin| async move {
            admin.group_offsets(&group_id).await
        })?;
        Ok(py_list(found))
    }

    /// Commits `{(topic, partition): offset}` for a group that has no members.
    fn set_group_offsets(
        &self,
        py: Python<'_>,
        group_id: String,
        offsets: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let offsets = topic_partition_offsets(offsets)?;
        self.run(py, move |admin| async move {
            admin.set_group_offsets(&group_id, &offsets).await
        })
    }

    /// Plans moving a group's offsets on `topic` to exactly one target; commits the plan only
    /// with `execute=True`. Returns the plan either way.
    #[pyo3(signature = (
        group_id, topic, *, to = None, to_offset = None, to_timestamp_ms = None, shift_by = None,
        partitions = None, execute = false,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn reset_group_offsets(
        &self,
        py: Python<'_>,
        group_id: String,
        topic: String,
        to: Option<&str>,
        to_offset: Option<u64>,
        to_timestamp_ms: Option<i64>,
        shift_by: Option<i64>,
        partitions: Option<Vec<u32>>,
        execute: bool,
    ) -> PyResult<Vec<OffsetChange>> {
        let to = offset_reset(py, to, to_offset, to_timestamp_ms, shift_by)?;
        let plan = self.run(py, move |admin| async move {
            admin
                .reset_group_offsets(&group_id, &topic, partitions.as_deref(), to, execute)
                .await
        })?;
        Ok(py_list(plan))
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
