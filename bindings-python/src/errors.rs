//! Python exceptions: `rustlog.RustLogError` and one subclass per row of the shared error-code
//! table, created at import time from `ErrorCode::ALL`.

use std::collections::HashMap;

use pyo3::exceptions::{PyConnectionError, PyException, PyTimeoutError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use rustlog_protocol::ErrorCode;

pyo3::create_exception!(
    rustlog,
    RustLogError,
    PyException,
    "Root of every RustLog error; `.code` and `.retriable` come from the shared error-code table."
);

/// Subclass per code number, filled once by [`register`].
static CLASSES: PyOnceLock<HashMap<u16, Py<PyType>>> = PyOnceLock::new();

/// Extra Python built-in bases, so `except TimeoutError` and `except ConnectionError` work.
fn builtin_base(py: Python<'_>, code: ErrorCode) -> Option<Bound<'_, PyType>> {
    match code {
        ErrorCode::TimedOut | ErrorCode::RequestTimedOut => Some(py.get_type::<PyTimeoutError>()),
        ErrorCode::Disconnected => Some(py.get_type::<PyConnectionError>()),
        _ => None,
    }
}

fn build_classes(py: Python<'_>) -> PyResult<HashMap<u16, Py<PyType>>> {
    let root = py.get_type::<RustLogError>();
    let type_type = py.get_type::<PyType>();
    let mut classes = HashMap::new();
    for code in ErrorCode::ALL.iter().copied() {
        if code == ErrorCode::None {
            continue; // success is not an exception
        }
        let bases = match builtin_base(py, code) {
            Some(extra) => PyTuple::new(py, [root.clone(), extra])?,
            None => PyTuple::new(py, [root.clone()])?,
        };
        let attrs = PyDict::new(py);
        attrs.set_item("__module__", "rustlog")?;
        attrs.set_item(
            "__doc__",
            format!("{} (code {}).", code.message(), code.code()),
        )?;
        attrs.set_item("code", code.code())?;
        attrs.set_item("retriable", code.is_retriable())?;
        let class = type_type.call1((code.name(), bases, attrs))?;
        classes.insert(code.code(), class.cast_into::<PyType>()?.unbind());
    }
    Ok(classes)
}

/// Adds `RustLogError`, every subclass and `ERROR_CODES` (name → number) to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let root = py.get_type::<RustLogError>();
    // The root carries the attributes too, for errors that map to no known code.
    root.setattr("code", ErrorCode::Unknown.code())?;
    root.setattr("retriable", false)?;
    m.add("RustLogError", root)?;
    let classes = CLASSES.get_or_try_init(py, || build_classes(py))?;
    let codes = PyDict::new(py);
    for code in ErrorCode::ALL.iter().copied() {
        if let Some(class) = classes.get(&code.code()) {
            m.add(code.name(), class.bind(py))?;
            codes.set_item(code.name(), code.code())?;
        }
    }
    m.add("ERROR_CODES", codes)?;
    Ok(())
}

/// Builds the Python exception for `code` with `message`; unknown codes fall back to the root.
pub(crate) fn py_error(py: Python<'_>, code: ErrorCode, message: String) -> PyErr {
    match CLASSES.get(py).and_then(|m| m.get(&code.code())) {
        Some(class) => PyErr::from_type(class.bind(py).clone(), message),
        None => RustLogError::new_err(message),
    }
}

/// Translates a client error into the exception class of its code, keeping the full message
/// (with its context: addresses, names, limits).
pub(crate) fn client_error(py: Python<'_>, err: rustlog::Error) -> PyErr {
    py_error(py, err.kind(), err.to_string())
}

/// Same as [`client_error`] for code running without the GIL (asyncio futures).
pub(crate) fn client_error_detached(err: rustlog::Error) -> PyErr {
    Python::attach(|py| client_error(py, err))
}

/// `rustlog.Closed` for binding objects that were closed.
pub(crate) fn closed(py: Python<'_>, what: &str) -> PyErr {
    py_error(py, ErrorCode::Closed, format!("{what} is closed"))
}
