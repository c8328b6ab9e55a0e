#!/usr/bin/env python3
"""Kafka listener vs native protocol, same broker, same run (issue 12 "Performance").

One release `rustlog-broker` with both listeners (fsync policy `never`: the page-cache tier,
acks after the append). Per run, in alternating order:

- native: `rustlog bench --mode produce` then `--mode consume` (the Rust SDK through the
  client-rs CLI, its default batching: linger 5 ms, 256 KiB batches, 8 requests in flight);
- kafka: confluent-kafka (librdkafka) produces the same count of same-size values with acks=1
  and a tuned batching producer (linger 5 ms, 256 KiB batches, no per-message delivery
  callbacks), then a consumer assigned at offset 0 reads them all back (catch-up).

Each phase reports msg/s, and the broker's CPU time per message (utime + stime from
/proc/<pid>/stat, before and after the phase) beside the client's (this process for the
Kafka path, the `rustlog` child for the native one). The ratio is kafka / native; the goal is
>= 0.8. The median over `--runs` is reported, with every run in `--json`.

Usage (from the repository root, after `cargo build --release -p rustlog-broker -p rustlog`
and `pip install "confluent-kafka>=2.3,<3"`):

    python3 bench-compare/kafka_vs_native.py                 # 1M x 100 B, 3 runs
    python3 bench-compare/kafka_vs_native.py --smoke         # 100k, 1 run
    python3 bench-compare/kafka_vs_native.py --json > kafka_vs_native.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Optional

#: The broker's start-up line must appear within this long.
START_TIMEOUT_S = 30.0
#: A phase that moves nothing for this long has failed.
STALL_TIMEOUT_S = 30.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: The paths each run measures, in the report's order.
PATHS = ("native", "kafka", "kcat")


@dataclass
class Phase:
    path: str  # "native", "kafka" (confluent-kafka) or "kcat"
    workload: str  # "produce" or "consume"
    messages: int
    seconds: float
    msgs_per_sec: float
    broker_cpu_ns_per_msg: float
    client_cpu_ns_per_msg: float


class Broker:
    """A release broker with both listeners in a temp dir, stopped by PID."""

    def __init__(self, binary: Path, work_dir: Path) -> None:
        self.data_dir = work_dir / "data"
        self.log = open(work_dir / "broker.log", "w")
        self.proc = subprocess.Popen(
            [
                str(binary),
                "--listen", "127.0.0.1:0",
                "--metrics-listen", "off",
                "--kafka-listen", "127.0.0.1:0",
                "--data-dir", str(self.data_dir),
                "--topic-config", "fsync.policy=never",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        words = self._first_line().split()
        self.native = words[words.index("on") + 1]
        self.kafka = words[words.index("kafka") + 1]

    def _first_line(self) -> str:
        assert self.proc.stdout is not None
        fd, buffered = self.proc.stdout.fileno(), b""
        deadline = time.monotonic() + START_TIMEOUT_S
        while b"\n" not in buffered:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the broker did not start; see {self.log.name}")
            if select.select([fd], [], [], 0.05)[0]:
                buffered += os.read(fd, 4096)
        return buffered.split(b"\n", 1)[0].decode()

    def cpu_seconds(self) -> float:
        """utime + stime of the broker process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # After "pid (comm)": field 3 is index 0, so utime (14) and stime (15) are 11 and 12.
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def self_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    broker: Broker,
    path: str,
    workload: str,
    client_cpu: Callable[[], float],
    work: Callable[[], tuple[int, float]],
) -> Phase:
    """Runs `work` (returning messages moved and its own timed seconds) between CPU readings."""
    broker_before, client_before = broker.cpu_seconds(), client_cpu()
    messages, seconds = work()
    broker_cpu = broker.cpu_seconds() - broker_before
    client_cpu_s = client_cpu() - client_before
    per_msg = 1e9 / max(messages, 1)
    return Phase(
        path=path,
        workload=workload,
        messages=messages,
        seconds=seconds,
        msgs_per_sec=messages / seconds if seconds > 0 else 0.0,
        broker_cpu_ns_per_msg=broker_cpu * per_msg,
        client_cpu_ns_per_msg=client_cpu_s * per_msg,
    )


# --- native: the Rust SDK through `rustlog bench` ---------------------------------------------


def native_bench(cli: Path, addr: str, mode: str, count: int, size: int) -> tuple[int, float]:
    out = subprocess.run(
        [
            str(cli), "--broker", addr, "bench", "--mode", mode, "--topic", "native-bench",
            "--partitions", "1", "--message-size", str(size), "--count", str(count),
            "--acks", "leader", "--json", "--quiet",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"rustlog bench --mode {mode} failed: {out.stderr.strip()}")
    summary = json.loads(out.stdout)
    if summary["errors"] or summary["messages"] != count or summary["bytes"] != count * size:
        raise RuntimeError(f"rustlog bench --mode {mode} moved too little: {summary}")
    return int(summary["messages"]), float(summary["seconds"])


# --- kafka: librdkafka through confluent-kafka ------------------------------------------------


def kafka_create_topic(bootstrap: str, topic: str) -> None:
    # confluent-kafka's type stubs do not re-export NewTopic; the module has it.
    from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        future.result(timeout=30)


def kafka_produce(bootstrap: str, topic: str, count: int, size: int) -> tuple[int, float]:
    from confluent_kafka import KafkaException, Producer

    errors: list[Any] = []
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": 1,
            "linger.ms": 5,
            "batch.size": 256 * 1024,
            "batch.num.messages": 100_000,
            "queue.buffering.max.messages": 1_000_000,
            "queue.buffering.max.kbytes": 512 * 1024,
            "max.in.flight.requests.per.connection": 8,
            "enable.idempotence": False,
            "compression.type": "none",
            # A Python callback per message would measure Python; only failures are reported.
            "delivery.report.only.error": True,
            "on_delivery": lambda err, _msg: errors.append(err),
        }
    )
    # Connect and learn the partition leader before the clock starts, as `rustlog bench` does.
    producer.list_topics(topic, timeout=30)
    value = b"x" * size
    start = time.perf_counter()
    for n in range(count):
        while True:
            try:
                producer.produce(topic, value, partition=0)
                break
            except BufferError:
                producer.poll(0.001)  # the local queue is full: let librdkafka send
        if n % 10_000 == 0:
            producer.poll(0)
    left = producer.flush(600)
    seconds = time.perf_counter() - start
    if left or errors:
        raise KafkaException(f"kafka produce: {left} unflushed, errors {errors[:3]}")
    return count, seconds


def kafka_consume(bootstrap: str, topic: str, count: int, size: int) -> tuple[int, float]:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            # librdkafka insists on a group id; assign() uses no group, nothing is committed.
            "group.id": "kafka-vs-native",
            "enable.auto.commit": False,
            "fetch.max.bytes": 64 * 1024 * 1024,
            "max.partition.fetch.bytes": 16 * 1024 * 1024,
            "queued.max.messages.kbytes": 256 * 1024,
            "queued.min.messages": 1_000_000,
            # librdkafka >= 2.3 pauses fetching this long once its queue is over the bounds
            # above (default 1000 ms): a catch-up reader wants it short.
            "fetch.queue.backoff.ms": 1,
            "fetch.wait.max.ms": 100,
        }
    )
    try:
        # Connect before the clock starts, as `rustlog bench` does.
        consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=30)
        read = value_bytes = 0
        start = last_progress = time.perf_counter()
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        while read < count:
            batch = consumer.consume(num_messages=100_000, timeout=1.0)
            now = time.perf_counter()
            if batch:
                last_progress = now
            elif now - last_progress > STALL_TIMEOUT_S:
                raise RuntimeError(f"kafka consume stalled at {read} of {count}")
            for msg in batch:
                if msg.error() is not None:
                    raise RuntimeError(f"kafka consume: {msg.error()}")
                value_bytes += len(msg)
            read += len(batch)
        seconds = time.perf_counter() - start
    finally:
        consumer.close()
    if read != count or value_bytes != count * size:
        raise RuntimeError(f"kafka consume read {read} records, {value_bytes} bytes")
    return read, seconds


# --- kafka: librdkafka through kcat (C, no Python between librdkafka and the records) ---------

KCAT_TUNING = [
    "-X", "acks=1", "-X", "linger.ms=5", "-X", "batch.size=262144",
    "-X", "batch.num.messages=100000", "-X", "queue.buffering.max.messages=1000000",
    "-X", "queue.buffering.max.kbytes=524288", "-X", "enable.idempotence=false",
]


def kcat_produce(bootstrap: str, topic: str, count: int, size: int) -> tuple[int, float]:
    """`kcat -P` of `count` newline-separated values; kcat flushes every delivery before it exits
    and fails on a delivery error."""
    payload = (b"x" * size + b"\n") * count
    start = time.perf_counter()
    out = subprocess.run(
        ["kcat", "-P", "-q", "-b", bootstrap, "-t", topic, "-p", "0", *KCAT_TUNING],
        input=payload, capture_output=True, timeout=600,
    )
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"kcat -P failed: {out.stderr.decode().strip()}")
    return count, seconds


def kcat_consume(bootstrap: str, topic: str, count: int, size: int) -> tuple[int, float]:
    """`kcat -C` from offset 0, printing each record's offset and value length to check them."""
    start = time.perf_counter()
    out = subprocess.run(
        ["kcat", "-C", "-q", "-b", bootstrap, "-t", topic, "-p", "0", "-o", "beginning",
         "-c", str(count), "-e", "-f", "%o %S\n",
         "-X", "fetch.max.bytes=67108864", "-X", "max.partition.fetch.bytes=16777216",
         "-X", "queued.max.messages.kbytes=262144", "-X", "queued.min.messages=1000000",
         "-X", "fetch.wait.max.ms=100"],
        capture_output=True, timeout=600,
    )
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"kcat -C failed: {out.stderr.decode().strip()}")
    lines = out.stdout.splitlines()
    if len(lines) != count or lines[-1] != f"{count - 1} {size}".encode():
        raise RuntimeError(f"kcat -C read {len(lines)} records, the last {lines[-1:]}")
    return count, seconds


# --- one run ----------------------------------------------------------------------------------


def one_run(args: argparse.Namespace, run: int, binaries: tuple[Path, Path]) -> list[Phase]:
    broker_bin, cli = binaries
    work_dir = Path(tempfile.mkdtemp(prefix="kafka-vs-native-", dir=args.work_dir))
    broker = Broker(broker_bin, work_dir)
    count, size = args.count, args.message_size
    try:
        for topic in ("kafka-bench", "kcat-bench"):
            kafka_create_topic(broker.kafka, topic)

        def native(workload: str) -> Phase:
            return measure(
                broker, "native", workload, children_cpu_seconds,
                lambda: native_bench(cli, broker.native, workload, count, size),
            )

        def kafka(workload: str) -> Phase:
            work = kafka_produce if workload == "produce" else kafka_consume
            return measure(
                broker, "kafka", workload, self_cpu_seconds,
                lambda: work(broker.kafka, "kafka-bench", count, size),
            )

        def kcat(workload: str) -> Phase:
            work = kcat_produce if workload == "produce" else kcat_consume
            return measure(
                broker, "kcat", workload, children_cpu_seconds,
                lambda: work(broker.kafka, "kcat-bench", count, size),
            )

        # Rotate which path goes first, so the machine's drift hits them alike.
        paths = [native, kafka, kcat]
        order = paths[run % 3:] + paths[:run % 3]
        phases = []
        for workload in ("produce", "consume"):
            for path in order:
                phases.append(path(workload))
                print(f"run {run + 1}: {describe(phases[-1])}", file=sys.stderr)
        return phases
    finally:
        broker.stop()
        shutil.rmtree(work_dir, ignore_errors=True)


def describe(p: Phase) -> str:
    return (
        f"{p.path:6} {p.workload:7} {p.msgs_per_sec / 1e6:6.2f} M msg/s  "
        f"broker {p.broker_cpu_ns_per_msg:6.0f} ns/msg  client {p.client_cpu_ns_per_msg:6.0f} ns/msg"
    )


def summarize(runs: list[list[Phase]]) -> dict[str, Any]:
    def median(path: str, workload: str, field: str) -> float:
        return float(statistics.median(
            getattr(p, field) for run in runs for p in run
            if p.path == path and p.workload == workload
        ))

    out: dict[str, Any] = {}
    for workload in ("produce", "consume"):
        cells: dict[str, Any] = {
            path: {
                field: median(path, workload, field)
                for field in ("msgs_per_sec", "broker_cpu_ns_per_msg", "client_cpu_ns_per_msg")
            }
            for path in PATHS
        }
        native_rate = cells["native"]["msgs_per_sec"]
        for path in ("kafka", "kcat"):
            cells[f"ratio_{path}_to_native"] = (
                cells[path]["msgs_per_sec"] / native_rate if native_rate else None
            )
        out[workload] = cells
    return out


def table(summary: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [
        f"{args.count} x {args.message_size} B, {args.runs} run(s), median; fsync never, acks 1; "
        "kafka = confluent-kafka (Python), kcat = librdkafka in C",
        "workload | path   | msg/s    | vs native | broker CPU ns/msg | client CPU ns/msg",
        "---------|--------|----------|-----------|-------------------|------------------",
    ]
    for workload, cells in summary.items():
        for path in PATHS:
            c = cells[path]
            ratio = "" if path == "native" else f"{cells[f'ratio_{path}_to_native']:.2f}x"
            lines.append(
                f"{workload:8} | {path:6} | {c['msgs_per_sec'] / 1e6:7.2f}M | {ratio:>9} | "
                f"{c['broker_cpu_ns_per_msg']:17.0f} | {c['client_cpu_ns_per_msg']:17.0f}"
            )
    return "\n".join(lines)


def locate(dir_: Optional[str]) -> tuple[Path, Path]:
    root = Path(__file__).resolve().parents[1]
    base = Path(dir_) if dir_ else root / "target" / "release"
    broker, cli = base / "rustlog-broker", base / "rustlog"
    for binary in (broker, cli):
        if not os.access(binary, os.X_OK):
            sys.exit(
                f"{binary} is missing; build it with `cargo build --release -p rustlog-broker "
                "-p rustlog` in the repository root, or pass --rustlog-dir"
            )
    return broker, cli


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="records per phase")
    parser.add_argument("--message-size", type=int, default=100, help="bytes per value")
    parser.add_argument("--runs", type=int, default=3, help="runs; the report is the median")
    parser.add_argument("--smoke", action="store_true", help="= --count 100000 --runs 1")
    parser.add_argument("--rustlog-dir", help="holds rustlog-broker and rustlog "
                        "(default: <repo>/target/release)")
    parser.add_argument("--work-dir", help="parent of the broker's temp data dir (a real disk)")
    parser.add_argument("--json", action="store_true", help="JSON on stdout; progress on stderr")
    args = parser.parse_args()
    if args.smoke:
        args.count, args.runs = 100_000, 1
    if args.count < 1 or args.runs < 1 or args.message_size < 1:
        parser.error("--count, --runs and --message-size must be at least 1")
    binaries = locate(args.rustlog_dir)
    runs = [one_run(args, run, binaries) for run in range(args.runs)]
    summary = summarize(runs)
    if args.json:
        json.dump(
            {
                "count": args.count,
                "message_size": args.message_size,
                "runs": args.runs,
                "summary": summary,
                "phases": [[asdict(p) for p in run] for run in runs],
                "binaries": [str(b) for b in binaries],
            },
            sys.stdout,
            indent=2,
        )
        print()
    else:
        print(table(summary, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
