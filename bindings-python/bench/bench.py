"""Produce and consume throughput of the Python binding, next to the Rust client's `rustlog bench`.

Both run against the same broker (an in-process `rustlog.EmbeddedBroker` by default, or
`--bootstrap` of a running one) with 100-byte messages, 4 partitions, linger 5 ms, acks=leader.
Python produces with `send_batch` (one Python->Rust call per chunk, not per message) and
consumes with `poll_batch`, touching every message's value.

    python bindings-python/bench/bench.py [--count 1000000] [--runs 3] [--rustlog-bin PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

import rustlog

PARTITIONS = 4
VALUE_BYTES = 100
CHUNK = 10_000
CONSUME_BATCH = 100_000
LINGER_MS = 5


def produce(bootstrap: str, topic: str, count: int) -> float:
    value = b"x" * VALUE_BYTES
    chunk = [value] * CHUNK
    with rustlog.Producer(bootstrap, linger_ms=LINGER_MS, acks="leader") as producer:
        started = time.perf_counter()
        pending: list[rustlog.BatchFuture] = []
        sent = 0
        while sent < count:
            n = min(CHUNK, count - sent)
            pending.append(producer.send_batch(topic, chunk if n == CHUNK else chunk[:n]))
            sent += n
        producer.flush()
        delivered = sum(batch.wait() for batch in pending)
        elapsed = time.perf_counter() - started
    assert delivered == count, f"delivered {delivered} of {count}"
    return count / elapsed


def produce_one_by_one(bootstrap: str, topic: str, count: int) -> float:
    value = b"x" * VALUE_BYTES
    with rustlog.Producer(bootstrap, linger_ms=LINGER_MS, acks="leader") as producer:
        started = time.perf_counter()
        send = producer.send
        for _ in range(count):
            send(topic, value)
        producer.flush()
        elapsed = time.perf_counter() - started
    return count / elapsed


def consume(bootstrap: str, topic: str, count: int) -> float:
    """Mirrors `rustlog bench --mode consume`: the first batch (joining the group) is counted
    but not timed, later polls ask for up to 100,000 messages, every value is touched."""
    group = f"py-bench-{os.getpid()}-{time.time_ns()}"
    with rustlog.Consumer(
        bootstrap, group_id=group, topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        batch = consumer.poll_batch(CHUNK, timeout=30)
        assert batch, "nothing to consume"
        got = 0
        size = 0
        started = time.perf_counter()
        while True:
            for msg in batch:
                size += len(msg.value or b"")
            got += len(batch)
            if got >= count:
                break
            batch = consumer.poll_batch(CONSUME_BATCH, timeout=10)
            if not batch:
                raise RuntimeError(f"consumed only {got} of {count}")
        elapsed = time.perf_counter() - started
    assert size >= count * VALUE_BYTES
    return got / elapsed


def rust_bench(binary: Path, bootstrap: str, mode: str, topic: str, count: int) -> Optional[float]:
    cmd = [
        str(binary), "--broker", bootstrap, "bench", "--mode", mode, "--topic", topic,
        "--partitions", str(PARTITIONS), "--message-size", str(VALUE_BYTES),
        "--count", str(count), "--linger-ms", str(LINGER_MS), "--acks", "leader",
        "--json", "--quiet",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        print(f"rustlog bench failed ({' '.join(cmd)}): {done.stderr.strip()}", file=sys.stderr)
        return None
    summary: dict[str, Any] = json.loads(done.stdout)
    return float(summary["msgs_per_sec"])


def find_rustlog(explicit: Optional[str]) -> Optional[Path]:
    if explicit:
        return Path(explicit)
    root = Path(__file__).resolve().parents[2]
    for profile in ("release", "debug"):
        candidate = root / "target" / profile / "rustlog"
        if candidate.is_file():
            return candidate
    found = shutil.which("rustlog")
    return Path(found) if found else None


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def run(bootstrap: str, count: int, rustlog_bin: Optional[Path], runs: int) -> None:
    """Interleaves Python and Rust runs (machines drift) and reports medians."""
    results: dict[str, list[float]] = {
        "py_produce": [], "py_consume": [], "py_single": [], "rs_produce": [], "rs_consume": []
    }
    with rustlog.Admin(bootstrap) as admin:
        for run_index in range(runs):
            stamp = f"{time.time_ns()}-{run_index}"
            topic = f"py-bench-{stamp}"
            admin.create_topic(topic, partitions=PARTITIONS)
            admin.create_topic(f"{topic}-single", partitions=PARTITIONS)
            results["py_produce"].append(produce(bootstrap, topic, count))
            results["py_consume"].append(consume(bootstrap, topic, count))
            results["py_single"].append(produce_one_by_one(bootstrap, f"{topic}-single", count // 5))
            if rustlog_bin is not None:
                rs_topic = f"rs-bench-{stamp}"
                for mode in ("produce", "consume"):
                    rate = rust_bench(rustlog_bin, bootstrap, mode, rs_topic, count)
                    if rate is not None:
                        results[f"rs_{mode}"].append(rate)
            for topic_name in (topic, f"{topic}-single", f"rs-bench-{stamp}"):
                try:
                    admin.delete_topic(topic_name)
                except rustlog.TopicNotFound:
                    pass
    rs_produce = median(results["rs_produce"]) if results["rs_produce"] else None
    rs_consume = median(results["rs_consume"]) if results["rs_consume"] else None
    rows = [
        ("produce (send_batch)", median(results["py_produce"]), rs_produce),
        ("consume (poll_batch)", median(results["py_consume"]), rs_consume),
        ("produce (send per message)", median(results["py_single"]), rs_produce),
    ]
    print(
        f"{count} messages of {VALUE_BYTES} bytes, {PARTITIONS} partitions, broker {bootstrap}, "
        f"median of {runs} run(s)"
    )
    print(f"{'':28} {'python msg/s':>14} {'rust msg/s':>14} {'python/rust':>12}")
    for name, py, rs in rows:
        ratio = f"{py / rs:.2f}" if rs else "n/a"
        rs_text = f"{rs:,.0f}" if rs else "n/a"
        print(f"{name:28} {py:>14,.0f} {rs_text:>14} {ratio:>12}")
    if rustlog_bin is None:
        print("(no `rustlog` binary found: build it with `cargo build --release -p rustlog`)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--bootstrap", help="a running broker; default: an embedded one")
    parser.add_argument("--rustlog-bin", help="the Rust CLI for the comparison")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    args = parser.parse_args()
    rustlog_bin = find_rustlog(args.rustlog_bin)
    if args.bootstrap:
        run(args.bootstrap, args.count, rustlog_bin, args.runs)
        return
    with rustlog.EmbeddedBroker() as broker:
        run(broker.bootstrap, args.count, rustlog_bin, args.runs)


if __name__ == "__main__":
    main()
