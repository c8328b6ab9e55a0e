"""Consumer events and hooks set at subscribe time, on a real broker: `Consumer.events()` and
`rustlog.aio.Consumer.events()` tell the join (member, generation, assignment), commits (the
offsets) and the stop, and end after it; `subscribe(..., on_assign=...)` and aiokafka's
`subscribe(topics, listener=...)` replace the hooks; bad hooks, bad topics and streams of a
closed consumer are refused."""

from __future__ import annotations

import asyncio
import time

import pytest

import rustlog
import rustlog.aio
from conftest import unique

FAST = {"session_timeout_ms": 1500, "rebalance_timeout_ms": 5000, "fetch_max_wait_ms": 100}


def produce(bootstrap: str, topic: str, count: int) -> None:
    with rustlog.Producer(bootstrap) as producer:
        producer.send_batch(topic, [str(i) for i in range(count)]).wait(timeout=10)


def drain(stream: rustlog.ConsumerEvents) -> list[rustlog.ConsumerEvent]:
    out = []
    while (event := stream.get(timeout=0)) is not None:
        out.append(event)
    return out


def test_events_tell_the_join_the_commits_and_the_stop(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    produce(broker.bootstrap, topic, 3)
    group = unique("events")
    consumer = rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest", **FAST
    )
    stream = consumer.events()
    got = []
    deadline = time.monotonic() + 20
    while len(got) < 3:
        assert time.monotonic() < deadline, f"only {len(got)} messages"
        got.extend(consumer.poll_batch(timeout=0.5))
    consumer.commit()
    consumer.close()

    events = list(stream)  # ends after the stop event
    kinds = [e.kind for e in events if e.kind != "heartbeat"]
    assert kinds == ["group_join", "commit_offsets", "stop"], kinds
    join = events[0]
    assert join.member_id and join.generation_id == 1
    assert join.assignment == [(topic, 0)]
    assert join.offsets is None and join.max_poll_interval_ms is None and join.lagged == 0
    commit = next(e for e in events if e.kind == "commit_offsets")
    assert commit.offsets == [rustlog.TopicPartitionOffset(topic, 0, 3)]
    assert commit.member_id is None
    assert stream.get(timeout=0) is None, "ended"
    assert "group_join" in repr(join)

    with pytest.raises(rustlog.Closed):
        consumer.events()
    with pytest.raises(ValueError):
        stream.get(timeout=-1)


def test_hooks_given_to_subscribe_replace_the_constructors(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    first, second = unique("first"), unique("second")
    admin.create_topic(first, partitions=1)
    admin.create_topic(second, partitions=1)
    calls: list[tuple[str, list[tuple[str, int]]]] = []

    def old_assign(partitions: list[tuple[str, int]]) -> None:
        calls.append(("old", partitions))

    def new_assign(partitions: list[tuple[str, int]]) -> None:
        calls.append(("new", partitions))

    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[first], on_assign=old_assign, **FAST
    ) as consumer:
        with pytest.raises(TypeError, match="on_revoke must be callable"):
            consumer.subscribe([second], on_revoke=42)  # type: ignore[arg-type]
        with pytest.raises(rustlog.InvalidTopicName):
            consumer.subscribe(["a/b"], on_assign=new_assign)
        assert consumer.subscribe([second], on_assign=new_assign) is None
        deadline = time.monotonic() + 20
        while not consumer.assignment():
            assert time.monotonic() < deadline, "never joined"
            consumer.poll(timeout=0.2)
        assert consumer.assignment() == [(second, 0)]
    assert calls and all(who == "new" for who, _ in calls), calls
    assert calls[0] == ("new", [(second, 0)])


def test_asyncio_events_and_subscribe_with_a_listener(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    first, second = unique("afirst"), unique("asecond")
    admin.create_topic(first, partitions=1)
    admin.create_topic(second, partitions=1)
    produce(broker.bootstrap, second, 2)

    class Listener(rustlog.aio.ConsumerRebalanceListener):
        def __init__(self) -> None:
            self.assigned: list[list[tuple[str, int]]] = []

        async def on_partitions_assigned(self, assigned: list[tuple[str, int]]) -> None:
            self.assigned.append(assigned)

        def on_partitions_revoked(self, revoked: list[tuple[str, int]]) -> None:
            pass

    async def scenario() -> None:
        listener = Listener()
        consumer = rustlog.aio.Consumer(
            broker.bootstrap, group_id=unique("ag"), topics=[first],
            auto_offset_reset="earliest", **FAST,
        )
        # Before it connected: both apply when it does.
        stream = consumer.events()
        with pytest.raises(TypeError, match="listener must have"):
            consumer.subscribe([second], listener=object())  # type: ignore[arg-type]
        with pytest.raises(rustlog.InvalidTopicName):
            consumer.subscribe(["a/b"])
        consumer.subscribe([second], listener=listener)
        got: list[rustlog.Message] = []
        while len(got) < 2:
            got.extend(await consumer.poll_batch(timeout=0.5))
        assert {m.topic for m in got} == {second}
        assert listener.assigned == [[(second, 0)]]
        # After: a new subscription takes effect at the next poll.
        consumer.subscribe([first, second])
        deadline = time.monotonic() + 20
        while sorted(consumer.assignment()) != sorted([(first, 0), (second, 0)]):
            assert time.monotonic() < deadline, consumer.assignment()
            await consumer.poll(timeout=0.2)
        await consumer.close()
        kinds = [e.kind async for e in stream if e.kind != "heartbeat"]
        assert kinds[0] == "group_join" and kinds[-1] == "stop", kinds
        assert "rebalancing" in kinds
        assert await stream.get(timeout=0) is None
        with pytest.raises(rustlog.Closed):
            consumer.events()

        # Closed before it ever connected: a waiting stream ends.
        never = rustlog.aio.Consumer(broker.bootstrap, group_id=unique("n"), topics=[first])
        waiting = never.events()
        await never.close()
        assert [e async for e in waiting] == []

    asyncio.run(asyncio.wait_for(scenario(), timeout=60))


def test_a_stream_that_falls_behind_counts_what_it_lost(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    """More events than the client buffers (256) while nobody reads: the oldest are lost, and
    the first event read says how many in `lagged`; none is lost twice or counted twice."""
    produce(broker.bootstrap, topic, 1)
    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("lag"), topics=[topic], auto_offset_reset="earliest",
        **FAST,
    ) as consumer:
        while not consumer.poll_batch(timeout=0.5):
            pass
        stream = consumer.events()
        for _ in range(300):
            consumer.commit(offsets=[(topic, 0, 1)])
        first = stream.get(timeout=5)
        assert first is not None and first.lagged > 0, first
        rest = drain(stream)
        commits = [e for e in [first, *rest] if e.kind == "commit_offsets"]
        assert first.lagged + len(commits) >= 300
        assert all(e.lagged == 0 for e in rest), "counted once"
