"""asyncio twins of :class:`rustlog.Producer`, :class:`rustlog.Consumer` and :class:`rustlog.Admin`.

    import rustlog.aio

    async with rustlog.aio.Producer(bootstrap) as producer:
        meta = await producer.send_and_wait("orders", b"hello")
        future = await producer.send("orders", b"again")   # queued; aiokafka's shape
        meta = await future

    async with rustlog.aio.Consumer(bootstrap, group_id="g", topics=["orders"]) as consumer:
        async for msg in consumer:
            await consumer.commit(msg)

Objects connect on first use (or in ``start()`` / ``async with``), so constructing one never
blocks the event loop. Calls need a running event loop.
"""

from __future__ import annotations

import abc
import contextvars
import inspect
from typing import Any

from ._native import AsyncAdmin as Admin
from ._native import AsyncConsumer as Consumer
from ._native import AsyncEventStream as ConsumerEvents
from ._native import AsyncProducer as Producer

__all__ = ["Admin", "Consumer", "ConsumerEvents", "ConsumerRebalanceListener", "Producer"]


class ConsumerRebalanceListener(abc.ABC):
    """Hooks around a rebalance, as aiokafka's ``ConsumerRebalanceListener``; pass an instance
    as ``rustlog.aio.Consumer(..., listener=...)``.

    Each method gets a list of ``(topic, partition)`` tuples and may be a coroutine or a plain
    function; it runs on the event loop while the ``poll`` (or ``close``) that triggered it
    waits. A hook may ``await consumer.commit(...)``, call ``consumer.seek(...)`` or
    ``consumer.pause(...)``, but not poll. An exception raised in a hook is raised by that
    ``poll`` (or ``close``).
    """

    @abc.abstractmethod
    def on_partitions_revoked(self, revoked: list[tuple[str, int]]) -> Any:
        """Before the consumer gives ``revoked`` up (a rebalance, or ``close``): commit what
        was processed; commits made here still count."""

    @abc.abstractmethod
    def on_partitions_assigned(self, assigned: list[tuple[str, int]]) -> Any:
        """After a join, before the first fetch of ``assigned`` (the whole new assignment):
        a ``seek`` here decides where a partition starts."""

    def on_partitions_lost(self, lost: list[tuple[str, int]]) -> Any:
        """``lost`` was taken away before the consumer could give it up (it did not poll
        within ``max_poll_interval_ms``, or its session expired); commits would fail now. By
        default the same as ``on_partitions_revoked``, as in Kafka."""
        return self.on_partitions_revoked(lost)


#: True inside a rebalance hook run by this module (a poll from there would wait for itself).
_IN_REBALANCE_HOOK: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "rustlog_in_rebalance_hook", default=False
)


async def _run_rebalance_hook(
    listener: Any, method: str, partitions: list[tuple[str, int]]
) -> None:
    """Runs one hook of ``listener`` on the event loop (called by the native consumer)."""
    _IN_REBALANCE_HOOK.set(True)
    hook = getattr(listener, method, None)
    if hook is None and method == "on_partitions_lost":
        hook = listener.on_partitions_revoked  # a listener without on_partitions_lost
    result = hook(partitions)
    if inspect.isawaitable(result):
        await result
