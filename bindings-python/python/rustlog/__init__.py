"""RustLog client for Python.

    import rustlog

    with rustlog.Producer("127.0.0.1:7400") as producer:
        producer.send("orders", b"hello", key="user-1")

    with rustlog.Consumer("127.0.0.1:7400", group_id="billing", topics=["orders"],
                          auto_offset_reset="earliest") as consumer:
        for msg in consumer:
            print(msg.offset, msg.value)
            consumer.commit(msg)

The behaviour lives in the Rust client (the ``rustlog`` crate); this package is a thin binding
over the private native module ``rustlog._native``. Every blocking call releases the GIL and
still answers Ctrl-C. The asyncio twins are in :mod:`rustlog.aio`.

The client's (and an embedded broker's) log events are records of ``logging.getLogger("rustlog")``
and its children (``rustlog.consumer``, ``rustlog.broker.server``, ...), forwarded only at the
level those loggers are enabled for: see :func:`set_log_level`.
"""

from __future__ import annotations

import inspect

from . import _log_bridge, _native
from ._log_bridge import TRACE, refresh_log_level, set_log_level
from ._native import (
    ERROR_CODES,
    Admin,
    BatchFuture,
    CommittedOffset,
    Consumer,
    DeliveryFuture,
    EmbeddedBroker,
    Message,
    OffsetChange,
    PartitionOffset,
    Producer,
    RecordMetadata,
    RustLogError,
    TopicPartitionOffset,
    __version__,
)

# One exception class per row of the shared error-code table, created by the native module from
# that table (so the classes cannot drift from the codes the broker and clients use).
_error_names = tuple(ERROR_CODES)
globals().update({name: getattr(_native, name) for name in _error_names})


def _show_rust_defaults(*classes: type) -> None:
    """Defaults the native constructors take from the Rust client (``auto_offset_reset``,
    ``bootstrap``, ...) show as ``...`` in their generated signatures; this puts the Rust values
    (``_native.DEFAULTS``) in ``inspect.signature`` and ``help()`` instead."""
    for cls in classes:
        sig = inspect.signature(cls)
        params = []
        for param in sig.parameters.values():
            if param.default is ...:
                if param.name not in _native.DEFAULTS:
                    raise RuntimeError(f"{cls.__name__}({param.name}=...) has no Rust default")
                param = param.replace(default=_native.DEFAULTS[param.name])
            params.append(param)
        cls.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]


_show_rust_defaults(
    Producer,
    Consumer,
    Admin,
    _native.AsyncProducer,
    _native.AsyncConsumer,
    _native.AsyncAdmin,
)
_log_bridge.install()

__all__ = [
    "__version__",
    "ERROR_CODES",
    "TRACE",
    "Admin",
    "BatchFuture",
    "CommittedOffset",
    "Consumer",
    "DeliveryFuture",
    "EmbeddedBroker",
    "Message",
    "OffsetChange",
    "PartitionOffset",
    "Producer",
    "RecordMetadata",
    "RustLogError",
    "TopicPartitionOffset",
    "refresh_log_level",
    "set_log_level",
    *_error_names,
]
