"""Shared helpers of the `test_kafka_*` scenario files: a real `rustlog-broker` process with both
listeners on free loopback ports, and one small adapter per Kafka client nobody here wrote
(confluent-kafka / librdkafka, kafka-python, aiokafka), so a scenario is written once and
parametrized over the clients.

The broker prints `rustlog-broker listening on NATIVE metrics off kafka KAFKA` once it listens;
both addresses are read from that line. It is stopped by PID (SIGTERM, SIGKILL after 20 s), and
`kill9()` + `restart()` bring it back on the same ports and data dir.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest

import rustlog
from test_real_broker_process import broker_binary

# The three clients are test requirements (scripts/test.sh): a missing one fails, never skips.
import aiokafka
import confluent_kafka
import confluent_kafka.admin
import kafka

#: Seconds a scenario waits for records, a group or a broker before it fails.
WAIT_S = 20.0
#: How long the broker may take to print its listening line.
BROKER_START_S = 20.0

#: Every codec of Kafka's RecordBatch v2.
CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
#: The clients every scenario runs with.
CLIENTS = ("confluent", "kafka-python", "aiokafka")

Header = tuple[str, Optional[bytes]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(what: str, condition: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    """Polls `condition` until it holds; fails the test naming `what` when it never does."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.02)


class BrokerProcess:
    """A `rustlog-broker` process with its native and Kafka listeners on loopback."""

    def __init__(
        self, data_dir: Path, extra_args: Sequence[str] = (), kafka_port: int = 0
    ) -> None:
        binary = broker_binary()
        if binary is None:
            pytest.fail(
                "no built rustlog-broker binary (target/release or target/debug); build it "
                "with `cargo build -p rustlog-broker` or set RUSTLOG_BROKER_BIN"
            )
        self.binary = binary
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.native_port = 0
        self.kafka_port = kafka_port
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.start()

    @property
    def bootstrap(self) -> str:
        """The Kafka listener, as `bootstrap.servers`."""
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def native(self) -> str:
        """The native listener, for `import rustlog`."""
        return f"127.0.0.1:{self.native_port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None, "the broker is not running"
        return self.proc.pid

    def start(self) -> None:
        """Starts the broker; the ports of an earlier start are reused (port 0 the first time)."""
        log = open(self.data_dir.with_suffix(".log"), "a")
        self.proc = subprocess.Popen(
            [
                str(self.binary),
                "--listen", f"127.0.0.1:{self.native_port}",
                "--metrics-listen", "off",
                "--kafka-listen", f"127.0.0.1:{self.kafka_port}",
                "--data-dir", str(self.data_dir),
                *self.extra_args,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        log.close()
        try:
            line = self._first_line()
            words = line.split()
            assert "listening" in words and "kafka" in words, f"unexpected broker line {line!r}"
            self.native_port = int(words[words.index("on") + 1].rsplit(":", 1)[1])
            self.kafka_port = int(words[words.index("kafka") + 1].rsplit(":", 1)[1])
        except BaseException:
            self.kill9()  # no fixture stops a broker whose start failed
            raise

    def _first_line(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        # readline blocks; a broker that never prints would hang the test, so time it out.
        deadline = time.monotonic() + BROKER_START_S
        fd, buffered = self.proc.stdout.fileno(), b""
        while b"\n" not in buffered:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill9()
                pytest.fail(
                    f"the broker did not start; its log: {self.data_dir.with_suffix('.log')}"
                )
            if select.select([fd], [], [], 0.05)[0]:
                buffered += os.read(fd, 4096)
        return buffered.split(b"\n", 1)[0].decode()

    def kill9(self) -> None:
        """SIGKILL: nothing is flushed or closed gracefully."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def restart(self) -> None:
        """kill -9, then start again on the same ports and data dir."""
        self.kill9()
        self.start()

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill9()
        self.proc = None

    def create_topic(self, name: str, partitions: int = 1) -> str:
        """Creates a topic through the native Admin (the Kafka admin APIs are another file's)."""
        with rustlog.Admin(self.native) as admin:
            admin.create_topic(name, partitions=partitions)
        return name


@pytest.fixture
def kafka_broker(tmp_path: Path) -> Iterator[BrokerProcess]:
    """A real broker process with both listeners; `.bootstrap` (Kafka) and `.native`."""
    broker = BrokerProcess(tmp_path / "data")
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="module")
def shared_kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    """One broker for a whole scenario file whose tests each use their own topics."""
    broker = BrokerProcess(tmp_path_factory.mktemp("kafka") / "data")
    try:
        yield broker
    finally:
        broker.stop()


# --- records as every client sees them ------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One record, as produced or as read back."""

    key: Optional[bytes]
    value: Optional[bytes]
    headers: tuple[Header, ...] = ()
    timestamp_ms: Optional[int] = None
    partition: int = 0
    offset: Optional[int] = None

    def content(self) -> tuple[Any, ...]:
        """What must survive a round trip (offsets are compared on their own)."""
        return (self.key, self.value, self.headers, self.timestamp_ms, self.partition)


def sample_records(
    count: int, timestamp_ms: int, partition: int = 0, null_header_values: bool = True
) -> list[Record]:
    """Keys, values and headers with nulls, repeats and non-ASCII, one timestamp each."""
    null_header: tuple[Header, ...] = (("h", None),) if null_header_values else ()
    return [
        Record(
            key=None if n % 5 == 4 else f"k{n}".encode(),
            # Never both null: kafka-python and aiokafka refuse a record with neither.
            value=None if n % 7 == 6 and n % 5 != 4 else b"value-%d-" % n + b"x" * 64,
            headers=(("h", b"%d" % n), *null_header, ("\u00e9", b"\x00\xff"), ("empty", b"")),
            timestamp_ms=timestamp_ms + n,
            partition=partition,
        )
        for n in range(count)
    ]


def now_ms() -> int:
    return int(time.time() * 1000)


# --- the clients ------------------------------------------------------------------------------


@dataclass
class ProduceOptions:
    acks: int = 1  # 0, 1 or -1 (all)
    codec: str = "none"
    linger_ms: int = 5


@dataclass
class KafkaClient:
    """One Kafka client library behind the few calls the scenarios make."""

    name: str
    bootstrap: str
    extra: dict[str, Any] = field(default_factory=dict)
    #: kafka-python's producer refuses a null header value (it asserts bytes); it reads them.
    produces_null_header_values = True

    def sample_records(self, count: int, timestamp_ms: int, partition: int = 0) -> list[Record]:
        """`sample_records` with every feature this client can produce."""
        return sample_records(count, timestamp_ms, partition, self.produces_null_header_values)

    def produce(self, topic: str, records: Sequence[Record], opts: ProduceOptions) -> list[int]:
        """Sends `records` in order and flushes; returns the offsets the broker acknowledged
        (-1 for each record under acks 0, which gets no answer)."""
        raise NotImplementedError

    def read(self, topic: str, partition: int, start: int, count: int) -> list[Record]:
        """`count` records of one partition from offset `start` (assigned, no group)."""
        raise NotImplementedError

    def tail(
        self, topic: str, partition: int, produce_more: Callable[[], None], count: int
    ) -> list[Record]:
        """Assigns the partition at its end, waits until the client has resolved that offset,
        calls `produce_more`, and returns the next `count` records it reads."""
        raise NotImplementedError

    def offsets_for_time(self, topic: str, partition: int, timestamp_ms: int) -> int:
        """The first offset whose timestamp is at or after `timestamp_ms` (-1: none)."""
        raise NotImplementedError

    def watermarks(self, topic: str, partition: int) -> tuple[int, int]:
        """(log start offset, high watermark)."""
        raise NotImplementedError

    def broker_addresses(self) -> list[tuple[int, str, int]]:
        """(node id, host, port) of every broker Metadata lists."""
        raise NotImplementedError

    def topics(self) -> dict[str, int]:
        """Topic -> partition count, from Metadata."""
        raise NotImplementedError


def read_all(client: KafkaClient, topic: str, partition: int, count: int) -> list[Record]:
    return client.read(topic, partition, 0, count)


class Confluent(KafkaClient):
    def _config(self, **more: Any) -> dict[str, Any]:
        return {"bootstrap.servers": self.bootstrap, **self.extra, **more}

    def produce(self, topic: str, records: Sequence[Record], opts: ProduceOptions) -> list[int]:
        producer = confluent_kafka.Producer(
            self._config(
                **{
                    "acks": opts.acks,
                    "compression.type": opts.codec,
                    "linger.ms": opts.linger_ms,
                }
            )
        )
        offsets: list[int] = [-1] * len(records)
        errors: list[Any] = []

        def delivered(n: int) -> Callable[[Any, Any], None]:
            def report(err: Any, msg: Any) -> None:
                if err is not None:
                    errors.append(err)
                else:
                    offsets[n] = msg.offset()

            return report

        for n, r in enumerate(records):
            producer.produce(
                topic,
                value=r.value,
                key=r.key,
                partition=r.partition,
                headers=list(r.headers),
                timestamp=r.timestamp_ms or 0,
                on_delivery=delivered(n),
            )
            producer.poll(0)
        assert producer.flush(WAIT_S) == 0, "confluent-kafka: records left unflushed"
        assert not errors, f"confluent-kafka delivery errors: {errors}"
        # librdkafka reports acks-0 deliveries with offset -1001 (OFFSET_INVALID).
        return [o if opts.acks != 0 else -1 for o in offsets]

    def _consumer(self) -> Any:
        # No group.id: an assign()-only consumer needs no coordinator.
        return confluent_kafka.Consumer(
            self._config(**{"group.id": "rustlog-tests-assign-only", "enable.auto.commit": False, "enable.partition.eof": False})
        )

    def read(self, topic: str, partition: int, start: int, count: int) -> list[Record]:
        consumer = self._consumer()
        try:
            consumer.assign([confluent_kafka.TopicPartition(topic, partition, start)])
            return self._drain(consumer, count)
        finally:
            consumer.close()

    def tail(
        self, topic: str, partition: int, produce_more: Callable[[], None], count: int
    ) -> list[Record]:
        consumer = self._consumer()
        try:
            tp = confluent_kafka.TopicPartition(topic, partition, confluent_kafka.OFFSET_END)
            consumer.assign([tp])
            # librdkafka fetches only once the end offset is resolved, and a fetch answer sets
            # the cached high watermark: from then on its position is the old end.
            def fetching() -> bool:
                assert not consumer.consume(num_messages=1, timeout=0.05), "read an old record"
                return int(consumer.get_watermark_offsets(tp, cached=True)[1]) >= 0

            wait_until("librdkafka to resolve the end offset", fetching)
            produce_more()
            return self._drain(consumer, count)
        finally:
            consumer.close()

    def _drain(self, consumer: Any, count: int) -> list[Record]:
        out: list[Record] = []
        deadline = time.monotonic() + WAIT_S
        while len(out) < count and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=count - len(out), timeout=0.5):
                assert msg.error() is None, f"confluent-kafka: {msg.error()}"
                out.append(confluent_record(msg))
        return out

    def offsets_for_time(self, topic: str, partition: int, timestamp_ms: int) -> int:
        consumer = self._consumer()
        try:
            tp = confluent_kafka.TopicPartition(topic, partition, timestamp_ms)
            (found,) = consumer.offsets_for_times([tp], timeout=WAIT_S)
            assert found.error is None, f"confluent-kafka: {found.error}"
            return int(found.offset)
        finally:
            consumer.close()

    def watermarks(self, topic: str, partition: int) -> tuple[int, int]:
        consumer = self._consumer()
        try:
            low, high = consumer.get_watermark_offsets(
                confluent_kafka.TopicPartition(topic, partition), timeout=WAIT_S
            )
            return int(low), int(high)
        finally:
            consumer.close()

    def _metadata(self) -> Any:
        admin = confluent_kafka.admin.AdminClient(self._config())
        return admin.list_topics(timeout=WAIT_S)

    def broker_addresses(self) -> list[tuple[int, str, int]]:
        return [(b.id, b.host, b.port) for b in self._metadata().brokers.values()]

    def topics(self) -> dict[str, int]:
        return {name: len(t.partitions) for name, t in self._metadata().topics.items()}


def confluent_record(msg: Any) -> Record:
    _, timestamp_ms = msg.timestamp()
    return Record(
        key=msg.key(),
        value=msg.value(),
        headers=tuple(msg.headers() or ()),
        timestamp_ms=timestamp_ms,
        partition=msg.partition(),
        offset=msg.offset(),
    )


KAFKA_PYTHON_CODECS = {"none": None, "gzip": "gzip", "snappy": "snappy", "lz4": "lz4", "zstd": "zstd"}


def kafka_acks(acks: int) -> Any:
    return "all" if acks == -1 else acks


class KafkaPython(KafkaClient):
    produces_null_header_values = False

    def produce(self, topic: str, records: Sequence[Record], opts: ProduceOptions) -> list[int]:
        producer = kafka.KafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks=kafka_acks(opts.acks),
            compression_type=KAFKA_PYTHON_CODECS[opts.codec],
            linger_ms=opts.linger_ms,
            **self.extra,
        )
        try:
            futures = [
                producer.send(
                    topic,
                    value=r.value,
                    key=r.key,
                    headers=list(r.headers),
                    partition=r.partition,
                    timestamp_ms=r.timestamp_ms,
                )
                for r in records
            ]
            producer.flush(WAIT_S)
            metas = [f.get(timeout=WAIT_S) for f in futures]
        finally:
            producer.close(WAIT_S)
        return [m.offset if opts.acks != 0 else -1 for m in metas]

    def _consumer(self) -> Any:
        return kafka.KafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            **self.extra,
        )

    def read(self, topic: str, partition: int, start: int, count: int) -> list[Record]:
        consumer = self._consumer()
        try:
            tp = kafka.TopicPartition(topic, partition)
            consumer.assign([tp])
            consumer.seek(tp, start)
            return self._drain(consumer, count)
        finally:
            consumer.close()

    def tail(
        self, topic: str, partition: int, produce_more: Callable[[], None], count: int
    ) -> list[Record]:
        consumer = self._consumer()
        try:
            tp = kafka.TopicPartition(topic, partition)
            consumer.assign([tp])
            consumer.seek_to_end(tp)
            consumer.position(tp)  # blocks until the end offset is resolved
            produce_more()
            return self._drain(consumer, count)
        finally:
            consumer.close()

    @staticmethod
    def _drain(consumer: Any, count: int) -> list[Record]:
        out: list[Record] = []
        deadline = time.monotonic() + WAIT_S
        while len(out) < count and time.monotonic() < deadline:
            for msgs in consumer.poll(timeout_ms=500, max_records=count - len(out)).values():
                out.extend(kafka_python_record(m) for m in msgs)
        return out

    def offsets_for_time(self, topic: str, partition: int, timestamp_ms: int) -> int:
        consumer = self._consumer()
        try:
            tp = kafka.TopicPartition(topic, partition)
            found = consumer.offsets_for_times({tp: timestamp_ms})[tp]
            return -1 if found is None else int(found.offset)
        finally:
            consumer.close()

    def watermarks(self, topic: str, partition: int) -> tuple[int, int]:
        consumer = self._consumer()
        try:
            tp = kafka.TopicPartition(topic, partition)
            return (
                int(consumer.beginning_offsets([tp])[tp]),
                int(consumer.end_offsets([tp])[tp]),
            )
        finally:
            consumer.close()

    def broker_addresses(self) -> list[tuple[int, str, int]]:
        consumer = self._consumer()
        try:
            consumer.topics()  # a full Metadata round trip
            cluster = consumer._client.cluster  # noqa: SLF001 - the only public view of brokers
            return [(b.nodeId, b.host, b.port) for b in cluster.brokers()]
        finally:
            consumer.close()

    def topics(self) -> dict[str, int]:
        consumer = self._consumer()
        try:
            return {
                name: len(consumer.partitions_for_topic(name) or ())
                for name in consumer.topics()
            }
        finally:
            consumer.close()


def kafka_python_record(m: Any) -> Record:
    return Record(
        key=m.key,
        value=m.value,
        headers=tuple(m.headers or ()),
        timestamp_ms=m.timestamp,
        partition=m.partition,
        offset=m.offset,
    )


class AioKafka(KafkaClient):
    """aiokafka driven through `asyncio.run`, one event loop per call."""

    def produce(self, topic: str, records: Sequence[Record], opts: ProduceOptions) -> list[int]:
        async def run() -> list[int]:
            producer = aiokafka.AIOKafkaProducer(
                bootstrap_servers=self.bootstrap,
                acks=kafka_acks(opts.acks),
                compression_type=KAFKA_PYTHON_CODECS[opts.codec],
                linger_ms=opts.linger_ms,
                **self.extra,
            )
            await producer.start()
            try:
                futures = [
                    await producer.send(
                        topic,
                        value=r.value,
                        key=r.key,
                        headers=list(r.headers),
                        partition=r.partition,
                        timestamp_ms=r.timestamp_ms,
                    )
                    for r in records
                ]
                metas = await asyncio.wait_for(asyncio.gather(*futures), WAIT_S)
            finally:
                await producer.stop()
            return [m.offset if opts.acks != 0 else -1 for m in metas]

        return asyncio.run(run())

    def _consumer(self) -> Any:
        return aiokafka.AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            **self.extra,
        )

    def read(self, topic: str, partition: int, start: int, count: int) -> list[Record]:
        async def run() -> list[Record]:
            consumer = self._consumer()
            await consumer.start()
            try:
                tp = aiokafka.TopicPartition(topic, partition)
                consumer.assign([tp])
                consumer.seek(tp, start)
                return await aio_drain(consumer, tp, count)
            finally:
                await consumer.stop()

        return asyncio.run(run())

    def tail(
        self, topic: str, partition: int, produce_more: Callable[[], None], count: int
    ) -> list[Record]:
        async def run() -> list[Record]:
            consumer = self._consumer()
            await consumer.start()
            try:
                tp = aiokafka.TopicPartition(topic, partition)
                consumer.assign([tp])
                await consumer.seek_to_end(tp)
                await consumer.position(tp)  # resolves the end offset
                # Blocking the loop here is harmless: the consumer waits for us.
                produce_more()
                return await aio_drain(consumer, tp, count)
            finally:
                await consumer.stop()

        return asyncio.run(run())

    def offsets_for_time(self, topic: str, partition: int, timestamp_ms: int) -> int:
        async def run() -> int:
            consumer = self._consumer()
            await consumer.start()
            try:
                tp = aiokafka.TopicPartition(topic, partition)
                found = (await consumer.offsets_for_times({tp: timestamp_ms}))[tp]
                return -1 if found is None else int(found.offset)
            finally:
                await consumer.stop()

        return asyncio.run(run())

    def watermarks(self, topic: str, partition: int) -> tuple[int, int]:
        async def run() -> tuple[int, int]:
            consumer = self._consumer()
            await consumer.start()
            try:
                tp = aiokafka.TopicPartition(topic, partition)
                low = (await consumer.beginning_offsets([tp]))[tp]
                high = (await consumer.end_offsets([tp]))[tp]
                return int(low), int(high)
            finally:
                await consumer.stop()

        return asyncio.run(run())

    def broker_addresses(self) -> list[tuple[int, str, int]]:
        async def run() -> list[tuple[int, str, int]]:
            consumer = self._consumer()
            await consumer.start()
            try:
                cluster = await aio_metadata(consumer)
                return [(b.nodeId, b.host, b.port) for b in cluster.brokers()]
            finally:
                await consumer.stop()

        return asyncio.run(run())

    def topics(self) -> dict[str, int]:
        async def run() -> dict[str, int]:
            consumer = self._consumer()
            await consumer.start()
            try:
                cluster = await aio_metadata(consumer)
                return {n: len(cluster.partitions_for_topic(n) or ()) for n in cluster.topics()}
            finally:
                await consumer.stop()

        return asyncio.run(run())


async def aio_metadata(consumer: Any) -> Any:
    """A full Metadata answer. aiokafka's public `topics()` returns only names and does not
    refresh the cache `partitions_for_topic` reads, so this asks its client directly."""
    return await consumer._client.fetch_all_metadata()  # noqa: SLF001


async def aio_drain(consumer: Any, tp: Any, count: int) -> list[Record]:
    out: list[Record] = []
    deadline = time.monotonic() + WAIT_S
    while len(out) < count and time.monotonic() < deadline:
        batches = await consumer.getmany(tp, timeout_ms=500, max_records=count - len(out))
        for msgs in batches.values():
            out.extend(kafka_python_record(m) for m in msgs)
    return out


def make_client(name: str, bootstrap: str, **extra: Any) -> KafkaClient:
    kinds: dict[str, type[KafkaClient]] = {
        "confluent": Confluent,
        "kafka-python": KafkaPython,
        "aiokafka": AioKafka,
    }
    return kinds[name](name, bootstrap, extra)


@pytest.fixture(params=CLIENTS)
def client_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(client_name: str, kafka_broker: BrokerProcess) -> KafkaClient:
    return make_client(client_name, kafka_broker.bootstrap)


def wait_for_high_watermark(
    client: KafkaClient, topic: str, partition: int, expected: int
) -> None:
    wait_until(
        f"{topic}/{partition} to reach offset {expected}",
        lambda: client.watermarks(topic, partition)[1] >= expected,
    )


# --- group members in their own processes ---------------------------------------------------

MEMBER_SCRIPT = Path(__file__).with_name("kafka_group_member.py")


class GroupMember:
    """A `kafka_group_member.py` process; its JSON events are collected by a reader thread."""

    def __init__(self, client: str, bootstrap: str, group: str, topic: str, strategy: str,
                 instance_id: Optional[str] = None, session_timeout_ms: int = 6000) -> None:
        import json
        import sys
        import threading

        config = {
            "client": client, "bootstrap": bootstrap, "group": group, "topic": topic,
            "strategy": strategy, "instance_id": instance_id,
            "session_timeout_ms": session_timeout_ms,
        }
        self.name = instance_id or f"{client}-{strategy}"
        self.proc = subprocess.Popen(
            [sys.executable, str(MEMBER_SCRIPT), json.dumps(config)],
            # stderr is inherited: pytest captures it and shows it with a failure.
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
        )
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                with self._lock:
                    self.events.append(json.loads(line))

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()

    def _events(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e["event"] == kind]

    def assignment(self) -> set[int]:
        assigned = self._events("assigned")
        return set(assigned[-1]["partitions"]) if assigned else set()

    def assignment_changes(self) -> int:
        return len(self._events("assigned"))

    def records(self) -> list[tuple[int, int]]:
        """(partition, offset) of every record it printed, in order."""
        return [(e["p"], e["o"]) for e in self._events("record")]

    def committed(self) -> dict[int, int]:
        """Partition -> the last offset it committed."""
        return {e["p"]: e["o"] for e in self._events("committed")}

    def kill9(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        """SIGTERM: the member closes and leaves the group."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                self.kill9()
        self._reader.join(timeout=5)


@pytest.fixture
def members() -> Iterator[list[GroupMember]]:
    """Members a scenario starts (append them); each is stopped by PID at the end."""
    started: list[GroupMember] = []
    try:
        yield started
    finally:
        for member in started:
            if member.proc.poll() is None:
                member.kill9()


def wait_for_stable_assignment(group: Sequence[GroupMember], partitions: int) -> None:
    """Until the members' assignments are disjoint, non-empty and cover every partition."""

    def stable() -> bool:
        owned = [m.assignment() for m in group]
        union = set().union(*owned)
        return (
            all(owned)
            and sum(len(o) for o in owned) == partitions
            and union == set(range(partitions))
        )

    wait_until(f"{len(group)} members to share {partitions} partitions", stable)
