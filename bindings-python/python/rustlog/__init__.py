"""RustLog client for Python.

The behaviour lives in the Rust client (`rustlog` crate); this package is a thin binding over the
private native module ``rustlog._native``.
"""

from __future__ import annotations

from . import _native
from ._native import __version__, ERROR_CODES, RustLogError

# One exception class per row of the shared error-code table, created by the native module.
_error_names = tuple(ERROR_CODES)
globals().update({name: getattr(_native, name) for name in _error_names})

__all__ = ["__version__", "ERROR_CODES", "RustLogError", *_error_names]
