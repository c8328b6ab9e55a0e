"""Flow control on a real broker: pause / resume / paused on both consumers (a paused partition
yields nothing while another keeps flowing, and resumes without a gap)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Coroutine

import pytest

import rustlog
import rustlog.aio
from conftest import unique

FAST = {"session_timeout_ms": 1500, "rebalance_timeout_ms": 5000, "fetch_max_wait_ms": 100}


def produce(bootstrap: str, topic: str, partition: int, values: range) -> None:
    with rustlog.Producer(bootstrap) as producer:
        producer.send_batch(topic, [str(v) for v in values], partition=partition).wait(timeout=10)


def offsets(messages: list[rustlog.Message], partition: int) -> list[int]:
    return [m.offset for m in messages if m.partition == partition]


def test_a_paused_partition_yields_nothing_while_another_flows_and_resumes_without_a_gap(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    name = unique("pause")
    admin.create_topic(name, partitions=2)
    produce(broker.bootstrap, name, 0, range(0, 10))
    produce(broker.bootstrap, name, 1, range(10, 20))
    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[name], auto_offset_reset="earliest", **FAST
    ) as c:
        seen: list[rustlog.Message] = []
        deadline = time.monotonic() + 20
        while not offsets(seen, 0):
            assert time.monotonic() < deadline
            seen.extend(c.poll_batch(2, timeout=0.2))
        assert c.paused() == []
        c.pause([(name, 0)])
        assert c.paused() == [(name, 0)]
        at_pause = len(offsets(seen, 0))
        produce(broker.bootstrap, name, 1, range(20, 25))
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            seen.extend(c.poll_batch(3, timeout=0.1))
        assert len(offsets(seen, 0)) == at_pause, "nothing of the paused partition"
        assert offsets(seen, 1) == list(range(15)), "the other kept flowing, all of it"
        assert c.position(name, 0) == at_pause
        c.resume([(name, 0)])
        assert c.paused() == []
        while len(offsets(seen, 0)) < 10:
            assert time.monotonic() < deadline + 10
            seen.extend(c.poll_batch(10, timeout=0.2))
        assert offsets(seen, 0) == list(range(10)), "resumed without a gap or a repeat"

        with pytest.raises(rustlog.InvalidArgument, match="not assigned"):
            c.pause([(name, 7)])
        with pytest.raises(rustlog.InvalidArgument, match="not assigned"):
            c.resume([("other-topic", 0)])
        with pytest.raises(rustlog.InvalidArgument):
            c.pause([(name, 0), (name, 9)])  # all or nothing
        assert c.paused() == []


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, timeout=40))


def test_async_pause_and_resume(broker: rustlog.EmbeddedBroker, admin: rustlog.Admin) -> None:
    name = unique("apause")
    admin.create_topic(name, partitions=2)
    produce(broker.bootstrap, name, 0, range(0, 5))

    async def scenario() -> None:
        c = rustlog.aio.Consumer(
            broker.bootstrap, group_id=unique("g"), topics=[name],
            auto_offset_reset="earliest", **FAST
        )
        with pytest.raises(rustlog.InvalidArgument, match="poll first"):
            c.pause([(name, 0)])
        assert c.paused() == []
        seen: list[rustlog.Message] = []
        while not c.assignment():
            seen.extend(await c.poll_batch(1, timeout=0.2))
        c.pause([(name, 0)])
        assert c.paused() == [(name, 0)]
        produce(broker.bootstrap, name, 1, range(5, 8))
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            seen.extend(await c.poll_batch(10, timeout=0.1))
        assert offsets(seen, 1) == [0, 1, 2]
        at_pause = len(offsets(seen, 0))
        assert at_pause <= 1
        c.resume([(name, 0)])
        while len(offsets(seen, 0)) < 5:
            seen.extend(await c.poll_batch(10, timeout=0.2))
        assert offsets(seen, 0) == list(range(5))
        with pytest.raises(rustlog.InvalidArgument):
            c.resume([(name, 3)])
        await c.close()

    run(scenario())


def test_a_consumer_that_stops_polling_loses_its_partitions_and_its_commit_fails(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    name = unique("hung")
    admin.create_topic(name, partitions=2)
    produce(broker.bootstrap, name, 0, range(0, 10))
    produce(broker.bootstrap, name, 1, range(10, 20))
    group = unique("g")
    lost: list[list[tuple[str, int]]] = []
    hung = rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[name],
        auto_offset_reset="earliest", max_poll_interval_ms=1000,
        on_lost=lost.append, **FAST,
    )
    other = rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[name], auto_offset_reset="earliest", **FAST
    )
    try:
        taken = hung.poll(timeout=10)
        assert taken is not None and len(hung.assignment()) == 2
        time.sleep(3)  # the handler "hangs" for longer than max_poll_interval_ms
        assert hung.assignment() == [], "it left the group"
        with pytest.raises(rustlog.UnknownMemberId, match="max_poll_interval_ms"):
            hung.commit(taken)
        # The live member takes every partition and reads everything (nothing was committed).
        seen: list[rustlog.Message] = []
        deadline = time.monotonic() + 20
        while len(seen) < 20:
            assert time.monotonic() < deadline
            seen.extend(other.poll_batch(20, timeout=0.2))
        assert len(other.assignment()) == 2
        assert sorted(int(m.value or b"") for m in seen) == list(range(20))
        # The hung member's next poll tells it what it lost, then rejoins.
        hung.poll(timeout=0.2)
        assert lost == [[(name, 0), (name, 1)]]
        while not hung.assignment():
            assert time.monotonic() < deadline + 10, "it never rejoined"
            other.poll_batch(10, timeout=0.05)
            hung.poll_batch(10, timeout=0.05)
        (t, p), *_ = hung.assignment()
        hung.commit(offsets=[(t, p, 1)])  # a member again: commits work
    finally:
        hung.close()
        other.close()
    with pytest.raises(rustlog.InvalidArgument, match="max_poll_interval_ms"):
        rustlog.Consumer(broker.bootstrap, group_id=group, topics=[name], max_poll_interval_ms=0)


def test_async_consumer_max_poll_interval(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    produce(broker.bootstrap, topic, 0, range(3))
    lost: list[list[tuple[str, int]]] = []

    class Listener(rustlog.aio.ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked: list[tuple[str, int]]) -> None:
            pass

        def on_partitions_assigned(self, assigned: list[tuple[str, int]]) -> None:
            pass

        async def on_partitions_lost(self, partitions: list[tuple[str, int]]) -> None:
            lost.append(partitions)

    async def scenario() -> None:
        async with rustlog.aio.Consumer(
            broker.bootstrap, group_id=unique("g"), topics=[topic],
            auto_offset_reset="earliest", max_poll_interval_ms=800,
            listener=Listener(), **FAST,
        ) as c:
            msg = await c.poll(timeout=10)
            assert msg is not None
            await asyncio.sleep(2.5)
            assert c.assignment() == []
            with pytest.raises(rustlog.UnknownMemberId):
                await c.commit(msg)
            await c.poll(timeout=1)
            assert lost == [[(topic, 0)]]

    run(scenario())


def test_metadata_max_age_ms_lets_a_producer_see_new_partitions(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin, topic: str
) -> None:
    with rustlog.Producer(broker.bootstrap, metadata_max_age_ms=200) as fresh, rustlog.Producer(
        broker.bootstrap
    ) as stale:
        fresh.send(topic, b"a").result(timeout=10)
        stale.send(topic, b"a").result(timeout=10)  # both cache "1 partition"
        admin.create_partitions(topic, 3)
        time.sleep(0.8)
        assert fresh.send(topic, b"b", partition=2).result(timeout=10).partition == 2
        with pytest.raises(rustlog.PartitionNotFound):
            stale.send(topic, b"b", partition=2)  # the default refresh is 5 minutes
    # Every client takes the option; zero is refused in the constructor, asyncio ones too.
    rustlog.Consumer(broker.bootstrap, group_id="g", topics=[topic], metadata_max_age_ms=1000).close()
    rustlog.Admin(broker.bootstrap, metadata_max_age_ms=1000).close()
    for make in (
        lambda: rustlog.Producer(broker.bootstrap, metadata_max_age_ms=0),
        lambda: rustlog.Admin(broker.bootstrap, metadata_max_age_ms=0),
        lambda: rustlog.aio.Producer(broker.bootstrap, metadata_max_age_ms=0),
        lambda: rustlog.aio.Admin(broker.bootstrap, metadata_max_age_ms=0),
        lambda: rustlog.aio.Consumer(
            broker.bootstrap, group_id="g", topics=[topic], metadata_max_age_ms=0
        ),
    ):
        with pytest.raises(rustlog.InvalidArgument, match="metadata_max_age"):
            make()
