"""Delivery reports on a real broker: the blocking producer's on_delivery callbacks (in send
order, waited for by flush, errors delivered, exceptions to sys.unraisablehook) and
DeliveryFuture.add_done_callback; the asyncio producer's send (a future per record, as in
aiokafka) and send_and_wait."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from typing import Any, Coroutine, Optional

import pytest

import rustlog
import rustlog.aio
from conftest import unique

Report = tuple[Optional[BaseException], Optional[rustlog.RecordMetadata]]


def test_on_delivery_runs_in_send_order_and_flush_waits_for_it(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    reports: list[Report] = []
    threads: set[int] = set()

    def on_delivery(err: Optional[rustlog.RustLogError], meta: Optional[rustlog.RecordMetadata]) -> None:
        time.sleep(0.01)  # slow callbacks: flush must still wait for every one
        threads.add(threading.get_ident())
        reports.append((err, meta))

    with rustlog.Producer(broker.bootstrap, linger_ms=5) as producer:
        futures = [producer.send(topic, f"v{i}", on_delivery=on_delivery) for i in range(20)]
        producer.send(topic, b"no callback")
        producer.flush(timeout=10)
        assert len(reports) == 20, "flush returned before the callbacks ran"
        assert all(err is None for err, _ in reports)
        assert [meta.offset for _, meta in reports if meta] == list(range(20))
        assert [f.result().offset for f in futures] == list(range(20))
        assert threading.get_ident() not in threads  # a client thread runs them
        with pytest.raises(TypeError, match="on_delivery must be callable"):
            producer.send(topic, b"v", on_delivery="nope")  # type: ignore[arg-type]
        # close waits too.
        producer.send(topic, b"last", on_delivery=on_delivery)
    assert len(reports) == 21 and reports[-1][1] is not None and reports[-1][1].offset == 21


def test_on_delivery_gets_the_error_and_a_raising_callback_goes_to_unraisablehook(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = unique("gone")
    admin.create_topic(name, partitions=1)
    unraisable: list[BaseException] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(u.exc_value))
    reports: list[Report] = []

    def failing(err: Optional[rustlog.RustLogError], meta: Optional[rustlog.RecordMetadata]) -> None:
        raise RuntimeError("callback bug")

    with rustlog.Producer(broker.bootstrap) as producer:
        producer.send(name, b"a", on_delivery=failing)
        producer.send(name, b"b", on_delivery=lambda err, meta: reports.append((err, meta)))
        producer.flush(timeout=10)
        assert [type(e) for e in unraisable] == [RuntimeError], "reported, and the next ran"
        assert reports[0][0] is None and reports[0][1] is not None
    # A record that cannot be delivered reports the exception and no metadata.
    with rustlog.Producer(broker.bootstrap, linger_ms=1000, delivery_timeout_ms=3000) as producer:
        producer.send(name, b"warm").result(timeout=10)  # the partition count is cached
        producer.send(name, b"lost", on_delivery=lambda err, meta: reports.append((err, meta)))
        admin.delete_topic(name)
        deadline = time.monotonic() + 10
        while len(reports) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        err, meta = reports[1]
        assert isinstance(err, rustlog.RustLogError) and meta is None


def test_a_callback_may_send_and_flush_without_deadlock(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    done = threading.Event()
    with rustlog.Producer(broker.bootstrap) as producer:

        def on_delivery(err: Optional[rustlog.RustLogError], meta: Optional[rustlog.RecordMetadata]) -> None:
            producer.send(topic, b"from the callback")
            producer.flush(timeout=10)  # does not wait for this very callback
            done.set()

        producer.send(topic, b"first", on_delivery=on_delivery)
        producer.flush(timeout=10)
        assert done.is_set()


def test_add_done_callback(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    called: list[tuple[int, int]] = []
    finished = threading.Event()

    def callback(future: rustlog.DeliveryFuture) -> None:
        called.append((threading.get_ident(), future.result().offset))
        finished.set()

    with rustlog.Producer(broker.bootstrap, linger_ms=50) as producer:
        future = producer.send(topic, b"a")
        future.add_done_callback(callback)
        assert finished.wait(timeout=10)
        assert called[0][1] == 0 and called[0][0] != threading.get_ident()
        assert future.done()
        future.add_done_callback(callback)  # already done: runs now, on this thread
        assert called[1] == (threading.get_ident(), 0)
        with pytest.raises(TypeError):
            future.add_done_callback(None)  # type: ignore[arg-type]


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, timeout=30))


def test_async_send_gives_a_future_and_send_and_wait_the_metadata(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    async def scenario() -> None:
        async with rustlog.aio.Producer(broker.bootstrap, linger_ms=20) as producer:
            future = await producer.send(topic, b"a")
            assert isinstance(future, asyncio.Future)
            done: list[int] = []
            future.add_done_callback(lambda f: done.append(f.result().offset))
            meta = await future
            assert (meta.topic, meta.partition, meta.offset) == (topic, 0, 0)
            await asyncio.sleep(0)
            assert done == [0]
            meta = await producer.send_and_wait(topic, b"b", key="k")
            assert meta.offset == 1
            # Queued in call order; the futures resolve as the acknowledgements arrive.
            futures = [await producer.send(topic, f"m{i}") for i in range(10)]
            assert [m.offset for m in await asyncio.gather(*futures)] == list(range(2, 12))
            with pytest.raises(rustlog.TopicNotFound):  # refused when queued
                await producer.send("missing-topic", b"v")
            with pytest.raises(rustlog.TopicNotFound):
                await producer.send_and_wait("missing-topic", b"v")

    run(scenario())
