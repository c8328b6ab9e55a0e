"""An idempotent producer whose Produce answer is lost retries the batch, and the broker appends
it once: a proxy between client and broker drops the connection after forwarding the first
Produce request and before its response. Every delivery then succeeds at its first offset, and
the partition holds each record exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import unique
from kafka_proxy import PRODUCE, DropOnceProxy
from kafka_support import (
    BrokerProcess,
    ProduceOptions,
    make_client,
    now_ms,
    read_all,
)

#: How each client turns idempotence on.
IDEMPOTENCE: dict[str, dict[str, Any]] = {
    "confluent": {"enable.idempotence": True, "retry.backoff.ms": 50},
    "kafka-python": {"enable_idempotence": True, "retry_backoff_ms": 50},
    "aiokafka": {"enable_idempotence": True, "retry_backoff_ms": 50},
}


@pytest.fixture
def proxied_broker(tmp_path: Path) -> Iterator[tuple[BrokerProcess, DropOnceProxy]]:
    """A broker that advertises the proxy, so every client connection goes through it."""
    proxy = DropOnceProxy(PRODUCE)
    broker = BrokerProcess(
        tmp_path / "data", ["--kafka-advertised-listener", proxy.address]
    )
    proxy.forward_to(broker.bootstrap)
    try:
        yield broker, proxy
    finally:
        proxy.close()
        broker.stop()


def test_a_lost_produce_answer_is_retried_without_a_duplicate(
    proxied_broker: tuple[BrokerProcess, DropOnceProxy], client_name: str
) -> None:
    broker, proxy = proxied_broker
    topic = broker.create_topic(unique("idem"))
    producer = make_client(client_name, proxy.address, **IDEMPOTENCE[client_name])
    first = producer.sample_records(20, now_ms())
    second = producer.sample_records(10, now_ms() + 1000)

    # Idempotence means acks=all; a long linger puts the first 20 records in one batch.
    assert producer.produce(topic, first, ProduceOptions(acks=-1, linger_ms=100)) == list(
        range(20)
    )
    assert proxy.dropped.is_set(), "the proxy never saw a Produce answer to drop"
    assert proxy.requests[PRODUCE] >= 2, "the producer did not retry the lost Produce"
    # A new producer (a new producer id) appends right after them.
    assert producer.produce(topic, second, ProduceOptions(acks=-1)) == list(range(20, 30))

    reader = make_client("confluent", proxy.address)
    assert reader.watermarks(topic, 0) == (0, 30)
    got = read_all(reader, topic, 0, 30)
    assert [r.offset for r in got] == list(range(30))
    assert [r.content() for r in got] == [r.content() for r in first + second]
