"""One consumer-group member in its own process, so a scenario can kill it with SIGKILL.

Usage: python kafka_group_member.py '{"client": "confluent", "bootstrap": "127.0.0.1:9092",
       "group": "g", "topic": "t", "strategy": "range", "instance_id": null,
       "session_timeout_ms": 6000}'

It subscribes, and prints one JSON line per event on stdout (flushed at once):
  {"event": "assigned", "partitions": [0, 2]}   its whole assignment after every change
  {"event": "record", "p": 0, "o": 5, "v": "..."} a record, printed before it is committed
  {"event": "committed", "p": 0, "o": 6}         the offset committed after that record
  {"event": "commit_failed", "p": 0, "o": 6, "error": "..."} (a rebalance raced the commit)
SIGTERM closes it gracefully (it leaves the group) and it exits 0.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

stopping = False


def on_sigterm(_signum: int, _frame: Any) -> None:
    global stopping
    stopping = True


def emit(**event: Any) -> None:
    print(json.dumps(event), flush=True)


class Assignment:
    """The member's partitions, kept from incremental (cooperative) or eager callbacks alike."""

    def __init__(self) -> None:
        self.partitions: set[int] = set()

    def add(self, partitions: Any) -> None:
        self.partitions |= set(partitions)
        emit(event="assigned", partitions=sorted(self.partitions))

    def remove(self, partitions: Any) -> None:
        self.partitions -= set(partitions)
        emit(event="assigned", partitions=sorted(self.partitions))


def run_confluent(cfg: dict[str, Any]) -> None:
    import confluent_kafka

    conf = {
        "bootstrap.servers": cfg["bootstrap"],
        "group.id": cfg["group"],
        "partition.assignment.strategy": cfg["strategy"],
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": cfg["session_timeout_ms"],
        "heartbeat.interval.ms": 500,
    }
    if cfg.get("instance_id"):
        conf["group.instance.id"] = cfg["instance_id"]
    consumer = confluent_kafka.Consumer(conf)
    owned = Assignment()
    consumer.subscribe(
        [cfg["topic"]],
        on_assign=lambda _c, tps: owned.add(tp.partition for tp in tps),
        on_revoke=lambda _c, tps: owned.remove(tp.partition for tp in tps),
        on_lost=lambda _c, tps: owned.remove(tp.partition for tp in tps),
    )
    while not stopping:
        msg = consumer.poll(0.1)
        if msg is None or msg.error() is not None:
            continue
        emit(event="record", p=msg.partition(), o=msg.offset(), v=msg.value().decode())
        try:
            consumer.commit(message=msg, asynchronous=False)
            emit(event="committed", p=msg.partition(), o=msg.offset() + 1)
        except confluent_kafka.KafkaException as err:
            emit(event="commit_failed", p=msg.partition(), o=msg.offset() + 1, error=str(err))
    consumer.close()


KAFKA_PYTHON_ASSIGNORS = {
    "range": "range.RangePartitionAssignor",
    "roundrobin": "roundrobin.RoundRobinPartitionAssignor",
    "sticky": "sticky.sticky_assignor.StickyPartitionAssignor",
}


def assignor(package: str, strategy: str) -> Any:
    module, name = KAFKA_PYTHON_ASSIGNORS[strategy].rsplit(".", 1)
    return getattr(__import__(f"{package}.coordinator.assignors.{module}", fromlist=[name]), name)


def run_kafka_python(cfg: dict[str, Any]) -> None:
    import kafka
    from kafka.structs import OffsetAndMetadata

    owned = Assignment()

    class Listener(kafka.ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked: Any) -> None:
            owned.remove(tp.partition for tp in revoked)

        def on_partitions_assigned(self, assigned: Any) -> None:
            owned.add(tp.partition for tp in assigned)

    consumer = kafka.KafkaConsumer(
        bootstrap_servers=cfg["bootstrap"],
        group_id=cfg["group"],
        group_instance_id=cfg.get("instance_id"),
        partition_assignment_strategy=[assignor("kafka", cfg["strategy"])],
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=cfg["session_timeout_ms"],
        heartbeat_interval_ms=500,
    )
    consumer.subscribe([cfg["topic"]], listener=Listener())
    while not stopping:
        for tp, msgs in consumer.poll(timeout_ms=100).items():
            for m in msgs:
                emit(event="record", p=m.partition, o=m.offset, v=m.value.decode())
                try:
                    consumer.commit({tp: OffsetAndMetadata(m.offset + 1, "", -1)})
                    emit(event="committed", p=m.partition, o=m.offset + 1)
                except kafka.errors.KafkaError as err:
                    emit(event="commit_failed", p=m.partition, o=m.offset + 1, error=str(err))
    consumer.close()


async def run_aiokafka(cfg: dict[str, Any]) -> None:
    import aiokafka
    import aiokafka.errors

    owned = Assignment()

    class Listener(aiokafka.ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked: Any) -> None:
            owned.remove(tp.partition for tp in revoked)

        def on_partitions_assigned(self, assigned: Any) -> None:
            owned.add(tp.partition for tp in assigned)

    consumer = aiokafka.AIOKafkaConsumer(
        bootstrap_servers=cfg["bootstrap"],
        group_id=cfg["group"],
        group_instance_id=cfg.get("instance_id"),
        partition_assignment_strategy=(assignor("aiokafka", cfg["strategy"]),),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=cfg["session_timeout_ms"],
        heartbeat_interval_ms=500,
    )
    consumer.subscribe([cfg["topic"]], listener=Listener())
    await consumer.start()
    while not stopping:
        batches = await consumer.getmany(timeout_ms=100)
        for tp, msgs in batches.items():
            for m in msgs:
                emit(event="record", p=m.partition, o=m.offset, v=m.value.decode())
                try:
                    await consumer.commit({tp: m.offset + 1})
                    emit(event="committed", p=m.partition, o=m.offset + 1)
                except aiokafka.errors.KafkaError as err:
                    emit(event="commit_failed", p=m.partition, o=m.offset + 1, error=str(err))
    await consumer.stop()


def main() -> None:
    cfg = json.loads(sys.argv[1])
    signal.signal(signal.SIGTERM, on_sigterm)
    if cfg["client"] == "confluent":
        run_confluent(cfg)
    elif cfg["client"] == "kafka-python":
        run_kafka_python(cfg)
    else:
        asyncio.run(run_aiokafka(cfg))


if __name__ == "__main__":
    main()
