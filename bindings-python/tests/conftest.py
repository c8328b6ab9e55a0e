"""Shared fixtures: every test gets its own embedded broker in a temp dir on a free port."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import rustlog

_names = itertools.count()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[rustlog.EmbeddedBroker]:
    with rustlog.EmbeddedBroker(data_dir=tmp_path / "data", port=0) as b:
        yield b


@pytest.fixture
def admin(broker: rustlog.EmbeddedBroker) -> Iterator[rustlog.Admin]:
    with rustlog.Admin(broker.bootstrap) as a:
        yield a


@pytest.fixture
def topic(admin: rustlog.Admin) -> str:
    """A fresh one-partition topic."""
    name = f"t-{os.getpid()}-{next(_names)}"
    admin.create_topic(name, partitions=1)
    return name


def unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}"


def produce_values(bootstrap: str, topic: str, partition: int, values: range) -> None:
    """Produces `values` as decimal text to one partition and waits for the acknowledgements."""
    with rustlog.Producer(bootstrap) as producer:
        producer.send_batch(topic, [str(v) for v in values], partition=partition).wait(timeout=10)

# The Kafka scenario files share these fixtures (kafka_broker, client_name, client).
pytest_plugins = ["kafka_support"]
