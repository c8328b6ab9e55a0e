"""Kafka clients nobody here wrote read RustLog's Metadata: the one broker (node 0) at the
advertised address, and the topics with their partition counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import unique
from kafka_support import BrokerProcess, KafkaClient, free_port, make_client


def test_metadata_lists_every_topic_with_its_partitions(
    kafka_broker: BrokerProcess, client: KafkaClient
) -> None:
    one = kafka_broker.create_topic(unique("meta-one"), partitions=1)
    three = kafka_broker.create_topic(unique("meta-three"), partitions=3)

    topics = client.topics()

    assert topics[one] == 1
    assert topics[three] == 3


def test_metadata_names_the_bound_address_by_default(
    kafka_broker: BrokerProcess, client: KafkaClient
) -> None:
    assert client.broker_addresses() == [(0, "127.0.0.1", kafka_broker.kafka_port)]


@pytest.mark.parametrize("client_name", ["confluent", "kafka-python", "aiokafka"])
def test_metadata_names_the_advertised_listener(tmp_path: Path, client_name: str) -> None:
    # "localhost" is not what the client bootstrapped with, so the answer can only come from
    # --kafka-advertised-listener; it still resolves, so each client can go on using it.
    port = free_port()
    broker = BrokerProcess(
        tmp_path / "data", ["--kafka-advertised-listener", f"localhost:{port}"], kafka_port=port
    )
    try:
        client = make_client(client_name, broker.bootstrap)
        topic = broker.create_topic(unique("adv"), partitions=2)

        assert client.broker_addresses() == [(0, "localhost", port)]
        # Requests after the bootstrap go to the advertised address, and work.
        assert client.topics()[topic] == 2
        assert client.watermarks(topic, 1) == (0, 0)
    finally:
        broker.stop()
