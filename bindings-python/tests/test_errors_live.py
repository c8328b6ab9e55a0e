"""Exceptions and their codes from real failures: missing topic, record too large, dead broker,
timeouts, closed objects, bad config."""

from __future__ import annotations

import socket

import pytest

import rustlog
from conftest import unique


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_missing_topic(broker: rustlog.EmbeddedBroker, admin: rustlog.Admin) -> None:
    with rustlog.Producer(broker.bootstrap) as producer:
        with pytest.raises(rustlog.TopicNotFound) as info:
            producer.send("no-such-topic", b"v")
    assert info.value.code == rustlog.TopicNotFound.code
    assert info.value.retriable is False
    assert "no-such-topic" in str(info.value)
    with pytest.raises(rustlog.TopicNotFound):
        admin.describe_topic("no-such-topic")
    with pytest.raises(rustlog.TopicAlreadyExists):
        name = unique("dup")
        admin.create_topic(name)
        admin.create_topic(name)
    with pytest.raises(rustlog.InvalidTopicName):
        admin.create_topic("bad/name")


def test_record_too_large(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    with rustlog.Producer(broker.bootstrap) as producer:
        with pytest.raises(rustlog.RecordTooLarge) as info:
            producer.send(topic, b"x" * (4 * 1024 * 1024 + 1))
        assert info.value.code == rustlog.RecordTooLarge.code
        # Nothing of a rejected batch is queued, and the producer keeps working.
        with pytest.raises(rustlog.RecordTooLarge, match="record 1"):
            producer.send_batch(topic, [b"ok", b"x" * (4 * 1024 * 1024 + 1)])
        assert producer.send(topic, b"fine").result(timeout=10).offset == 0


def test_dead_broker_raises_disconnected() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(rustlog.Disconnected) as info:
        rustlog.Producer(f"127.0.0.1:{port}", connect_timeout_ms=500)
    assert info.value.code == rustlog.Disconnected.code
    assert info.value.retriable is True
    assert isinstance(info.value, ConnectionError)
    assert str(port) in str(info.value)


def test_broker_stopping_under_a_client() -> None:
    broker = rustlog.EmbeddedBroker()
    admin = rustlog.Admin(broker.bootstrap, request_timeout_ms=1000, connect_timeout_ms=500)
    admin.create_topic("t")
    broker.stop()
    assert not broker.running
    with pytest.raises((rustlog.Disconnected, rustlog.TimedOut)) as info:
        admin.list_topics()
    assert info.value.retriable is True
    admin.close()


def test_timeouts_raise_timed_out(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    # A long linger keeps the record in the producer, so a short wait must time out.
    with rustlog.Producer(broker.bootstrap, linger_ms=3000) as producer:
        future = producer.send(topic, b"slow")
        with pytest.raises(rustlog.TimedOut) as info:
            future.result(timeout=0.05)
        assert isinstance(info.value, TimeoutError)
        assert info.value.code == rustlog.TimedOut.code
        assert not future.done()
        producer.flush(timeout=10)
        assert future.done()
        assert future.result().offset == 0


def test_poll_times_out_with_none(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        assert consumer.poll(timeout=0.3) is None
        assert consumer.poll_batch(10, timeout=0.2) == []


def test_closed_objects_raise_closed(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    producer = rustlog.Producer(broker.bootstrap)
    producer.close()
    assert producer.closed
    with pytest.raises(rustlog.Closed) as info:
        producer.send(topic, b"late")
    assert info.value.code == rustlog.Closed.code
    with pytest.raises(rustlog.Closed):
        producer.send_batch(topic, [b"late"])

    consumer = rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="earliest"
    )
    consumer.close()
    with pytest.raises(rustlog.Closed):
        consumer.poll(timeout=1)
    with pytest.raises(rustlog.Closed):
        consumer.commit()

    admin = rustlog.Admin(broker.bootstrap)
    admin.close()
    with pytest.raises(rustlog.Closed):
        admin.list_topics()


def test_bad_config_is_rejected_before_connecting() -> None:
    with pytest.raises(rustlog.InvalidArgument, match="acks"):
        rustlog.Producer("127.0.0.1:1", acks="sometimes")  # type: ignore[arg-type]
    with pytest.raises(rustlog.InvalidArgument, match="batch_bytes"):
        rustlog.Producer("127.0.0.1:1", batch_bytes=0)
    with pytest.raises(rustlog.InvalidGroupId):
        rustlog.Consumer("127.0.0.1:1", group_id="", topics=["t"])
    with pytest.raises(rustlog.InvalidArgument, match="auto_offset_reset"):
        rustlog.Consumer(
            "127.0.0.1:1", group_id="g", topics=["t"], auto_offset_reset="middle"  # type: ignore[arg-type]
        )


def test_no_committed_offset_with_reset_none_is_offset_out_of_range(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    with rustlog.Producer(broker.bootstrap) as producer:
        producer.send(topic, b"v").result(timeout=10)
    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="none"
    ) as consumer:
        with pytest.raises(rustlog.OffsetOutOfRange) as info:
            consumer.poll(timeout=10)
    assert info.value.code == rustlog.OffsetOutOfRange.code
