"""asyncio twins of :class:`rustlog.Producer`, :class:`rustlog.Consumer` and :class:`rustlog.Admin`.

    import rustlog.aio

    async with rustlog.aio.Producer(bootstrap) as producer:
        meta = await producer.send("orders", b"hello")

    async with rustlog.aio.Consumer(bootstrap, group_id="g", topics=["orders"]) as consumer:
        async for msg in consumer:
            await consumer.commit(msg)

Objects connect on first use (or in ``start()`` / ``async with``), so constructing one never
blocks the event loop. Calls need a running event loop.
"""

from __future__ import annotations

from ._native import AsyncAdmin as Admin
from ._native import AsyncConsumer as Consumer
from ._native import AsyncProducer as Producer

__all__ = ["Admin", "Consumer", "Producer"]
