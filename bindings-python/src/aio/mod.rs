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

use crate::convert::py_json;

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
