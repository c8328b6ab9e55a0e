"""Kafka consumer groups (the classic protocol: the broker elects a leader, the leader assigns,
SyncGroup fans the assignment out) with clients nobody here wrote, each member in its own
process: 2-3 members with range, roundrobin and (cooperative-)sticky share the partitions and
consume each record exactly once; a member killed with SIGKILL mid-stream has its partitions
handed to the others; committed offsets survive a broker kill -9; a static member
(`group.instance.id`) comes back to its own partitions."""

from __future__ import annotations

import threading
import time

import pytest

from conftest import unique
from kafka_support import (
    BrokerProcess,
    GroupMember,
    ProduceOptions,
    Record,
    make_client,
    wait_for_stable_assignment,
    wait_until,
)

PARTITIONS = 6
PER_PARTITION = 10

#: (client, strategy): every assignor each client has. Only librdkafka does cooperative
#: rebalancing; kafka-python and aiokafka have the eager sticky assignor.
STRATEGIES = [
    ("confluent", "range"),
    ("confluent", "roundrobin"),
    ("confluent", "cooperative-sticky"),
    ("kafka-python", "range"),
    ("kafka-python", "roundrobin"),
    ("kafka-python", "sticky"),
    ("aiokafka", "range"),
    ("aiokafka", "roundrobin"),
    ("aiokafka", "sticky"),
]


def produce_each_partition(broker: BrokerProcess, topic: str, first: int, count: int) -> None:
    """`count` records into every partition, values "p:n" from n = first."""
    records = [
        Record(key=None, value=f"{p}:{n}".encode(), partition=p)
        for p in range(PARTITIONS)
        for n in range(first, first + count)
    ]
    make_client("confluent", broker.bootstrap).produce(topic, records, ProduceOptions(acks=-1))


def consumed(group: list[GroupMember]) -> list[tuple[int, int]]:
    return [r for m in group for r in m.records()]


@pytest.mark.parametrize("size", [2, 3])
@pytest.mark.parametrize(("client_name", "strategy"), STRATEGIES)
def test_the_group_shares_the_partitions_and_consumes_each_record_once(
    kafka_broker: BrokerProcess, members: list[GroupMember], client_name: str, strategy: str,
    size: int,
) -> None:
    topic = kafka_broker.create_topic(unique("grp"), partitions=PARTITIONS)
    group_id = unique("g")
    for _ in range(size):
        members.append(GroupMember(client_name, kafka_broker.bootstrap, group_id, topic, strategy))
    wait_for_stable_assignment(members, PARTITIONS)

    produce_each_partition(kafka_broker, topic, 0, PER_PARTITION)

    wait_until("every record to be consumed", lambda: len(consumed(members)) >= PARTITIONS * PER_PARTITION)
    everything = consumed(members)
    assert sorted(everything) == [(p, o) for p in range(PARTITIONS) for o in range(PER_PARTITION)]
    for m in members:
        assert {p for p, _ in m.records()} <= m.assignment(), f"{m.name} read another's partition"


@pytest.mark.parametrize(("client_name", "strategy"), [s for s in STRATEGIES if s[1] == "range"])
def test_a_killed_member_hands_its_partitions_to_the_others(
    kafka_broker: BrokerProcess, members: list[GroupMember], client_name: str, strategy: str
) -> None:
    topic = kafka_broker.create_topic(unique("kill"), partitions=PARTITIONS)
    group_id = unique("g")
    for _ in range(3):
        members.append(GroupMember(client_name, kafka_broker.bootstrap, group_id, topic, strategy))
    wait_for_stable_assignment(members, PARTITIONS)
    victim, survivors = members[0], members[1:]
    orphaned = victim.assignment()
    total = 40  # per partition, produced while the victim dies

    def stream() -> None:
        for n in range(0, total, 4):
            produce_each_partition(kafka_broker, topic, n, 4)
            time.sleep(0.2)  # a steady stream, not one burst

    producer = threading.Thread(target=stream)
    producer.start()
    try:
        wait_until("the victim to consume", lambda: len(victim.records()) >= 3)
        victim.kill9()
        wait_for_stable_assignment(survivors, PARTITIONS)
    finally:
        producer.join()

    expected = {(p, o) for p in range(PARTITIONS) for o in range(total)}
    wait_until("the survivors to consume the rest", lambda: set(consumed(members)) >= expected)
    assert set(consumed(members)) == expected
    took_over = {p for m in survivors for p, _ in m.records()} & orphaned
    assert took_over == orphaned, "the survivors did not read the killed member's partitions"
    # Only the killed member's last uncommitted record may be read twice.
    committed = victim.committed()
    survivor_reads = [r for m in survivors for r in m.records()]
    assert len(survivor_reads) == len(set(survivor_reads)), "two survivors read one record"
    for p, o in set(victim.records()) & set(survivor_reads):
        assert o >= committed.get(p, 0), f"{p}/{o} was committed and still read again"


@pytest.mark.parametrize("client_name", ["confluent", "kafka-python", "aiokafka"])
def test_committed_offsets_survive_a_broker_kill9(
    kafka_broker: BrokerProcess, members: list[GroupMember], client_name: str
) -> None:
    topic = kafka_broker.create_topic(unique("commit"), partitions=PARTITIONS)
    group_id = unique("g")
    first = GroupMember(client_name, kafka_broker.bootstrap, group_id, topic, "range")
    members.append(first)
    wait_for_stable_assignment([first], PARTITIONS)
    produce_each_partition(kafka_broker, topic, 0, PER_PARTITION)
    wait_until(
        "every offset to be committed",
        lambda: first.committed() == {p: PER_PARTITION for p in range(PARTITIONS)},
    )
    first.stop()

    kafka_broker.restart()  # kill -9, then the same ports and data dir
    produce_each_partition(kafka_broker, topic, PER_PARTITION, PER_PARTITION)
    second = GroupMember(client_name, kafka_broker.bootstrap, group_id, topic, "range")
    members.append(second)

    expected = [(p, o) for p in range(PARTITIONS) for o in range(PER_PARTITION, 2 * PER_PARTITION)]
    wait_until("the newer records", lambda: len(second.records()) >= len(expected))
    # It resumed after the committed offsets: nothing before them is read again.
    assert sorted(second.records()) == expected


@pytest.mark.parametrize("client_name", ["confluent", "kafka-python", "aiokafka"])
def test_a_static_member_comes_back_to_its_own_partitions(
    kafka_broker: BrokerProcess, members: list[GroupMember], client_name: str
) -> None:
    topic = kafka_broker.create_topic(unique("static"), partitions=PARTITIONS)
    group_id = unique("g")

    def member(instance_id: str) -> GroupMember:
        # A long session: a static member's absence must not be noticed before it returns.
        started = GroupMember(client_name, kafka_broker.bootstrap, group_id, topic, "range",
                              instance_id=instance_id, session_timeout_ms=30_000)
        members.append(started)
        return started

    a, b = member("static-a"), member("static-b")
    wait_for_stable_assignment([a, b], PARTITIONS)
    a_partitions, b_partitions, b_changes = a.assignment(), b.assignment(), b.assignment_changes()

    a.kill9()  # no LeaveGroup: the broker keeps "static-a"'s place
    returned = member("static-a")
    wait_for_stable_assignment([returned, b], PARTITIONS)

    assert returned.assignment() == a_partitions
    assert b.assignment() == b_partitions
    assert b.assignment_changes() == b_changes, "the static member's return rebalanced the group"
    produce_each_partition(kafka_broker, topic, 0, PER_PARTITION)
    wait_until("every record", lambda: len(returned.records()) + len(b.records()) >= PARTITIONS * PER_PARTITION)
    assert sorted(returned.records() + b.records()) == [
        (p, o) for p in range(PARTITIONS) for o in range(PER_PARTITION)
    ]
