"""Rebalance hooks on a real broker: the blocking consumer's on_assign / on_revoke / on_lost and
the asyncio ConsumerRebalanceListener. A revoke hook that commits hands the next member exactly
the rest (no record twice, none skipped); a seek in an assign hook decides the start; a hook's
exception comes out of the poll (or close) that ran it; polling from a hook is refused."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Coroutine

import pytest

import rustlog
import rustlog.aio
from conftest import produce_values as produce
from conftest import unique

Partitions = list[tuple[str, int]]

# Short session and fetch waits, so rebalances take a second, not ten.
FAST = {"session_timeout_ms": 1500, "rebalance_timeout_ms": 5000, "fetch_max_wait_ms": 100}


class Boom(Exception):
    pass


def values(messages: list[rustlog.Message]) -> list[int]:
    return [int(m.value or b"") for m in messages]


def two_partitions(broker: rustlog.EmbeddedBroker, admin: rustlog.Admin) -> str:
    """A topic with records 0..19 in partition 0 and 20..39 in partition 1."""
    name = unique("hooks")
    admin.create_topic(name, partitions=2)
    produce(broker.bootstrap, name, 0, range(0, 20))
    produce(broker.bootstrap, name, 1, range(20, 40))
    return name


def test_on_revoke_commits_so_the_next_member_starts_right_after(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    name = two_partitions(broker, admin)
    group = unique("g")
    calls: list[tuple[str, Partitions]] = []

    def on_assign(partitions: Partitions) -> None:
        calls.append(("assign", sorted(partitions)))

    def on_revoke(partitions: Partitions) -> None:
        calls.append(("revoke", sorted(partitions)))
        first.commit()  # everything handed out so far, from inside the hook

    first = rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[name],
        auto_offset_reset="earliest", on_assign=on_assign,
        on_revoke=on_revoke, **FAST,
    )
    second = rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[name], auto_offset_reset="earliest", **FAST
    )
    seen_first: list[rustlog.Message] = []
    seen_second: list[rustlog.Message] = []
    stop = threading.Event()

    def run_second() -> None:
        while not stop.is_set():
            seen_second.extend(second.poll_batch(10, timeout=0.1))

    thread = threading.Thread(target=run_second)
    try:
        deadline = time.monotonic() + 20
        while len(seen_first) < 10:  # a partition part-way through
            assert time.monotonic() < deadline
            seen_first.extend(first.poll_batch(10 - len(seen_first), timeout=0.2))
        assert calls == [("assign", [(name, 0), (name, 1)])]
        thread.start()
        while len(first.assignment()) != 1:
            assert time.monotonic() < deadline + 10, "the first member never rebalanced"
            # Slowly, so the rebalance comes while both partitions are part-way through.
            seen_first.extend(first.poll_batch(1, timeout=0.1))
            time.sleep(0.2)
        assert calls[1][0] == "revoke" and calls[1][1] == [(name, 0), (name, 1)]
        assert calls[2] == ("assign", sorted(first.assignment()))
        produce(broker.bootstrap, name, 0, range(40, 45))
        produce(broker.bootstrap, name, 1, range(45, 50))
        while len(seen_first) + len(seen_second) < 50:
            assert time.monotonic() < deadline + 20, (values(seen_first), values(seen_second))
            seen_first.extend(first.poll_batch(10, timeout=0.1))
        time.sleep(0.5)  # anything handed out twice would show up by now
    finally:
        stop.set()
        if thread.is_alive():
            thread.join(timeout=20)
    # Every record exactly once: the second started exactly where the first's hook committed.
    assert sorted(values(seen_first) + values(seen_second)) == list(range(50))
    assert seen_second, "the second member got the partition the first gave up"
    (kept_topic, kept), = first.assignment()
    assert {m.partition for m in seen_second} == {1 - kept}
    first.close()
    second.close()
    assert calls[-1] == ("revoke", [(kept_topic, kept)])  # close gives the rest up


def test_a_seek_in_on_assign_decides_where_the_partition_starts(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    produce(broker.bootstrap, topic, 0, range(5))
    got: list[Partitions] = []

    def on_assign(partitions: Partitions) -> None:
        got.append(partitions)
        for t, p in partitions:
            consumer.seek(t, p, 3)
            assert consumer.position(t, p) == 3

    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic],
        auto_offset_reset="earliest", on_assign=on_assign
    ) as consumer:
        msg = consumer.poll(timeout=10)
        assert msg is not None and msg.offset == 3
    assert got == [[(topic, 0)]]


def test_an_exception_in_on_assign_comes_out_of_poll_and_loses_nothing(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    produce(broker.bootstrap, topic, 0, range(3))

    def on_assign(partitions: Partitions) -> None:
        raise Boom(f"assign {partitions}")

    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic],
        auto_offset_reset="earliest", on_assign=on_assign
    ) as consumer:
        with pytest.raises(Boom, match="assign"):
            consumer.poll(timeout=10)
        # The join happened; the poll ended before it handed anything out.
        assert consumer.assignment() == [(topic, 0)]
        assert values(consumer.poll_batch(10, timeout=10)) == [0, 1, 2]
    # Iteration and timeout=None raise it too.
    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic],
        auto_offset_reset="earliest", on_assign=on_assign
    ) as consumer:
        with pytest.raises(Boom):
            next(iter(consumer))
        assert [m.offset for m in consumer.poll_batch(10, timeout=None)] == [0, 1, 2]


def test_an_exception_in_on_revoke_comes_out_of_close_after_leaving(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin, topic: str
) -> None:
    produce(broker.bootstrap, topic, 0, range(1))
    group = unique("g")

    def on_revoke(partitions: Partitions) -> None:
        raise Boom("revoke")

    consumer = rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[topic],
        auto_offset_reset="earliest", on_revoke=on_revoke
    )
    assert consumer.poll(timeout=10) is not None
    with pytest.raises(Boom):
        consumer.close()
    assert consumer.closed
    assert admin.describe_group(group)["members"] == []
    consumer.close()  # closed already: nothing runs again


def test_polling_or_closing_from_a_hook_is_refused(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    def on_assign(partitions: Partitions) -> None:
        consumer.poll(timeout=0)

    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic],
        auto_offset_reset="earliest", on_assign=on_assign
    ) as consumer:
        with pytest.raises(rustlog.InvalidArgument, match="rebalance hook"):
            consumer.poll(timeout=10)
    with pytest.raises(TypeError, match="on_revoke must be callable"):
        rustlog.Consumer(broker.bootstrap, group_id="g", topics=[topic], on_revoke=42)  # type: ignore[arg-type]


# --- asyncio ------------------------------------------------------------------------------------


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, timeout=50))


def test_async_listener_commits_on_revoke_so_the_next_member_starts_right_after(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    name = two_partitions(broker, admin)
    group = unique("g")
    calls: list[tuple[str, Partitions]] = []

    class Listener(rustlog.aio.ConsumerRebalanceListener):
        async def on_partitions_revoked(self, revoked: Partitions) -> None:
            calls.append(("revoke", sorted(revoked)))
            await first.commit()

        def on_partitions_assigned(self, assigned: Partitions) -> None:  # sync works too
            calls.append(("assign", sorted(assigned)))

    first = rustlog.aio.Consumer(
        broker.bootstrap, group_id=group, topics=[name],
        auto_offset_reset="earliest", listener=Listener(), **FAST
    )
    second = rustlog.aio.Consumer(
        broker.bootstrap, group_id=group, topics=[name], auto_offset_reset="earliest", **FAST
    )

    async def scenario() -> None:
        seen_first: list[rustlog.Message] = []
        seen_second: list[rustlog.Message] = []
        stop = asyncio.Event()

        async def run_second() -> None:
            while not stop.is_set():
                seen_second.extend(await second.poll_batch(10, timeout=0.1))

        deadline = time.monotonic() + 20
        while len(seen_first) < 10:
            assert time.monotonic() < deadline
            seen_first.extend(await first.poll_batch(10 - len(seen_first), timeout=0.2))
        assert calls == [("assign", [(name, 0), (name, 1)])]
        task = asyncio.create_task(run_second())
        while len(first.assignment()) != 1:
            assert time.monotonic() < deadline + 10, "the first member never rebalanced"
            seen_first.extend(await first.poll_batch(1, timeout=0.1))
            await asyncio.sleep(0.2)
        assert calls[1] == ("revoke", [(name, 0), (name, 1)])
        produce(broker.bootstrap, name, 0, range(40, 45))
        produce(broker.bootstrap, name, 1, range(45, 50))
        while len(seen_first) + len(seen_second) < 50:
            assert time.monotonic() < deadline + 20
            seen_first.extend(await first.poll_batch(10, timeout=0.1))
        await asyncio.sleep(0.5)
        stop.set()
        await task
        assert sorted(values(seen_first) + values(seen_second)) == list(range(50))
        assert seen_second
        await first.close()
        await second.close()
        assert calls[-1][0] == "revoke"

    run(scenario())


def test_async_hook_exceptions_come_out_of_poll_and_polling_from_a_hook_is_refused(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    produce(broker.bootstrap, topic, 0, range(3))

    class Failing(rustlog.aio.ConsumerRebalanceListener):
        async def on_partitions_revoked(self, revoked: Partitions) -> None:
            raise Boom("revoke")

        async def on_partitions_assigned(self, assigned: Partitions) -> None:
            raise Boom("assign")

    class Polling(rustlog.aio.ConsumerRebalanceListener):
        async def on_partitions_revoked(self, revoked: Partitions) -> None:
            pass

        async def on_partitions_assigned(self, assigned: Partitions) -> None:
            await polling.poll(timeout=0)

    failing = rustlog.aio.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic],
        auto_offset_reset="earliest", listener=Failing()
    )
    polling = rustlog.aio.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic],
        auto_offset_reset="earliest", listener=Polling()
    )

    async def scenario() -> None:
        with pytest.raises(Boom, match="assign"):
            await failing.poll(timeout=10)
        assert failing.assignment() == [(topic, 0)]
        assert values(await failing.poll_batch(10, timeout=10)) == [0, 1, 2]
        with pytest.raises(Boom, match="revoke"):
            await failing.close()
        with pytest.raises(rustlog.Closed):
            await failing.poll(timeout=0)
        with pytest.raises(rustlog.InvalidArgument, match="rebalance hook"):
            await polling.poll(timeout=10)
        await polling.close()

    run(scenario())
    with pytest.raises(TypeError, match="on_partitions_assigned"):
        rustlog.aio.Consumer(broker.bootstrap, group_id="g", topics=[topic], listener=object())  # type: ignore[arg-type]

