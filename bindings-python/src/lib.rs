//! `rustlog._native`: the private native module behind the `rustlog` Python package.
//!
//! Module map:
//! - [`errors`]: `RustLogError` and one subclass per protocol error code, built from
//!   `rustlog_protocol::ErrorCode::ALL` so Python and Rust can never disagree.

use pyo3::prelude::*;

mod errors;

/// The native module; `python/rustlog/__init__.py` re-exports what users need.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    Ok(())
}
