"""Manual assignment on a real broker (confluent-kafka's `Consumer.assign`): a consumer without
a group reads the partitions it names, from the offsets it gives or `auto_offset_reset`; with a
group id its commits are where the next one starts; bad partitions, bad items, subscribe mixed
with assign and commits without a group are refused and change nothing. Blocking and asyncio."""

from __future__ import annotations

import asyncio
import time

import pytest

import rustlog
import rustlog.aio
from conftest import produce_values as produce
from conftest import unique


def poll_n(consumer: rustlog.Consumer, count: int) -> list[rustlog.Message]:
    got: list[rustlog.Message] = []
    deadline = time.monotonic() + 20
    while len(got) < count:
        assert time.monotonic() < deadline, f"only {len(got)} of {count}"
        got.extend(consumer.poll_batch(count - len(got), timeout=0.2))
    return got


def values(messages: list[rustlog.Message], partition: int) -> list[int]:
    return [int(m.value or b"") for m in messages if m.partition == partition]


def two_partitions(broker: rustlog.EmbeddedBroker, admin: rustlog.Admin) -> str:
    name = unique("assign")
    admin.create_topic(name, partitions=2)
    produce(broker.bootstrap, name, 0, range(0, 10))
    produce(broker.bootstrap, name, 1, range(100, 110))
    return name


def test_a_consumer_without_a_group_reads_what_it_assigns(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    name = two_partitions(broker, admin)
    with rustlog.Consumer(broker.bootstrap, auto_offset_reset="earliest") as consumer:
        consumer.assign([(name, 0), rustlog.TopicPartitionOffset(name, 1, 7)])
        got = poll_n(consumer, 13)
        assert values(got, 0) == list(range(10))
        assert values(got, 1) == [107, 108, 109]
        assert sorted(consumer.assignment()) == [(name, 0), (name, 1)]
        assert consumer.member_id is None
        consumer.seek(name, 0, 8)
        assert values(poll_n(consumer, 2), 0) == [8, 9]
        consumer.assign([(name, 1, 3)])  # a third item: the offset
        assert values(poll_n(consumer, 7), 1) == list(range(103, 110))
        consumer.unassign()
        assert consumer.assignment() == []
        assert consumer.poll(timeout=0.3) is None
        with pytest.raises(rustlog.InvalidArgument, match="group id"):
            consumer.commit(offsets=[(name, 1, 3)])
    assert admin.list_groups() == []


def test_assigned_partitions_commit_for_their_group(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    name = two_partitions(broker, admin)
    group = unique("g")
    with rustlog.Consumer(broker.bootstrap, group_id=group, auto_offset_reset="earliest") as c:
        c.assign([(name, 0)])
        got = poll_n(c, 4)
        c.commit(got[-1])
    with rustlog.Consumer(broker.bootstrap, group_id=group, auto_offset_reset="earliest") as c:
        c.assign([(name, 0)])
        assert values(poll_n(c, 6), 0) == list(range(4, 10))


def test_bad_assignments_are_refused_and_change_nothing(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    name = two_partitions(broker, admin)
    with rustlog.Consumer(broker.bootstrap, auto_offset_reset="earliest") as consumer:
        with pytest.raises(rustlog.InvalidArgument, match="assign"):
            consumer.poll(timeout=0.1)
        consumer.assign([(name, 0)])
        with pytest.raises(rustlog.TopicNotFound):
            consumer.assign([(name, 0), ("missing", 0)])
        with pytest.raises(rustlog.PartitionNotFound, match=f"{name}/5"):
            consumer.assign([(name, 5)])
        with pytest.raises(TypeError, match="assign takes"):
            consumer.assign([name])  # type: ignore[list-item]
        with pytest.raises(rustlog.InvalidArgument, match="group id"):
            consumer.subscribe([name])
        assert values(poll_n(consumer, 10), 0) == list(range(10)), "still the first assignment"
    with rustlog.Consumer(broker.bootstrap, group_id=unique("s"), topics=[name]) as subscribed:
        with pytest.raises(rustlog.InvalidArgument, match="cannot be mixed"):
            subscribed.assign([(name, 0)])
    with pytest.raises(rustlog.InvalidGroupId):
        rustlog.Consumer(broker.bootstrap, topics=[name])


def test_asyncio_assign(broker: rustlog.EmbeddedBroker, admin: rustlog.Admin) -> None:
    name = two_partitions(broker, admin)

    async def scenario() -> None:
        async with rustlog.aio.Consumer(broker.bootstrap, auto_offset_reset="earliest") as c:
            with pytest.raises(rustlog.PartitionNotFound):
                await c.assign([(name, 9)])
            await c.assign([(name, 1, 5)])
            got: list[rustlog.Message] = []
            while len(got) < 5:
                got.extend(await c.poll_batch(timeout=0.5))
            assert values(got, 1) == list(range(105, 110))
            assert c.assignment() == [(name, 1)]
            c.unassign()
            assert await c.poll(timeout=0.3) is None

    asyncio.run(asyncio.wait_for(scenario(), timeout=40))
