"""Cross-check of the record format with an independent implementation, kafka-python's
RecordBatch v2 code (`kafka.record.default_records`):

- batches built by kafka-python's DefaultRecordBatchBuilder, with each codec kafka-python can
  write here, are appended by the broker and read back by rustlog.Consumer;
- batches built by rustlog.Producer are fetched as stored and read by kafka-python's
  DefaultRecordBatch (CRC-32C, codec, records, null and repeated headers).

The package has no raw-batch API, so the test speaks RustLog's native protocol over a plain
socket for those two requests (protocol-spec/SPEC.md §2 frames, §5 Produce and Fetch bodies).
"""

from __future__ import annotations

import socket
import struct
import time
from typing import TYPE_CHECKING, Any, Optional

import pytest

import rustlog
from conftest import unique

if TYPE_CHECKING:
    from rustlog import Compression

# kafka-python is a test requirement (scripts/test.sh): a missing one fails, never skips.
import kafka.codec as kafka_codec
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
from kafka.record.memory_records import MemoryRecords

#: Codec name -> (Kafka's codec id, whether kafka-python has its library here).
CODECS: dict[str, tuple[int, bool]] = {
    "none": (0, True),
    "gzip": (1, kafka_codec.has_gzip()),
    "snappy": (2, kafka_codec.has_snappy()),
    "lz4": (3, kafka_codec.has_lz4()),
    "zstd": (4, kafka_codec.has_zstd()),
}

#: Compressible values, so kafka-python really compresses (it falls back to none otherwise).
VALUE = b"0123456789abcdef" * 64
#: Headers as both sides represent them: (str, bytes | None) pairs, repeats and order kept.
HEADERS: list[tuple[str, Optional[bytes]]] = [
    ("dup", b"1"),
    ("dup", None),
    ("dup", b"2"),
    ("nul", None),
    ("empty", b""),
    ("\u00e9", b"\x00\xff"),
]


def codec_param(name: str) -> Any:
    available = CODECS[name][1]
    return pytest.param(
        name,
        marks=pytest.mark.skipif(not available, reason=f"kafka-python has no {name} library"),
    )


ALL_CODECS = [codec_param(name) for name in CODECS]


class Native:
    """Produce (2) and Fetch (3), version 0, of RustLog's native protocol on one connection.

    Request frame: u32 length of the rest, u16 api key, u16 api version, u32 correlation id,
    body. Response frame: u32 length, u32 correlation id, u16 error code, body (a JSON
    `{"message"}` when the code is not 0). Integers big-endian, strings u16-length-prefixed.
    """

    def __init__(self, bootstrap: str) -> None:
        host, port = bootstrap.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.correlation_id = 0

    def close(self) -> None:
        self.sock.close()

    def _read(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            assert chunk, "the broker closed the connection"
            out += chunk
        return out

    def call(self, api_key: int, body: bytes) -> "Reader":
        self.correlation_id += 1
        rest = struct.pack(">HHI", api_key, 0, self.correlation_id) + body
        self.sock.sendall(struct.pack(">I", len(rest)) + rest)
        (length,) = struct.unpack(">I", self._read(4))
        frame = Reader(self._read(length))
        assert frame.u32() == self.correlation_id
        code = frame.u16()
        assert code == 0, f"api {api_key}: error {code}: {frame.rest().decode()}"
        return frame

    def produce(self, topic: str, partition: int, batch: bytes) -> int:
        """Appends one batch with acks=leader; returns its base offset."""
        body = struct.pack(">BII", 1, 10_000, 1) + str16(topic)
        body += struct.pack(">II", partition, len(batch)) + batch
        r = self.call(2, body)
        assert r.u32() == 1
        assert (r.str16(), r.u32()) == (topic, partition)
        code, base_offset = r.u16(), r.u64()
        r.i64(), r.u64()  # log_append_time_ms, log_start_offset
        message = r.str16()
        assert code == 0, f"produce to {topic}/{partition}: error {code}: {message}"
        assert r.rest() == b""
        return base_offset

    def fetch(self, topic: str, partition: int, offset: int) -> tuple[int, bytes]:
        """Stored batches from `offset` on; returns (high watermark, their bytes)."""
        body = struct.pack(">IIII", 500, 1, 1 << 20, 1) + str16(topic)
        body += struct.pack(">IQI", partition, offset, 1 << 20)
        r = self.call(3, body)
        assert r.u32() == 1
        assert (r.str16(), r.u32()) == (topic, partition)
        code, high_watermark = r.u16(), r.u64()
        r.u64()  # log_start_offset
        records = r.take(r.u32())
        assert code == 0, f"fetch {topic}/{partition}: error {code}"
        assert r.rest() == b""
        return high_watermark, records


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        assert self.pos + n <= len(self.data), "truncated response"
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def _unpack(self, fmt: str) -> int:
        (value,) = struct.unpack(fmt, self.take(struct.calcsize(fmt)))
        return int(value)

    def u16(self) -> int:
        return self._unpack(">H")

    def u32(self) -> int:
        return self._unpack(">I")

    def u64(self) -> int:
        return self._unpack(">Q")

    def i64(self) -> int:
        return self._unpack(">q")

    def str16(self) -> str:
        return self.take(self.u16()).decode()

    def rest(self) -> bytes:
        return self.take(len(self.data) - self.pos)


def str16(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">H", len(raw)) + raw


def fetch_batches(bootstrap: str, topic: str, count: int) -> list[DefaultRecordBatch]:
    """Every stored batch of partition 0 until `count` records, parsed by kafka-python."""
    native = Native(bootstrap)
    try:
        batches: list[DefaultRecordBatch] = []
        offset, deadline = 0, time.monotonic() + 10
        while offset < count:
            assert time.monotonic() < deadline, f"only {offset} of {count} records fetched"
            _, raw = native.fetch(topic, 0, offset)
            records = MemoryRecords(raw)
            while records.has_next():
                batch = records.next_batch()
                batches.append(batch)
                offset = batch.next_offset
        return batches
    finally:
        native.close()


def kafka_python_batch(codec: str, first: int, count: int, timestamp: int) -> bytes:
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=CODECS[codec][0],
        is_transactional=False,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 20,
    )
    for i in range(count):
        n = first + i
        key = None if n % 5 == 4 else f"k{n}".encode()
        value = None if n % 7 == 6 else b"%d:" % n + VALUE
        assert builder.append(i, timestamp + i, key, value, HEADERS) is not None
    batch = bytes(builder.build())
    # kafka-python skips compression that does not pay off: make sure it was applied.
    assert DefaultRecordBatch(batch).compression_type == CODECS[codec][0]
    return batch


@pytest.mark.parametrize("codec", ALL_CODECS)
def test_batches_built_by_kafka_python_are_read_by_the_rustlog_consumer(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin, codec: str
) -> None:
    topic = unique(f"kp-{codec}")
    admin.create_topic(topic, partitions=1)
    timestamp = int(time.time() * 1000)
    native = Native(broker.bootstrap)
    try:
        # Two batches: the broker stamps the second one after the first.
        assert native.produce(topic, 0, kafka_python_batch(codec, 0, 30, timestamp)) == 0
        assert native.produce(topic, 0, kafka_python_batch(codec, 30, 20, timestamp + 30)) == 30
    finally:
        native.close()

    got: list[rustlog.Message] = []
    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        while len(got) < 50:
            batch = consumer.poll_batch(max_messages=50, timeout=10)
            assert batch, f"only {len(got)} of 50 messages arrived"
            got.extend(batch)
    assert [m.offset for m in got] == list(range(50))
    for n, m in enumerate(got):
        assert m.key == (None if n % 5 == 4 else f"k{n}".encode())
        assert m.value == (None if n % 7 == 6 else b"%d:" % n + VALUE)
        assert m.timestamp == timestamp + n
        assert m.headers == HEADERS


@pytest.mark.parametrize("codec", ALL_CODECS)
def test_batches_built_by_rustlog_are_read_by_kafka_python(
    broker: rustlog.EmbeddedBroker, topic: str, codec: Compression
) -> None:
    records = [
        (None if n % 5 == 4 else f"k{n}".encode(), None if n % 7 == 6 else b"%d:" % n + VALUE)
        for n in range(50)
    ]
    with rustlog.Producer(broker.bootstrap, compression=codec, linger_ms=50) as producer:
        metas = producer.send_batch(
            topic, [(key, value, HEADERS) for key, value in records]
        ).result(timeout=10)
    assert [m.offset for m in metas] == list(range(50))

    batches = fetch_batches(broker.bootstrap, topic, 50)
    read: list[Any] = []
    for batch in batches:
        assert batch.magic == 2
        assert batch.validate_crc(), "kafka-python finds the CRC-32C wrong"
        assert batch.compression_type == CODECS[codec][0]
        assert not batch.is_transactional and not batch.is_control_batch
        read.extend(batch)
    assert [r.offset for r in read] == list(range(50))
    for r, (key, value), meta in zip(read, records, metas):
        assert (r.key, r.value) == (key, value)
        assert [(k, v) for k, v in r.headers] == HEADERS
        assert r.timestamp == meta.timestamp
