"""One default per setting, the Rust client's: the constructors take them from the native module
(`_native.DEFAULTS`, built from `rustlog::config`), their signatures show them, and a consumer
without `auto_offset_reset` starts at the end, as in Kafka."""

from __future__ import annotations

import asyncio
import inspect
import time

import pytest

import rustlog
import rustlog.aio
from rustlog import _native

CLASSES = [
    rustlog.Producer,
    rustlog.Consumer,
    rustlog.Admin,
    rustlog.aio.Producer,
    rustlog.aio.Consumer,
    rustlog.aio.Admin,
]


def test_the_rust_defaults_are_kafkas() -> None:
    assert _native.DEFAULTS == {
        "bootstrap": "127.0.0.1:7400",
        "auto_offset_reset": "latest",
        "enable_auto_commit": False,
        "compression": "none",
        "idempotence": True,
    }


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_signatures_show_the_rust_defaults(cls: type) -> None:
    params = inspect.signature(cls).parameters
    for name, param in params.items():
        assert param.default is not ..., f"{cls.__name__}({name}=...)"
        if name in _native.DEFAULTS:
            assert param.default == _native.DEFAULTS[name], name
    assert params["bootstrap"].default == "127.0.0.1:7400"
    if "auto_offset_reset" in params:
        assert params["auto_offset_reset"].default == "latest"


def produce(bootstrap: str, topic: str, value: bytes) -> None:
    with rustlog.Producer(bootstrap) as producer:
        producer.send(topic, value).result(timeout=10)


def test_a_new_group_starts_at_the_end_by_default(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    produce(broker.bootstrap, topic, b"old")
    with rustlog.Consumer(broker.bootstrap, group_id="fresh", topics=[topic]) as consumer:
        deadline = time.monotonic() + 20
        while not consumer.assignment():
            assert time.monotonic() < deadline, "never joined"
            assert consumer.poll(timeout=0.2) is None, "the old record is not read"
        assert consumer.position(topic, 0) == 1, "it starts after the old record"
        assert consumer.poll(timeout=0.5) is None
        produce(broker.bootstrap, topic, b"new")
        msg = consumer.poll(timeout=10)
        assert msg is not None and msg.value == b"new"


def test_a_new_asyncio_group_starts_at_the_end_by_default(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    produce(broker.bootstrap, topic, b"old")

    async def scenario() -> None:
        async with rustlog.aio.Consumer(
            broker.bootstrap, group_id="fresh-aio", topics=[topic]
        ) as consumer:
            deadline = time.monotonic() + 20
            while not consumer.assignment():
                assert time.monotonic() < deadline, "never joined"
                assert await consumer.poll(timeout=0.2) is None, "the old record is not read"
            assert consumer.position(topic, 0) == 1, "it starts after the old record"
            assert await consumer.poll(timeout=0.5) is None
            produce(broker.bootstrap, topic, b"new")
            msg = await consumer.poll(timeout=10)
            assert msg is not None and msg.value == b"new"

    asyncio.run(asyncio.wait_for(scenario(), timeout=40))


def test_the_client_id_is_the_rust_default(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin, topic: str
) -> None:
    with rustlog.Consumer(broker.bootstrap, group_id="ids", topics=[topic]) as consumer:
        while not consumer.assignment():
            consumer.poll(timeout=0.2)
        members = admin.describe_group("ids")["members"]
        assert [m["client_id"] for m in members] == ["rustlog-rs"]
    with rustlog.Consumer(
        broker.bootstrap, group_id="named", topics=[topic], client_id="billing-app"
    ) as consumer:
        while not consumer.assignment():
            consumer.poll(timeout=0.2)
        members = admin.describe_group("named")["members"]
        assert [m["client_id"] for m in members] == ["billing-app"]
