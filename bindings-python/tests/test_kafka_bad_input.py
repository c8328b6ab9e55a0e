"""Bad input on the Kafka listener gets a clear error and affects only its own request or
connection: a produce to a missing topic is refused with UNKNOWN_TOPIC_OR_PARTITION while the
same producer (and connection) keeps working for other topics; garbage, a bad length, an
unknown API or an unsupported version closes only the connection that sent it."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from typing import Any, Optional

import aiokafka
import aiokafka.errors
import confluent_kafka
import kafka
import kafka.errors
import pytest
from kafka.client_async import KafkaClient as KafkaPythonNetworkClient
from kafka.protocol.produce import ProduceRequest
from kafka.record.memory_records import MemoryRecordsBuilder

from conftest import unique
from kafka_support import WAIT_S, BrokerProcess, make_client, read_all

UNKNOWN_TOPIC_OR_PARTITION = 3
UNSUPPORTED_VERSION = 35
API_VERSIONS = 18
METADATA = 3


# --- a produce to a missing topic -----------------------------------------------------------


def confluent_produce_to_missing_then_existing(bootstrap: str, missing: str, topic: str) -> Any:
    # Kafka creates topics asynchronously, so librdkafka waits this long before it believes a
    # topic is missing; RustLog has no propagation delay to wait for.
    producer = confluent_kafka.Producer(
        {"bootstrap.servers": bootstrap, "topic.metadata.propagation.max.ms": 0}
    )
    reports: dict[str, Any] = {}

    def report(err: Any, msg: Any) -> None:
        reports[msg.topic()] = err

    producer.produce(missing, b"lost", on_delivery=report)
    producer.produce(topic, b"kept", on_delivery=report)
    assert producer.flush(WAIT_S) == 0
    assert reports[topic] is None, f"the existing topic failed too: {reports[topic]}"
    return reports[missing].code()


def test_confluent_kafka_gets_unknown_topic_and_keeps_producing(
    kafka_broker: BrokerProcess,
) -> None:
    topic = kafka_broker.create_topic(unique("ok"))

    code = confluent_produce_to_missing_then_existing(
        kafka_broker.bootstrap, unique("missing"), topic
    )

    # librdkafka fails the record with Metadata's UNKNOWN_TOPIC_OR_PARTITION for the topic.
    assert code == confluent_kafka.KafkaError.UNKNOWN_TOPIC_OR_PART
    reader = make_client("confluent", kafka_broker.bootstrap)
    assert [r.value for r in read_all(reader, topic, 0, 1)] == [b"kept"]


def test_kafka_python_gets_unknown_topic_and_keeps_producing(
    kafka_broker: BrokerProcess,
) -> None:
    topic = kafka_broker.create_topic(unique("ok"))
    producer = kafka.KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, max_block_ms=2000)
    try:
        with pytest.raises(kafka.errors.KafkaError) as refused:
            producer.send(unique("missing"), b"lost").get(timeout=WAIT_S)
        assert producer.send(topic, b"kept").get(timeout=WAIT_S).offset == 0
    finally:
        producer.close(WAIT_S)
    # kafka-python waits for the topic to show up in Metadata (UNKNOWN_TOPIC_OR_PARTITION
    # there) and reports that it never did.
    assert isinstance(refused.value, kafka.errors.KafkaTimeoutError), refused.value
    assert "metadata" in str(refused.value)


def test_aiokafka_gets_unknown_topic_and_keeps_producing(kafka_broker: BrokerProcess) -> None:
    topic = kafka_broker.create_topic(unique("ok"))

    async def run() -> Exception:
        producer = aiokafka.AIOKafkaProducer(
            bootstrap_servers=kafka_broker.bootstrap, request_timeout_ms=3000
        )
        await producer.start()
        try:
            with pytest.raises(aiokafka.errors.KafkaError) as refused:
                await producer.send_and_wait(unique("missing"), b"lost")
            assert (await producer.send_and_wait(topic, b"kept")).offset == 0
            return refused.value
        finally:
            await producer.stop()

    refused = asyncio.run(run())
    assert isinstance(refused, aiokafka.errors.UnknownTopicOrPartitionError), refused


def produce_request(topic: str, value: bytes) -> Any:
    builder = MemoryRecordsBuilder(magic=2, compression_type=0, batch_size=1 << 16)
    builder.append(int(time.time() * 1000), None, value, [])
    builder.close()
    return ProduceRequest[3](None, 1, 10_000, [(topic, [(0, builder.buffer())])])


def test_a_produce_request_for_a_missing_topic_is_answered_unknown_topic_and_the_connection_serves_on(
    kafka_broker: BrokerProcess,
) -> None:
    """The Produce itself, past every client's metadata check (kafka-python's network layer)."""
    topic = kafka_broker.create_topic(unique("ok"))
    network = KafkaPythonNetworkClient(bootstrap_servers=kafka_broker.bootstrap)
    try:
        assert network.await_ready(0, timeout_ms=int(WAIT_S * 1000))
        missing = network.send_and_receive(0, produce_request(unique("missing"), b"lost"))
        kept = network.send_and_receive(0, produce_request(topic, b"kept"))
        assert network.connected(0), "the connection did not survive the refused produce"
    finally:
        network.close()

    ((_, [(partition, error_code, *_)]),) = missing.topics
    assert (partition, error_code) == (0, UNKNOWN_TOPIC_OR_PARTITION)
    ((_, [(partition, error_code, base_offset, *_)]),) = kept.topics
    assert (partition, error_code, base_offset) == (0, 0, 0)


# --- garbage on a raw socket ----------------------------------------------------------------


class RawKafka:
    """A plain socket speaking just enough Kafka to tell a live connection from a closed one."""

    def __init__(self, bootstrap: str) -> None:
        host, port = bootstrap.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=WAIT_S)
        self.correlation_id = 0

    def close(self) -> None:
        self.sock.close()

    def request(self, api_key: int, version: int, body: bytes = b"") -> bytes:
        """Sends a classic (header v1) request and returns the response after its correlation id."""
        self.correlation_id += 1
        client_id = b"raw"
        rest = struct.pack(">hhih", api_key, version, self.correlation_id, len(client_id))
        self.sock.sendall(struct.pack(">i", len(rest) + len(client_id) + len(body)) + rest + client_id + body)
        response = self.read_frame()
        assert response is not None, "the broker closed the connection"
        (correlation_id,) = struct.unpack(">i", response[:4])
        assert correlation_id == self.correlation_id
        return response[4:]

    def api_versions(self, version: int = 0) -> tuple[int, dict[int, tuple[int, int]]]:
        """(error code, api key -> (min, max)) of an ApiVersions request (v0 reply layout)."""
        body = self.request(API_VERSIONS, version)
        error_code, count = struct.unpack(">hi", body[:6])
        apis = {}
        for n in range(count):
            key, low, high = struct.unpack(">hhh", body[6 + 6 * n : 12 + 6 * n])
            apis[key] = (low, high)
        return error_code, apis

    def read_frame(self) -> Optional[bytes]:
        head = self._read(4)
        if head is None:
            return None
        return self._read(struct.unpack(">i", head)[0])

    def _read(self, n: int) -> Optional[bytes]:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                return None
            out += chunk
        return out

    def closed_by_broker(self) -> bool:
        """True when the broker closes the connection without answering (within WAIT_S)."""
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True


def frame(api_key: int, version: int, body: bytes = b"") -> bytes:
    rest = struct.pack(">hhih", api_key, version, 7, -1) + body
    return struct.pack(">i", len(rest)) + rest


GARBAGE = {
    "http_request": b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "tls_client_hello": bytes.fromhex("16030100a5010000a10303") + bytes(32),
    "oversized_length": struct.pack(">i", 0x7FFFFFFF) + b"\x00" * 16,
    "negative_length": struct.pack(">i", -5) + b"\x00" * 16,
    "length_below_a_header": struct.pack(">i", 3) + b"\x00\x01\x02",
    "unknown_api_key": frame(9_999, 0),
    "unsupported_metadata_version": frame(METADATA, 99),
    "produce_below_served_versions": frame(0, 0),
    "metadata_body_that_does_not_decode": frame(METADATA, 1, b"\x00\x00\x00\x05\x00"),
}


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_closes_only_its_own_connection(
    shared_kafka_broker: BrokerProcess, garbage: bytes
) -> None:
    bystander = RawKafka(shared_kafka_broker.bootstrap)
    offender = RawKafka(shared_kafka_broker.bootstrap)
    try:
        assert bystander.api_versions()[0] == 0

        offender.sock.sendall(garbage)

        assert offender.closed_by_broker(), "the broker answered garbage instead of closing"
        # The other connection, opened before, is served as if nothing happened.
        error_code, apis = bystander.api_versions()
        assert error_code == 0 and apis[METADATA][1] >= 12
        # And the broker accepts new connections.
        fresh = RawKafka(shared_kafka_broker.bootstrap)
        assert fresh.api_versions()[0] == 0
        fresh.close()
    finally:
        bystander.close()
        offender.close()


def test_api_versions_above_ours_gets_unsupported_version_and_our_table(
    shared_kafka_broker: BrokerProcess,
) -> None:
    """KIP-511: the client learns our versions and retries lower on the same connection."""
    raw = RawKafka(shared_kafka_broker.bootstrap)
    try:
        error_code, apis = raw.api_versions(version=99)
        assert error_code == UNSUPPORTED_VERSION
        assert apis[API_VERSIONS] == (0, 4)
        assert raw.api_versions(version=0)[0] == 0
    finally:
        raw.close()
