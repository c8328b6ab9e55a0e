"""RustLog client for Python.

    import rustlog

    with rustlog.Producer("127.0.0.1:7400") as producer:
        producer.send("orders", b"hello", key="user-1")

    with rustlog.Consumer("127.0.0.1:7400", group_id="billing", topics=["orders"]) as consumer:
        for msg in consumer:
            print(msg.offset, msg.value)
            consumer.commit(msg)

The behaviour lives in the Rust client (the ``rustlog`` crate); this package is a thin binding
over the private native module ``rustlog._native``. Every blocking call releases the GIL and
still answers Ctrl-C. The asyncio twins are in :mod:`rustlog.aio`.
"""

from __future__ import annotations

from . import _native
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

__all__ = [
    "__version__",
    "ERROR_CODES",
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
    *_error_names,
]
