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
    ConsumerEvent,
    ConsumerEvents,
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


def _show_options(cls: type, scope: str) -> None:
    """The native constructors take ``**options``, checked against the Rust client's option
    table (``_native.OPTIONS``); this shows that table's options of ``scope`` (client options
    go to every class) with their Rust defaults in ``inspect.signature`` and ``help()``."""
    sig = inspect.signature(cls)
    params = [
        p.replace(default=_native.DEFAULT_BOOTSTRAP) if p.name == "bootstrap" else p
        for p in sig.parameters.values()
        if p.kind is not p.VAR_KEYWORD
    ]
    for row in _native.OPTIONS:
        if row["scope"] in ("client", scope):
            params.append(
                inspect.Parameter(row["name"], inspect.Parameter.KEYWORD_ONLY, default=row["default"])
            )
    cls.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]


for _cls, _scope in (
    (Producer, "producer"),
    (_native.AsyncProducer, "producer"),
    (Consumer, "consumer"),
    (_native.AsyncConsumer, "consumer"),
    (Admin, "client"),
    (_native.AsyncAdmin, "client"),
):
    _show_options(_cls, _scope)
_log_bridge.install()

__all__ = [
    "__version__",
    "ERROR_CODES",
    "TRACE",
    "Admin",
    "BatchFuture",
    "CommittedOffset",
    "Consumer",
    "ConsumerEvent",
    "ConsumerEvents",
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
