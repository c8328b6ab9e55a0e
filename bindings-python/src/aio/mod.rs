//! asyncio twins (`rustlog.aio`): the same client objects driven from Python coroutines through
//! `pyo3_async_runtimes` (futures run on its tokio runtime; results resolve asyncio futures).
//! Objects connect lazily on first use (or in `start()` / `async with`), so constructing one
//! never blocks the event loop.

pub(crate) mod admin;
pub(crate) mod consumer;
pub(crate) mod producer;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::IntoPyObject;
use pyo3_async_runtimes::tokio::future_into_py;

use crate::convert::py_json;
use crate::errors::client_error_detached;

/// A result channel closed without an answer: the worker task is gone.
pub(crate) fn worker_gone(_: tokio::sync::oneshot::error::RecvError) -> PyErr {
    PyRuntimeError::new_err("the rustlog worker task ended without an answer")
}

/// An admin answer carried out of a future and converted once the GIL is held.
pub(crate) struct Json(pub(crate) serde_json::Value);

impl<'py> IntoPyObject<'py> for Json {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        py_json(py, &self.0)
    }
}

/// An awaitable that connects (through `connect`) and then resolves to `value`: `start()` and
/// `async with` of the lazily connecting objects.
pub(crate) fn connected_then<'py, C, V>(
    py: Python<'py>,
    connect: impl std::future::Future<Output = rustlog::Result<C>> + Send + 'static,
    value: V,
) -> PyResult<Bound<'py, PyAny>>
where
    V: for<'a> IntoPyObject<'a> + Send + 'static,
{
    future_into_py(py, async move {
        connect.await.map_err(client_error_detached)?;
        Ok(value)
    })
}
