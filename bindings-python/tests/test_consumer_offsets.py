"""Offsets from a consumer, on a real broker: commit(offsets=[...]) next to commit(msg) and
commit(), get_watermark_offsets and offsets_for_times (confluent-kafka's names), on both
consumers."""

from __future__ import annotations

import asyncio
from typing import Any, Coroutine

import pytest

import rustlog
import rustlog.aio
from conftest import unique


def produce(bootstrap: str, topic: str, count: int, partition: int = 0) -> None:
    with rustlog.Producer(bootstrap) as producer:
        for i in range(count):
            producer.send(topic, f"v{i}", partition=partition, timestamp_ms=1_000 + i)


def test_commit_offsets_message_or_consumed_exactly_one_form(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    produce(broker.bootstrap, topic, 6)
    group = unique("g")
    with rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest"
    ) as c:
        first = c.poll(timeout=10)
        assert first is not None and first.offset == 0
        c.commit(first)
        assert c.committed(topic, 0) == 1
        c.commit(offsets=[(topic, 0, 4)])
        assert c.committed(topic, 0) == 4
        c.commit(offsets=[])  # nothing to commit
        assert c.committed(topic, 0) == 4
        with pytest.raises(rustlog.InvalidArgument, match="not both"):
            c.commit(first, offsets=[(topic, 0, 2)])
        assert c.committed(topic, 0) == 4
        with pytest.raises(ValueError, match="offsets"):
            c.commit(offsets=[(topic, 0)])  # type: ignore[list-item]
    with rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest"
    ) as c:
        msg = c.poll(timeout=10)
        assert msg is not None and msg.offset == 4, "the next member starts at the commit"
        c.commit()
        assert c.committed(topic, 0) == 5


def test_watermarks_and_offsets_for_times(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    name = unique("marks")
    admin.create_topic(name, partitions=2)
    produce(broker.bootstrap, name, 5, partition=0)
    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[name], auto_offset_reset="earliest"
    ) as c:
        # No poll needed: these ask the broker, for any partition.
        assert c.get_watermark_offsets(name, 0) == (0, 5)
        assert c.get_watermark_offsets(name, 1, timeout=10) == (0, 0)
        found = c.offsets_for_times([(name, 0, 1_002), (name, 0, 0), (name, 0, 99_999), (name, 1, 0)])
        assert found == [
            rustlog.TopicPartitionOffset(name, 0, 2),
            rustlog.TopicPartitionOffset(name, 0, 0),
            rustlog.TopicPartitionOffset(name, 0, None),  # no record that new (confluent: -1)
            rustlog.TopicPartitionOffset(name, 1, None),
        ]
        assert (found[0].topic, found[0].partition, found[0].offset) == (name, 0, 2)
        assert repr(found[2]) == f'TopicPartitionOffset(topic="{name}", partition=0, offset=None)'
        assert c.offsets_for_times([]) == []
        with pytest.raises(rustlog.PartitionNotFound):
            c.get_watermark_offsets(name, 9)
        with pytest.raises(rustlog.TopicNotFound):
            c.offsets_for_times([("no-such-topic", 0, 0)])
        with pytest.raises(ValueError, match="timeout"):
            c.get_watermark_offsets(name, 0, timeout=-1)
        c.close()
        with pytest.raises(rustlog.Closed):
            c.get_watermark_offsets(name, 0)


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, timeout=30))


def test_async_commit_offsets_watermarks_and_offsets_for_times(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    produce(broker.bootstrap, topic, 5)
    group = unique("g")

    async def scenario() -> None:
        async with rustlog.aio.Consumer(
            broker.bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest"
        ) as c:
            assert await c.get_watermark_offsets(topic, 0) == (0, 5)
            assert await c.offsets_for_times([(topic, 0, 1_003)]) == [
                rustlog.TopicPartitionOffset(topic, 0, 3)
            ]
            msg = await c.poll(timeout=10)
            assert msg is not None
            await c.commit(offsets=[(topic, 0, 3)])
            assert await c.committed(topic, 0) == 3
            with pytest.raises(rustlog.InvalidArgument, match="not both"):
                await c.commit(msg, offsets=[(topic, 0, 1)])
            await c.commit(msg)
            assert await c.committed(topic, 0) == 1
        with pytest.raises(rustlog.Closed):
            await c.get_watermark_offsets(topic, 0)

    run(scenario())
