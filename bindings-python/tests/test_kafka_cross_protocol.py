"""Records cross the two listeners in both directions: what each Kafka client produces, RustLog's
own Python SDK (`import rustlog`, native listener) reads with the same offsets, keys, values,
headers and timestamps; what the SDK produces, each Kafka client reads the same way."""

from __future__ import annotations

import time

import rustlog
from conftest import unique
from kafka_support import (
    WAIT_S,
    BrokerProcess,
    ProduceOptions,
    Record,
    make_client,
    now_ms,
    sample_records,
)

COUNT = 40
PARTITIONS = 2


def sdk_read(native: str, topic: str, count: int) -> list[Record]:
    """Every record of `topic` through the SDK's group consumer, by (partition, offset)."""
    got: list[Record] = []
    with rustlog.Consumer(
        native, group_id=unique("sdk"), topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        deadline = time.monotonic() + WAIT_S
        while len(got) < count and time.monotonic() < deadline:
            got.extend(
                Record(
                    key=m.key,
                    value=m.value,
                    headers=tuple(m.headers),
                    timestamp_ms=m.timestamp,
                    partition=m.partition,
                    offset=m.offset,
                )
                for m in consumer.poll_batch(count - len(got), timeout=1)
            )
    return sorted(got, key=lambda r: (r.partition, r.offset or 0))


def test_records_a_kafka_client_produced_are_read_by_the_python_sdk(
    shared_kafka_broker: BrokerProcess, client_name: str
) -> None:
    topic = shared_kafka_broker.create_topic(unique("k2sdk"), partitions=PARTITIONS)
    client = make_client(client_name, shared_kafka_broker.bootstrap)
    sent = [r for p in range(PARTITIONS) for r in client.sample_records(COUNT, now_ms(), p)]

    offsets = client.produce(topic, sent, ProduceOptions(acks=-1, codec="lz4"))

    got = sdk_read(shared_kafka_broker.native, topic, len(sent))
    assert [(r.partition, r.offset) for r in got] == [
        (r.partition, offset) for r, offset in zip(sent, offsets)
    ]
    assert [r.content() for r in got] == [r.content() for r in sent]


def test_records_the_python_sdk_produced_are_read_by_a_kafka_client(
    shared_kafka_broker: BrokerProcess, client_name: str
) -> None:
    topic = shared_kafka_broker.create_topic(unique("sdk2k"), partitions=PARTITIONS)
    sent = [r for p in range(PARTITIONS) for r in sample_records(COUNT, now_ms(), partition=p)]
    with rustlog.Producer(shared_kafka_broker.native, compression="zstd") as producer:
        futures = [
            producer.send(
                topic,
                r.value,
                key=r.key,
                headers=list(r.headers),
                partition=r.partition,
                timestamp_ms=r.timestamp_ms,
            )
            for r in sent
        ]
        metas = [f.result(WAIT_S) for f in futures]
    client = make_client(client_name, shared_kafka_broker.bootstrap)

    for p in range(PARTITIONS):
        got = client.read(topic, p, 0, COUNT)
        expected = [(r, m) for r, m in zip(sent, metas) if m.partition == p]
        assert [r.offset for r in got] == [m.offset for _, m in expected]
        assert [r.content() for r in got] == [r.content() for r, _ in expected]
        assert [r.timestamp_ms for r in got] == [m.timestamp for _, m in expected]
