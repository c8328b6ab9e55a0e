"""rustlog.EmbeddedBroker: a real broker in-process, with its own or a temporary data dir."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

import rustlog


def test_data_survives_a_restart_in_the_same_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with rustlog.EmbeddedBroker(data_dir=data) as broker:
        assert broker.running
        assert broker.bootstrap.startswith("127.0.0.1:") and broker.port > 0
        with rustlog.Admin(broker.bootstrap) as admin:
            admin.create_topic("kept", partitions=2)
        with rustlog.Producer(broker.bootstrap, acks="durable") as producer:
            producer.send("kept", b"durable", partition=1).result(timeout=10)
    assert not broker.running
    assert data.is_dir() and any(data.iterdir())
    with rustlog.EmbeddedBroker(data_dir=data) as broker:
        with rustlog.Consumer(
            broker.bootstrap, group_id="g", topics=["kept"], auto_offset_reset="earliest"
        ) as consumer:
            msg = consumer.poll(timeout=10)
            assert msg is not None and (msg.partition, msg.value) == (1, b"durable")


def test_temporary_dir_is_removed_on_stop() -> None:
    broker = rustlog.EmbeddedBroker()
    data_dir = Path(broker.data_dir)
    assert data_dir.is_dir()
    broker.stop()
    broker.stop()  # idempotent
    assert not data_dir.exists()


def test_two_brokers_get_distinct_free_ports() -> None:
    with rustlog.EmbeddedBroker() as a, rustlog.EmbeddedBroker() as b:
        assert a.port != b.port


def test_a_taken_port_is_a_clear_error() -> None:
    with rustlog.EmbeddedBroker() as a:
        with pytest.raises(rustlog.RustLogError, match=str(a.port)):
            rustlog.EmbeddedBroker(port=a.port)


def test_metrics_endpoint_is_opt_in() -> None:
    with rustlog.EmbeddedBroker() as quiet:
        assert quiet.metrics_address is None
    with rustlog.EmbeddedBroker(metrics_port=0) as loud:
        assert loud.metrics_address is not None
        with urllib.request.urlopen(f"http://{loud.metrics_address}/metrics", timeout=10) as r:
            assert r.status == 200
            assert r.read()
