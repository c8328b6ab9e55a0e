"""One default per setting, the Rust client's: the constructors take `**options` checked against
the Rust client's option table (`_native.OPTIONS`, from `rustlog::options`), their signatures
show every option with its Rust default, a bad option is an `InvalidArgument` naming it, and a
consumer without `auto_offset_reset` starts at the end, as in Kafka."""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any

import pytest

import rustlog
import rustlog.aio
from rustlog import _native

SCOPES = {
    rustlog.Producer: "producer",
    rustlog.Consumer: "consumer",
    rustlog.Admin: "client",
    rustlog.aio.Producer: "producer",
    rustlog.aio.Consumer: "consumer",
    rustlog.aio.Admin: "client",
}
CLASSES = list(SCOPES)
OPTIONS = {row["name"]: row for row in _native.OPTIONS}


def test_the_rust_defaults_are_kafkas() -> None:
    defaults = {name: row["default"] for name, row in OPTIONS.items()}
    assert defaults["auto_offset_reset"] == "latest"
    assert defaults["enable_auto_commit"] is False
    assert defaults["compression"] == "none"
    assert defaults["idempotence"] is True
    assert defaults["acks"] == "leader"
    assert defaults["linger_ms"] == 5
    assert defaults["client_id"] == "rustlog-rs"
    assert defaults["max_poll_interval_ms"] == 300_000
    assert defaults["compression_level"] is None


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_signatures_show_every_option_with_its_rust_default(cls: type) -> None:
    params = inspect.signature(cls).parameters
    assert params["bootstrap"].default == "127.0.0.1:7400"
    scope = SCOPES[cls]
    wanted = [n for n, row in OPTIONS.items() if row["scope"] in ("client", scope)]
    shown = [n for n, p in params.items() if n in OPTIONS]
    assert shown == wanted
    for name in wanted:
        assert params[name].default == OPTIONS[name]["default"], name
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
    assert not any(p.kind is p.VAR_KEYWORD for p in params.values())


def make(cls: type, bootstrap: str, **options: Any) -> Any:
    if SCOPES[cls] == "consumer":
        return cls(bootstrap, group_id="g", topics=["t"], **options)
    return cls(bootstrap, **options)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_an_unknown_option_is_refused_with_the_list(cls: type) -> None:
    with pytest.raises(rustlog.InvalidArgument, match=r"unknown option \"lingr_ms\".*client_id"):
        make(cls, "127.0.0.1:1", lingr_ms=5)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"linger_ms": -1}, "linger_ms: -1 is not a non-negative whole number"),
        ({"linger_ms": "5"}, "linger_ms"),
        ({"linger_ms": 2**70}, "linger_ms: .* is out of range"),
        ({"idempotence": 1}, "idempotence: 1 is not true or false"),
        ({"acks": "sometimes"}, "acks"),
        ({"compression": "brotli"}, "compression"),
        ({"compression": "gzip", "compression_level": 10}, "compression_level"),
        ({"request_timeout_ms": 0}, "request_timeout"),
        ({"client_id": 7}, "client_id"),
        ({"batch_bytes": [1]}, "batch_bytes: a list is not a non-negative int"),
    ],
)
def test_a_bad_producer_option_names_itself(options: dict[str, Any], message: str) -> None:
    for cls in (rustlog.Producer, rustlog.aio.Producer):
        with pytest.raises(rustlog.InvalidArgument, match=message):
            cls("127.0.0.1:1", **options)


def test_consumer_options_are_not_producer_options() -> None:
    with pytest.raises(rustlog.InvalidArgument, match="unknown option"):
        rustlog.Producer("127.0.0.1:1", session_timeout_ms=1000)
    with pytest.raises(rustlog.InvalidArgument, match="unknown option"):
        rustlog.aio.Consumer("127.0.0.1:1", group_id="g", topics=["t"], linger_ms=1)
    with pytest.raises(rustlog.InvalidArgument, match="auto_offset_reset"):
        rustlog.aio.Consumer("127.0.0.1:1", group_id="g", topics=["t"], auto_offset_reset="mid")


def test_options_reach_the_client(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    """Numbers for acks and codec ids parse as Kafka has them; None keeps the default."""
    with rustlog.Producer(broker.bootstrap, acks=-1, compression=4, linger_ms=None) as p:
        meta = p.send(topic, b"x").result(timeout=10)
        assert meta.offset == 0
    with rustlog.Consumer(
        broker.bootstrap, group_id="opts", topics=[topic], auto_offset_reset="earliest",
        assignor="roundrobin", partition_fetch_bytes=4096,
    ) as consumer:
        msg = consumer.poll(timeout=20)
        assert msg is not None and msg.value == b"x"


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
