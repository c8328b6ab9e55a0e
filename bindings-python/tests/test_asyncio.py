"""The asyncio twins: send (a future per record) and send_and_wait, async for, async with, admin, ordering of gathered sends."""

from __future__ import annotations

import asyncio

import pytest

import rustlog
import rustlog.aio
from conftest import unique


def run(coro: "asyncio.Future[None] | object") -> None:
    asyncio.run(asyncio.wait_for(coro, timeout=30))  # type: ignore[arg-type]


def test_async_round_trip_with_commit(broker: rustlog.EmbeddedBroker) -> None:
    async def scenario() -> None:
        name = unique("aio")
        async with rustlog.aio.Admin(broker.bootstrap) as admin:
            created = await admin.create_topic(name, partitions=1)
            assert created["name"] == name
            assert name in [t["name"] for t in await admin.list_topics()]
        async with rustlog.aio.Producer(broker.bootstrap, linger_ms=1) as producer:
            meta = await producer.send_and_wait(name, b"first", key="k", headers={"h": b"1"})
            assert (meta.topic, meta.partition, meta.offset) == (name, 0, 0)
            futures = await asyncio.gather(*(producer.send(name, f"m{i}") for i in range(50)))
            assert all(isinstance(f, asyncio.Future) for f in futures)
            metas = await asyncio.gather(*futures)
            # Gathered sends are queued in call order.
            assert [m.offset for m in metas] == list(range(1, 51))
            batch = await producer.send_batch(name, [b"b0", (b"k", None)])
            assert [m.offset for m in batch] == [51, 52]
            await producer.flush()
        group = unique("g")
        async with rustlog.aio.Consumer(
            broker.bootstrap, group_id=group, topics=[name], auto_offset_reset="earliest"
        ) as consumer:
            seen: list[rustlog.Message] = []
            async for msg in consumer:
                seen.append(msg)
                if len(seen) == 10:
                    break
            assert seen[0].value == b"first" and seen[0].key == b"k"
            assert seen[0].headers == [("h", b"1")]
            assert [m.value for m in seen[1:]] == [f"m{i}".encode() for i in range(9)]
            await consumer.commit(seen[-1])
            assert await consumer.committed(name, 0) == 10
            assert consumer.assignment() == [(name, 0)]
        async with rustlog.aio.Consumer(
            broker.bootstrap, group_id=group, topics=[name], auto_offset_reset="earliest"
        ) as again:
            msg = await again.poll(timeout=10)
            assert msg is not None and msg.offset == 10
            rest = await again.poll_batch(100, timeout=10)
            assert rest[-1].offset == 52 and rest[-1].value is None

    run(scenario())


def test_async_errors_carry_codes(broker: rustlog.EmbeddedBroker) -> None:
    async def scenario() -> None:
        producer = rustlog.aio.Producer(broker.bootstrap)
        with pytest.raises(rustlog.TopicNotFound):
            await producer.send("missing-topic", b"v")
        await producer.close()
        with pytest.raises(rustlog.Closed):
            await producer.send("missing-topic", b"v")
        consumer = rustlog.aio.Consumer(broker.bootstrap, group_id="g", topics=["t"])
        await consumer.close()
        with pytest.raises(rustlog.Closed):
            await consumer.poll(timeout=1)
        dead = rustlog.aio.Admin("127.0.0.1:1", connect_timeout_ms=300)
        with pytest.raises(rustlog.Disconnected):
            await dead.list_topics()

    run(scenario())


def test_async_poll_timeout_returns_none(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    async def scenario() -> None:
        async with rustlog.aio.Consumer(
            broker.bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="earliest"
        ) as c:
            assert await c.poll(timeout=0.2) is None

    run(scenario())


def test_async_calls_need_a_running_loop(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin, topic: str
) -> None:
    producer = rustlog.aio.Producer(broker.bootstrap)
    with pytest.raises(RuntimeError):
        producer.start()
    with pytest.raises(RuntimeError):
        producer.send(topic, b"never")
    # The failed call queued nothing: a later flush from a loop delivers nothing.
    async def flush() -> None:
        await producer.flush()

    run(flush())
    assert admin.describe_topic(topic)["partitions"][0]["high_watermark"] == 0


def test_closing_ends_an_async_for(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    async def scenario() -> None:
        consumer = rustlog.aio.Consumer(
            broker.bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="earliest"
        )
        await consumer.start()

        async def close_soon() -> None:
            await asyncio.sleep(0.5)
            await consumer.close()

        closer = asyncio.create_task(close_soon())
        seen = [msg async for msg in consumer]
        await closer
        assert seen == []

    run(scenario())
