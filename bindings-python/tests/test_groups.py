"""Consumer groups: manual commit and resume after close/reopen; partitions shared by members;
seek, assignment and the admin view of a group."""

from __future__ import annotations

import threading
import time

import rustlog
from conftest import unique


def produce(bootstrap: str, topic: str, values: list[bytes], partition: int | None = None) -> None:
    with rustlog.Producer(bootstrap) as producer:
        producer.send_batch(topic, values, partition=partition).wait(timeout=10)


def test_commit_then_resume_after_reopen(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    produce(broker.bootstrap, topic, [b"a", b"b", b"c", b"d"])
    group = unique("g")
    with rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        first = consumer.poll(timeout=10)
        second = consumer.poll(timeout=10)
        assert first is not None and second is not None
        assert (first.value, second.value) == (b"a", b"b")
        consumer.commit(second)
        assert consumer.committed(topic, 0) == 2
        assert consumer.assignment() == [(topic, 0)]
        assert consumer.position(topic, 0) == 2
    # Closed: the next member of the group starts after the committed offset.
    with rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        msg = consumer.poll(timeout=10)
        assert msg is not None and (msg.offset, msg.value) == (2, b"c")
        consumer.poll(timeout=10)
        consumer.commit()  # everything returned so far
        assert consumer.committed(topic, 0) == 4


def test_uncommitted_messages_are_delivered_again(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    produce(broker.bootstrap, topic, [b"x", b"y"])
    group = unique("g")
    with rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        assert [m.value for m in consumer.poll_batch(10, timeout=10)] == [b"x", b"y"]
    with rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        msg = consumer.poll(timeout=10)
        assert msg is not None and msg.value == b"x"


def test_iteration_and_seek(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    produce(broker.bootstrap, topic, [b"0", b"1", b"2"])
    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        seen = []
        for msg in consumer:
            seen.append(msg.value)
            if len(seen) == 3:
                break
        assert seen == [b"0", b"1", b"2"]
        consumer.seek(topic, 0, 1)
        again = consumer.poll(timeout=10)
        assert again is not None and again.offset == 1
        consumer.close()
        assert consumer.closed
        assert repr(consumer).endswith(f"topics=[{topic!r}], closed=True)".replace("'", '"'))
        assert list(consumer) == []  # a closed consumer ends the iteration


def test_two_consumers_in_a_group_share_partitions(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    name = unique("shared")
    admin.create_topic(name, partitions=4)
    group = unique("g")
    for p in range(4):
        produce(broker.bootstrap, name, [f"p{p}".encode()], partition=p)
    # Like Kafka, a member must keep polling to take part in a rebalance, so each member polls
    # on its own thread (the calls release the GIL).
    members = [
        rustlog.Consumer(
            broker.bootstrap, group_id=group, topics=[name], auto_offset_reset="earliest"
        ) for _ in range(2)
    ]
    seen: list[set[int]] = [set(), set()]
    assignments: list[set[int]] = [set(), set()]
    both_assigned = threading.Event()
    done = threading.Event()

    def member(index: int) -> None:
        consumer = members[index]
        deadline = time.monotonic() + 40
        while not done.is_set() and time.monotonic() < deadline:
            for msg in consumer.poll_batch(10, timeout=0.2):
                seen[index].add(msg.partition)
                consumer.commit(msg)
            assignments[index] = {p for _, p in consumer.assignment()}
            if all(assignments) and not assignments[0] & assignments[1]:
                both_assigned.set()

    threads = [threading.Thread(target=member, args=(i,)) for i in range(2)]
    try:
        for t in threads:
            t.start()
        assert both_assigned.wait(timeout=40), f"assignments never split: {assignments}"
        # Give the members time to read what they were assigned.
        deadline = time.monotonic() + 20
        while seen[0] | seen[1] != {0, 1, 2, 3} and time.monotonic() < deadline:
            time.sleep(0.05)
        done.set()
        for t in threads:
            t.join(timeout=30)
        assert assignments[0] and assignments[1], "both members got partitions"
        assert assignments[0].isdisjoint(assignments[1])
        assert assignments[0] | assignments[1] == {0, 1, 2, 3}
        assert seen[0] | seen[1] == {0, 1, 2, 3}
        groups = {g["group_id"]: g for g in admin.list_groups()}
        assert groups[group]["member_count"] == 2
        described = admin.describe_group(group)
        assert len(described["members"]) == 2
        assert all(o["lag"] == 0 for o in described["offsets"])
    finally:
        done.set()
        for c in members:
            c.close()


def test_admin_topics(admin: rustlog.Admin) -> None:
    name = unique("admin")
    created = admin.create_topic(name, partitions=2, config={"retention.ms": "60000"})
    assert created["name"] == name and created["partitions"] == 2
    assert created["config"]["retention.ms"] == "60000"
    assert {"name": name, "partitions": 2} in admin.list_topics()
    described = admin.describe_topic(name)
    assert [p["partition"] for p in described["partitions"]] == [0, 1]
    assert described["partitions"][0]["high_watermark"] == 0
    part = admin.describe_partition(name, 1)
    assert part["topic"] == name and part["partition"] == 1
    assert "rustlog" in admin.metrics()
    admin.delete_topic(name)
    assert name not in [t["name"] for t in admin.list_topics()]


def test_auto_commit_commits_returned_messages_on_close(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    produce(broker.bootstrap, topic, [b"a", b"b", b"c"])
    group = unique("auto")
    with rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[topic],
        auto_offset_reset="earliest", enable_auto_commit=True
    ) as consumer:
        assert [m.value for m in (consumer.poll(timeout=10), consumer.poll(timeout=10)) if m] == [
            b"a",
            b"b",
        ]
    with rustlog.Consumer(
        broker.bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        assert consumer.committed(topic, 0) == 2
        msg = consumer.poll(timeout=10)
        assert msg is not None and msg.value == b"c"


def test_latest_reset_skips_existing_records(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    produce(broker.bootstrap, topic, [b"old"])
    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("late"), topics=[topic], auto_offset_reset="latest"
    ) as consumer:
        assert consumer.poll(timeout=0.5) is None
        produce(broker.bootstrap, topic, [b"new"])
        msg = consumer.poll(timeout=10)
        assert msg is not None and msg.value == b"new"


def test_closing_from_another_thread_ends_the_iteration(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    consumer = rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="earliest"
    )
    consumer.poll(timeout=0.3)
    timer = threading.Timer(0.5, consumer.close)
    timer.start()
    assert [m for m in consumer] == []
    timer.join()
    assert consumer.closed
