"""Each Kafka client starts reading a partition where it is told: the beginning, the end (only
records produced after it are read), a given offset, and a timestamp (offsets_for_times)."""

from __future__ import annotations

from conftest import unique
from kafka_support import (
    BrokerProcess,
    ProduceOptions,
    Record,
    make_client,
    now_ms,
)

COUNT = 30


def produced(broker: BrokerProcess, client_name: str, base_ms: int) -> tuple[str, list[Record]]:
    """A topic holding COUNT records with timestamps base_ms, base_ms + 1, ..."""
    topic = broker.create_topic(unique("consume"))
    client = make_client(client_name, broker.bootstrap)
    records = client.sample_records(COUNT, base_ms)
    assert client.produce(topic, records, ProduceOptions(acks=-1)) == list(range(COUNT))
    return topic, records


def test_consume_from_the_beginning(shared_kafka_broker: BrokerProcess, client_name: str) -> None:
    topic, records = produced(shared_kafka_broker, client_name, now_ms())
    client = make_client(client_name, shared_kafka_broker.bootstrap)

    got = client.read(topic, 0, 0, COUNT)

    assert [r.offset for r in got] == list(range(COUNT))
    assert [r.content() for r in got] == [r.content() for r in records]


def test_consume_from_the_end_reads_only_new_records(
    shared_kafka_broker: BrokerProcess, client_name: str
) -> None:
    topic, _ = produced(shared_kafka_broker, client_name, now_ms())
    client = make_client(client_name, shared_kafka_broker.bootstrap)
    # The new records go in through another client, so only the reader is under test.
    writer = make_client("confluent", shared_kafka_broker.bootstrap)
    newer = writer.sample_records(5, now_ms() + 1000)

    got = client.tail(topic, 0, lambda: writer.produce(topic, newer, ProduceOptions()), 5)

    assert [r.offset for r in got] == list(range(COUNT, COUNT + 5))
    assert [r.content() for r in got] == [r.content() for r in newer]


def test_consume_from_a_given_offset(shared_kafka_broker: BrokerProcess, client_name: str) -> None:
    topic, records = produced(shared_kafka_broker, client_name, now_ms())
    client = make_client(client_name, shared_kafka_broker.bootstrap)

    got = client.read(topic, 0, 17, COUNT - 17)

    assert [r.offset for r in got] == list(range(17, COUNT))
    assert [r.content() for r in got] == [r.content() for r in records[17:]]


def test_consume_from_a_timestamp(shared_kafka_broker: BrokerProcess, client_name: str) -> None:
    base_ms = now_ms() - 3_600_000
    topic, records = produced(shared_kafka_broker, client_name, base_ms)
    client = make_client(client_name, shared_kafka_broker.bootstrap)

    # Record n has timestamp base_ms + n: the first at or after base_ms + 12 is offset 12.
    assert client.offsets_for_time(topic, 0, base_ms + 12) == 12
    assert client.offsets_for_time(topic, 0, base_ms - 5) == 0
    # After the newest record there is none: Kafka answers offset -1.
    assert client.offsets_for_time(topic, 0, base_ms + COUNT + 100) == -1
    offset = client.offsets_for_time(topic, 0, base_ms + 12)
    got = client.read(topic, 0, offset, COUNT - offset)
    assert [r.offset for r in got] == list(range(12, COUNT))
    assert [r.content() for r in got] == [r.content() for r in records[12:]]


def test_watermarks_are_the_log_start_and_the_end(
    shared_kafka_broker: BrokerProcess, client_name: str
) -> None:
    topic, _ = produced(shared_kafka_broker, client_name, now_ms())
    client = make_client(client_name, shared_kafka_broker.bootstrap)

    assert client.watermarks(topic, 0) == (0, COUNT)
