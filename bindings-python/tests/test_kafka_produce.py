"""Each Kafka client produces with acks 0, 1 and all and with every codec it has (none, gzip,
snappy, lz4, zstd); the records read back are identical: keys, values, headers (null values and
repeated names included), timestamps, and consecutive offsets from 0."""

from __future__ import annotations

import pytest

from conftest import unique
from kafka_support import (
    CODECS,
    BrokerProcess,
    ProduceOptions,
    make_client,
    now_ms,
    read_all,
    wait_for_high_watermark,
)

COUNT = 40


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("acks", [0, 1, -1], ids=["acks0", "acks1", "acks_all"])
def test_records_produced_are_read_back_identical(
    shared_kafka_broker: BrokerProcess, client_name: str, acks: int, codec: str
) -> None:
    if client_name == "kafka-python" and acks == 0:
        pytest.xfail(
            "kafka-python 2.3 completes an acks=0 send without ever writing the Produce to its "
            "socket (a proxy between it and the broker sees Metadata, then the close, and no "
            "Produce frame); a client bug, not the broker's"
        )
    client = make_client(client_name, shared_kafka_broker.bootstrap)
    topic = shared_kafka_broker.create_topic(unique(f"produce-{codec}"))
    sent = client.sample_records(COUNT, now_ms() - 60_000)

    offsets = client.produce(topic, sent, ProduceOptions(acks=acks, codec=codec))

    if acks == 0:
        # No answer to wait for: the records are there once the high watermark says so.
        assert offsets == [-1] * COUNT
        wait_for_high_watermark(client, topic, 0, COUNT)
    else:
        assert offsets == list(range(COUNT))
    got = read_all(client, topic, 0, COUNT)
    assert [r.offset for r in got] == list(range(COUNT))
    assert [r.content() for r in got] == [r.content() for r in sent]
    assert client.watermarks(topic, 0) == (0, COUNT)


def test_records_of_several_partitions_keep_their_partition(
    shared_kafka_broker: BrokerProcess, client_name: str
) -> None:
    client = make_client(client_name, shared_kafka_broker.bootstrap)
    topic = shared_kafka_broker.create_topic(unique("produce-parts"), partitions=3)
    sent = {p: client.sample_records(10, now_ms(), p) for p in range(3)}

    client.produce(topic, [r for p in range(3) for r in sent[p]], ProduceOptions(acks=-1))

    for p in range(3):
        got = read_all(client, topic, p, 10)
        assert [r.offset for r in got] == list(range(10))
        assert [r.content() for r in got] == [r.content() for r in sent[p]]
