"""The admin's partition and offset calls on a real broker, through both `rustlog.Admin` and
`rustlog.aio.Admin`: growing a topic, deleting a group, a topic's offsets (by end and by time),
a group's committed offsets, and setting and resetting them as `kafka-consumer-groups
--reset-offsets` does. Each good call sits beside its refused twin (a shrink, a group with a
running member, a shift with nothing committed, two reset targets, a bad `at`), and every
refusal is checked to have changed nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest

import rustlog
import rustlog.aio
from conftest import unique


class AioAdmin:
    """`rustlog.aio.Admin` driven from a private event loop, so every scenario below runs on
    both admins: each call is made and awaited inside the loop (the asyncio methods need one
    running), and what it raises or returns comes back unchanged."""

    def __init__(self, bootstrap: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._admin = rustlog.aio.Admin(bootstrap)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._admin, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            async def awaited() -> Any:
                return await method(*args, **kwargs)

            return self._loop.run_until_complete(asyncio.wait_for(awaited(), timeout=30))

        return call

    def close(self) -> None:
        self._loop.close()


@pytest.fixture(params=["blocking", "asyncio"])
def admin(request: pytest.FixtureRequest, broker: rustlog.EmbeddedBroker) -> Iterator[Any]:
    """The blocking admin or the asyncio one (the same calls, the same answers); in this file it
    takes the place of conftest's blocking-only `admin`."""
    if request.param == "blocking":
        with rustlog.Admin(broker.bootstrap) as blocking:
            yield blocking
    else:
        aio = AioAdmin(broker.bootstrap)
        try:
            yield aio
        finally:
            aio.close()


def fill(bootstrap: str, topic: str, partitions: int, count: int, base_ms: int) -> None:
    """`count` records into each partition, with timestamps `base_ms + i`."""
    with rustlog.Producer(bootstrap) as producer:
        futures = [
            producer.send(topic, f"{p}-{i}", partition=p, timestamp_ms=base_ms + i)
            for p in range(partitions)
            for i in range(count)
        ]
        for future in futures:
            future.result(timeout=10)


def consume_and_commit(bootstrap: str, group: str, topic: str, count: int) -> None:
    """Consumes `count` records in `group`, commits them and leaves the group."""
    with rustlog.Consumer(
        bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        got = 0
        deadline = time.monotonic() + 20
        while got < count and time.monotonic() < deadline:
            got += len(consumer.poll_batch(count - got, timeout=1))
        assert got == count
        consumer.commit()


def join(member: rustlog.Consumer) -> None:
    """Polls until `member` has joined its group and holds partitions."""
    deadline = time.monotonic() + 20
    while not member.assignment():
        assert time.monotonic() < deadline, "the member never got an assignment"
        member.poll(timeout=0.2)


def committed(admin: Any, group: str) -> list[tuple[str, int, int]]:
    return [(c.topic, c.partition, c.offset) for c in admin.group_offsets(group)]


# --- the result classes -------------------------------------------------------------------------


def test_result_classes_are_frozen_values_with_a_readable_repr() -> None:
    p = rustlog.PartitionOffset(1, None)
    assert (p.partition, p.offset) == (1, None)
    assert repr(p) == "PartitionOffset(partition=1, offset=None)"
    assert p == rustlog.PartitionOffset(1, None) and p != rustlog.PartitionOffset(1, 0)
    c = rustlog.CommittedOffset("t", 0, 5, "note")
    assert (c.topic, c.partition, c.offset, c.metadata) == ("t", 0, 5, "note")
    assert repr(c) == 'CommittedOffset(topic="t", partition=0, offset=5, metadata="note")'
    assert rustlog.CommittedOffset("t", 0, 5).metadata is None
    o = rustlog.OffsetChange("t", 2, None, 7)
    assert (o.topic, o.partition, o.current, o.new) == ("t", 2, None, 7)
    assert repr(o) == 'OffsetChange(topic="t", partition=2, current=None, new=7)'
    assert len({o, rustlog.OffsetChange("t", 2, None, 7)}) == 1
    with pytest.raises(AttributeError):
        o.new = 8  # type: ignore[misc]


# --- create_partitions ----------------------------------------------------------------------------


def test_a_topic_grows_and_never_shrinks(broker: rustlog.EmbeddedBroker, admin: Any) -> None:
    topic = unique("grow")
    admin.create_topic(topic, partitions=2)
    assert admin.create_partitions(topic, 4) == 4
    with rustlog.Producer(broker.bootstrap) as producer:
        meta = producer.send(topic, b"new", partition=3).result(timeout=10)
        assert (meta.partition, meta.offset) == (3, 0)

    for count in (4, 3):  # the same count, fewer
        with pytest.raises(rustlog.InvalidPartitions) as info:
            admin.create_partitions(topic, count)
        assert info.value.code == rustlog.ERROR_CODES["InvalidPartitions"]
    with pytest.raises(rustlog.TopicNotFound):
        admin.create_partitions(unique("nope"), 3)
    assert len(admin.describe_topic(topic)["partitions"]) == 4


# --- delete_group -------------------------------------------------------------------------------


def test_a_group_is_deleted_only_without_members(
    broker: rustlog.EmbeddedBroker, admin: Any
) -> None:
    topic, group = unique("t"), unique("busy")
    admin.create_topic(topic, partitions=1)
    fill(broker.bootstrap, topic, 1, 5, 1_000)
    with rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest"
    ) as member:
        msg = member.poll(timeout=10)
        assert msg is not None
        member.commit(msg)
        with pytest.raises(rustlog.NonEmptyGroup):
            admin.delete_group(group)
        assert committed(admin, group) == [(topic, 0, 1)]
    # The member left: the group goes, with its offsets.
    admin.delete_group(group)
    assert admin.group_offsets(group) == []
    with pytest.raises(rustlog.GroupNotFound):
        admin.describe_group(group)
    with pytest.raises(rustlog.GroupNotFound):
        admin.delete_group(group)


# --- topic_offsets / offsets_for_time -----------------------------------------------------------


def test_topic_offsets_by_end_and_by_time(broker: rustlog.EmbeddedBroker, admin: Any) -> None:
    topic = unique("t")
    admin.create_topic(topic, partitions=2)
    fill(broker.bootstrap, topic, 2, 10, 5_000)

    latest = admin.topic_offsets(topic)
    assert latest == [rustlog.PartitionOffset(0, 10), rustlog.PartitionOffset(1, 10)]
    assert all(isinstance(p, rustlog.PartitionOffset) for p in latest)
    assert admin.topic_offsets(topic, "latest") == latest
    assert [(p.partition, p.offset) for p in admin.topic_offsets(topic, at="earliest")] == [
        (0, 0),
        (1, 0),
    ]
    with pytest.raises(rustlog.InvalidArgument, match='"earliest" or "latest", not "newest"') as e:
        admin.topic_offsets(topic, at="newest")
    assert e.value.code == rustlog.ERROR_CODES["InvalidArgument"]
    with pytest.raises(rustlog.TopicNotFound):
        admin.topic_offsets(unique("nope"))

    assert [p.offset for p in admin.offsets_for_time(topic, 5_004)] == [4, 4]
    assert [p.offset for p in admin.offsets_for_time(topic, 0)] == [0, 0]
    # Past every record: no offset, rather than an error.
    assert admin.offsets_for_time(topic, 9_999) == [
        rustlog.PartitionOffset(0, None),
        rustlog.PartitionOffset(1, None),
    ]
    with pytest.raises(rustlog.TopicNotFound):
        admin.offsets_for_time(unique("nope"), 5_004)


# --- group_offsets / set_group_offsets ----------------------------------------------------------


def test_group_offsets_are_read_and_set(broker: rustlog.EmbeddedBroker, admin: Any) -> None:
    topic, group = unique("t"), unique("g")
    admin.create_topic(topic, partitions=2)
    fill(broker.bootstrap, topic, 2, 4, 0)
    assert admin.group_offsets(unique("never")) == []
    consume_and_commit(broker.bootstrap, group, topic, 8)
    offsets = admin.group_offsets(group)
    assert offsets == [
        rustlog.CommittedOffset(topic, 0, 4, None),
        rustlog.CommittedOffset(topic, 1, 4, None),
    ]
    assert all(isinstance(c, rustlog.CommittedOffset) for c in offsets)

    admin.set_group_offsets(group, {(topic, 1): 1, (topic, 0): 3})
    assert committed(admin, group) == [(topic, 0, 3), (topic, 1, 1)]

    # Past the high watermark (4): refused, nothing moves.
    with pytest.raises(rustlog.OffsetOutOfRange):
        admin.set_group_offsets(group, {(topic, 1): 5})
    assert committed(admin, group) == [(topic, 0, 3), (topic, 1, 1)]
    # One bad offset among good ones: the whole call is refused, the good one is not set either.
    with pytest.raises(rustlog.OffsetOutOfRange, match="nothing was committed"):
        admin.set_group_offsets(group, {(topic, 0): 0, (topic, 1): 5})
    assert committed(admin, group) == [(topic, 0, 3), (topic, 1, 1)]
    # Not a mapping / a key that is no (topic, partition) pair: refused before any request.
    with pytest.raises(TypeError, match="mapping of \\(topic, partition\\) to offset"):
        admin.set_group_offsets(group, [((topic, 0), 0)])
    with pytest.raises(TypeError, match="offsets: a key is a \\(topic, partition\\) tuple"):
        admin.set_group_offsets(group, {topic: 0})
    with pytest.raises(OverflowError, match=f"offsets\\[\\(\"{topic}\", 0\\)\\]"):
        admin.set_group_offsets(group, {(topic, 0): -1})
    assert committed(admin, group) == [(topic, 0, 3), (topic, 1, 1)]

    # A running member makes the group refuse offsets set from outside.
    with rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest"
    ) as member:
        join(member)
        with pytest.raises(rustlog.NonEmptyGroup):
            admin.set_group_offsets(group, {(topic, 0): 0})
        assert committed(admin, group) == [(topic, 0, 3), (topic, 1, 1)]


# --- reset_group_offsets ------------------------------------------------------------------------


def test_group_offsets_are_reset_like_kafkas_tool(
    broker: rustlog.EmbeddedBroker, admin: Any
) -> None:
    topic, group = unique("t"), unique("g")
    admin.create_topic(topic, partitions=2)
    fill(broker.bootstrap, topic, 2, 10, 5_000)
    consume_and_commit(broker.bootstrap, group, topic, 20)
    assert committed(admin, group) == [(topic, 0, 10), (topic, 1, 10)]

    # A dry run (the default) returns the plan and changes nothing.
    plan = admin.reset_group_offsets(group, topic, to="earliest")
    assert plan == [
        rustlog.OffsetChange(topic, 0, 10, 0),
        rustlog.OffsetChange(topic, 1, 10, 0),
    ]
    assert all(isinstance(c, rustlog.OffsetChange) for c in plan)
    assert committed(admin, group) == [(topic, 0, 10), (topic, 1, 10)]
    # Executing it does what the dry run showed.
    assert admin.reset_group_offsets(group, topic, to="earliest", execute=True) == plan
    assert committed(admin, group) == [(topic, 0, 0), (topic, 1, 0)]

    # (target, partitions, committed offsets of partitions 0 and 1 after it)
    cases: list[tuple[dict[str, Any], list[int] | None, list[int]]] = [
        ({"shift_by": 3}, [1], [0, 3]),
        ({"shift_by": -100}, None, [0, 0]),
        ({"to_offset": 7}, None, [7, 7]),
        ({"to_offset": 1_000}, [0], [10, 7]),  # clamped to the high watermark
        ({"to_timestamp_ms": 5_006}, None, [6, 6]),
        ({"to_timestamp_ms": 99_999}, [1], [6, 10]),  # no record that new: the end
        ({"to": "latest"}, None, [10, 10]),
    ]
    for target, partitions, want in cases:
        changes = admin.reset_group_offsets(
            group, topic, partitions=partitions, execute=True, **target
        )
        assert [c.partition for c in changes] == (partitions or [0, 1]), target
        assert [c.offset for c in admin.group_offsets(group)] == want, (target, partitions)

    # Refusals, each leaving the offsets where they were.
    before = committed(admin, group)
    with pytest.raises(
        rustlog.InvalidArgument,
        match="exactly one target of to, to_offset, to_timestamp_ms or shift_by; "
        "got to and shift_by",
    ):
        admin.reset_group_offsets(group, topic, to="earliest", shift_by=1, execute=True)
    with pytest.raises(rustlog.InvalidArgument, match="got to_offset and to_timestamp_ms"):
        admin.reset_group_offsets(group, topic, to_offset=1, to_timestamp_ms=1, execute=True)
    with pytest.raises(rustlog.InvalidArgument, match="exactly one target .*; got none"):
        admin.reset_group_offsets(group, topic, execute=True)
    with pytest.raises(rustlog.InvalidArgument, match='not "beginning"'):
        admin.reset_group_offsets(group, topic, to="beginning", execute=True)
    with pytest.raises(rustlog.PartitionNotFound):
        admin.reset_group_offsets(group, topic, to="earliest", partitions=[0, 5], execute=True)
    with pytest.raises(rustlog.TopicNotFound):
        admin.reset_group_offsets(group, unique("nope"), to="earliest", execute=True)
    assert committed(admin, group) == before

    # A running member makes the executed reset refuse; its dry run still plans.
    with rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest"
    ) as member:
        join(member)
        with pytest.raises(rustlog.NonEmptyGroup):
            admin.reset_group_offsets(group, topic, to="earliest", execute=True)
        assert [c.new for c in admin.reset_group_offsets(group, topic, to="earliest")] == [0, 0]
        assert committed(admin, group) == before


def test_shifting_without_a_commit_is_refused(
    broker: rustlog.EmbeddedBroker, admin: Any
) -> None:
    topic, group = unique("t"), unique("fresh")
    admin.create_topic(topic, partitions=2)
    fill(broker.bootstrap, topic, 2, 4, 0)

    with pytest.raises(rustlog.InvalidArgument, match="no committed offset") as info:
        admin.reset_group_offsets(group, topic, shift_by=1, execute=True)
    assert info.value.code == rustlog.ERROR_CODES["InvalidArgument"]
    assert admin.group_offsets(group) == []

    # Any absolute target works for the same group; the plan shows nothing committed before.
    plan = admin.reset_group_offsets(group, topic, to_offset=2, execute=True)
    assert [(c.partition, c.current, c.new) for c in plan] == [(0, None, 2), (1, None, 2)]
    assert committed(admin, group) == [(topic, 0, 2), (topic, 1, 2)]


# --- asyncio, written as an application would -----------------------------------------------------


def test_the_asyncio_admin_awaits_typed_answers(broker: rustlog.EmbeddedBroker) -> None:
    topic, group = unique("aio"), unique("g")

    async def scenario() -> None:
        async with rustlog.aio.Admin(broker.bootstrap) as admin:
            await admin.create_topic(topic, partitions=1)
            assert await admin.create_partitions(topic, 2) == 2
            with pytest.raises(rustlog.InvalidPartitions):
                await admin.create_partitions(topic, 1)
            offsets = await admin.topic_offsets(topic, at="earliest")
            assert offsets == [rustlog.PartitionOffset(0, 0), rustlog.PartitionOffset(1, 0)]
            with pytest.raises(rustlog.InvalidArgument):
                await admin.topic_offsets(topic, at="first")  # type: ignore[arg-type]
            assert await admin.offsets_for_time(topic, 0) == [
                rustlog.PartitionOffset(0, None),
                rustlog.PartitionOffset(1, None),
            ]
            await admin.set_group_offsets(group, {(topic, 0): 0, (topic, 1): 0})
            assert await admin.group_offsets(group) == [
                rustlog.CommittedOffset(topic, 0, 0),
                rustlog.CommittedOffset(topic, 1, 0),
            ]
            plan = await admin.reset_group_offsets(group, topic, to="latest", partitions=[1])
            assert plan == [rustlog.OffsetChange(topic, 1, 0, 0)]
            with pytest.raises(rustlog.InvalidArgument, match="got to and to_offset"):
                await admin.reset_group_offsets(group, topic, to="latest", to_offset=0)
            await admin.delete_group(group)
            assert await admin.group_offsets(group) == []
            with pytest.raises(rustlog.GroupNotFound):
                await admin.delete_group(group)

    asyncio.run(asyncio.wait_for(scenario(), timeout=30))
