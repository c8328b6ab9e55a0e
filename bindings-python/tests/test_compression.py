"""Batch codecs and idempotence: every codec round trips through an embedded broker with null
header values and repeated header names; bad codecs and levels raise InvalidArgument before
anything is sent; idempotence off and on both deliver every record once."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

import rustlog
import rustlog.aio
from conftest import unique

if TYPE_CHECKING:
    from rustlog import Acks, Compression

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
COUNT = 200
#: Compressible values, so a compressed topic is visibly smaller than an uncompressed one.
VALUE = b"abcdefgh" * 128
#: Header pairs as sent: a repeated name (with a null value between), a null and an empty value.
PAIRS: list[tuple[str, Any]] = [
    ("dup", b"first"),
    ("dup", None),
    ("dup", "\u00e9"),
    ("nul", None),
    ("empty", b""),
]
#: The same headers as received: bytes or None, order and repeats kept.
RECEIVED = [
    ("dup", b"first"),
    ("dup", None),
    ("dup", "\u00e9".encode()),
    ("nul", None),
    ("empty", b""),
]


def consume(bootstrap: str, topic: str, count: int) -> list[rustlog.Message]:
    out: list[rustlog.Message] = []
    with rustlog.Consumer(
        bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        while len(out) < count:
            batch = consumer.poll_batch(max_messages=count - len(out), timeout=10)
            assert batch, f"only {len(out)} of {count} messages arrived"
            out.extend(batch)
    return out


def produce(bootstrap: str, topic: str, **options: Any) -> None:
    with rustlog.Producer(bootstrap, linger_ms=5, **options) as producer:
        futures = [
            producer.send(topic, b"%d:" % i + VALUE, key=f"k{i}", headers=PAIRS)
            for i in range(COUNT - 1)
        ]
        # A dict works too, None values included.
        futures.append(producer.send(topic, None, key="last", headers={"d": None, "e": "x"}))
        metas = [f.result(timeout=10) for f in futures]
    assert [m.offset for m in metas] == list(range(COUNT))


def check(got: list[rustlog.Message]) -> None:
    assert [m.offset for m in got] == list(range(COUNT))
    for i, m in enumerate(got[:-1]):
        assert m.key == f"k{i}".encode()
        assert m.value == b"%d:" % i + VALUE
        assert m.headers == RECEIVED
    last = got[-1]
    assert (last.key, last.value) == (b"last", None)
    assert last.headers == [("d", None), ("e", b"x")]


def stored_bytes(admin: rustlog.Admin, topic: str) -> int:
    return admin.describe_topic(topic)["partitions"][0]["size_bytes"]


@pytest.mark.parametrize("codec", CODECS)
def test_each_codec_round_trips_null_and_repeated_headers(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin, codec: Compression
) -> None:
    plain, packed = unique("plain"), unique(codec)
    admin.create_topic(plain, partitions=1)
    admin.create_topic(packed, partitions=1)
    produce(broker.bootstrap, plain)
    produce(broker.bootstrap, packed, compression=codec)
    check(consume(broker.bootstrap, packed, COUNT))
    if codec != "none":
        # The codec is really applied: the stored batches are much smaller.
        assert stored_bytes(admin, packed) * 4 < stored_bytes(admin, plain)


@pytest.mark.parametrize(("codec", "level"), [("gzip", 0), ("gzip", 9), ("zstd", -7), ("zstd", 22)])
def test_levels_at_the_ends_of_the_range_work(
    broker: rustlog.EmbeddedBroker, topic: str, codec: Compression, level: int
) -> None:
    produce(broker.bootstrap, topic, compression=codec, compression_level=level)
    check(consume(broker.bootstrap, topic, COUNT))


BAD_OPTIONS: list[tuple[dict[str, Any], str]] = [
    ({"compression": "brotli"}, "brotli"),
    ({"compression": "GZIP"}, "GZIP"),
    ({"compression": ""}, "compression"),
    ({"compression": "gzip", "compression_level": 10}, "compression_level"),
    ({"compression": "gzip", "compression_level": -1}, "compression_level"),
    ({"compression": "zstd", "compression_level": 23}, "compression_level"),
    ({"compression": "zstd", "compression_level": -8}, "compression_level"),
    ({"compression": "snappy", "compression_level": 1}, "snappy"),
    ({"compression": "lz4", "compression_level": 1}, "lz4"),
    ({"compression_level": 1}, "none"),
    ({"compression": "zstd", "compression_level": 2**40}, "compression_level"),
]


@pytest.mark.parametrize(("options", "match"), BAD_OPTIONS)
def test_a_bad_codec_or_level_raises_invalid_argument_before_connecting(
    options: dict[str, Any], match: str
) -> None:
    # Nothing listens on port 1: an error other than InvalidArgument would mean it connected.
    with pytest.raises(rustlog.InvalidArgument, match=match) as info:
        rustlog.Producer("127.0.0.1:1", **options)
    assert info.value.code == rustlog.ERROR_CODES["InvalidArgument"]
    with pytest.raises(rustlog.InvalidArgument, match=match):
        rustlog.aio.Producer("127.0.0.1:1", **options)


def test_a_refused_producer_sends_nothing(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin, topic: str
) -> None:
    for options, _ in BAD_OPTIONS:
        with pytest.raises(rustlog.InvalidArgument):
            rustlog.Producer(broker.bootstrap, **options)
    assert admin.describe_topic(topic)["partitions"][0]["high_watermark"] == 0


def test_header_values_must_be_bytes_str_or_none(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    with rustlog.Producer(broker.bootstrap) as producer:
        with pytest.raises(TypeError, match="header value"):
            producer.send(topic, b"v", headers={"h": 42})  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="header value"):
            producer.send(topic, b"v", headers=[("h", 1.5)])  # type: ignore[list-item]


@pytest.mark.parametrize("idempotence", [False, True])
@pytest.mark.parametrize("acks", ["leader", "durable", "none"])
def test_idempotence_off_and_on_both_deliver_every_record_once(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin, idempotence: bool, acks: Acks
) -> None:
    name = unique("idem")
    admin.create_topic(name, partitions=2)
    with rustlog.Producer(
        broker.bootstrap, acks=acks, idempotence=idempotence, compression="lz4", linger_ms=1
    ) as producer:
        for i in range(50):
            producer.send(name, f"v{i}", key=f"k{i}", partition=i % 2)
        producer.flush(timeout=10)
    got = consume(broker.bootstrap, name, 50)
    assert sorted(m.value or b"" for m in got) == sorted(f"v{i}".encode() for i in range(50))
    for partition in (0, 1):
        mine = [m for m in got if m.partition == partition]
        # Each record stored once, in send order.
        assert [m.offset for m in mine] == list(range(25))
        assert [m.value for m in mine] == [f"v{i}".encode() for i in range(partition, 50, 2)]


def test_asyncio_producer_takes_the_same_options(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    async def scenario() -> None:
        async with rustlog.aio.Producer(
            broker.bootstrap, compression="zstd", compression_level=3, idempotence=False
        ) as producer:
            meta = await producer.send_and_wait(topic, b"v", headers=[("a", None), ("a", b"2")])
            assert meta.offset == 0

    asyncio.run(asyncio.wait_for(scenario(), timeout=30))
    [msg] = consume(broker.bootstrap, topic, 1)
    assert msg.headers == [("a", None), ("a", b"2")]
