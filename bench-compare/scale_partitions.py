#!/usr/bin/env python3
"""Start-up time, memory, file descriptors and mappings of a broker holding many partitions
with many sealed segments each (issue 15 "Scale").

1. A seed partition is made through a real broker: one topic with `segment.bytes=1024`, and
   `rustlog bench` produces small batches until it has at least `--segments` + 1 segments.
2. Its directory is copied into `--topics` topics of `--partitions` partitions each (10 x 1,000
   by default: a topic has at most 1,024). Copying is what makes 110,000 segments take seconds
   instead of the broker's 110,000 rolls, each of which fsyncs.
3. A fresh broker starts on that data directory (with `--open-segments-max`): the start-up time
   is from exec until its "listening" line, then RSS, open fds and mappings of segment files
   are read from /proc.
4. Every partition of every topic is read from the start (`rustlog bench --mode consume`), and
   RSS, fds and mappings are read again: the mappings must stay at most the cap.

Usage (from the repository root, after `cargo build --release -p rustlog-broker -p rustlog`):

    python3 bench-compare/scale_partitions.py                   # 10 x 1,000 partitions
    python3 bench-compare/scale_partitions.py --smoke           # 2 x 100, a few seconds
    python3 bench-compare/scale_partitions.py --json > scale.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START_TIMEOUT_S = 120.0
REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """A release broker on free loopback ports, stopped by its PID."""

    def __init__(self, bin_dir: Path, data_dir: Path, extra: list[str]):
        self.port = free_port()
        self.log_path = data_dir.parent / f"broker-{self.port}.log"
        args = [
            str(bin_dir / "rustlog-broker"),
            "--data-dir", str(data_dir),
            "--listen", f"127.0.0.1:{self.port}",
            "--metrics-listen", "off",
            "--kafka-listen", "off",
            *extra,
        ]
        self.log = open(self.log_path, "w")
        started = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.startup_s = self._wait_listening(started)

    def _wait_listening(self, started: float) -> float:
        assert self.proc.stdout is not None
        while time.monotonic() - started < START_TIMEOUT_S:
            line = self.proc.stdout.readline()
            if "listening on" in line:
                return time.monotonic() - started
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"broker did not start; see {self.log_path}")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def usage(self, data_dir: Path) -> dict[str, int]:
        pid = self.proc.pid
        status = Path(f"/proc/{pid}/status").read_text()
        rss_kb = next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmRSS:"))
        fds = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                fds += os.readlink(fd).startswith(str(data_dir))
            except OSError:
                pass
        maps = sum(str(data_dir) in l for l in Path(f"/proc/{pid}/maps").read_text().splitlines())
        return {"rss_mb": rss_kb // 1024, "data_dir_fds": fds, "segment_mappings": maps}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def cli(bin_dir: Path, *args: str) -> str:
    out = subprocess.run([str(bin_dir / "rustlog"), *args], check=True, capture_output=True,
                         text=True, timeout=1800)
    return out.stdout + out.stderr


def make_seed(bin_dir: Path, work: Path, segments: int) -> tuple[Path, int]:
    """A partition directory with more than `segments` segments, and its record count."""
    data = work / "seed"
    broker = Broker(bin_dir, data, [])
    try:
        cli(bin_dir, "topic", "create", "seed", "--broker", broker.address, "--partitions", "1",
            "--config", "segment.bytes=1024", "--config", "fsync.policy=never")
        # About 9 records of 90 B per 1 KiB batch, one batch per segment.
        count = (segments + 2) * 9
        cli(bin_dir, "bench", "--broker", broker.address, "--topic", "seed", "--count",
            str(count), "--batch-bytes", "1024", "--linger-ms", "0", "--max-in-flight", "1",
            "--message-size", "90", "--quiet")
    finally:
        broker.stop()
    part = data / "topics" / "seed" / "0"
    logs = sorted(part.glob("*.log"))
    if len(logs) <= segments:
        raise RuntimeError(f"seed has {len(logs)} segments, wanted more than {segments}")
    return part, count


def clone(seed: Path, data: Path, topics: int, partitions: int) -> None:
    meta = json.loads((seed.parent / "topic.json").read_text())
    for t in range(topics):
        name = f"scale-{t}"
        topic_dir = data / "topics" / name
        topic_dir.mkdir(parents=True)
        for p in range(partitions):
            shutil.copytree(seed, topic_dir / str(p))
        meta.update(name=name, partitions=partitions)
        (topic_dir / "topic.json").write_text(json.dumps(meta))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--topics", type=int, default=10)
    ap.add_argument("--partitions", type=int, default=1000, help="per topic (at most 1024)")
    ap.add_argument("--segments", type=int, default=10, help="sealed segments per partition")
    ap.add_argument("--open-segments-max", type=int, default=None,
                    help="the broker's cap (default: the broker's default)")
    ap.add_argument("--rustlog-dir", type=Path, default=REPO / "target" / "release")
    ap.add_argument("--work-dir", type=Path, default=None)
    ap.add_argument("--smoke", action="store_true", help="2 topics x 100 partitions")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.smoke:
        args.topics, args.partitions = 2, 100
    work = Path(tempfile.mkdtemp(prefix="rustlog-scale-", dir=args.work_dir))
    try:
        return run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    bin_dir = args.rustlog_dir
    seed, seed_records = make_seed(bin_dir, work, args.segments)
    data = work / "data"
    started = time.monotonic()
    clone(seed, data, args.topics, args.partitions)
    segments = len(list(seed.glob("*.log"))) * args.topics * args.partitions
    print(f"cloned {segments} segments in {time.monotonic() - started:.1f} s", file=sys.stderr)
    extra = []
    if args.open_segments_max is not None:
        extra = ["--open-segments-max", str(args.open_segments_max)]
    broker = Broker(bin_dir, data, extra)
    try:
        result = {
            "partitions": args.topics * args.partitions,
            "segments": segments,
            "startup_s": round(broker.startup_s, 2),
            "after_start": broker.usage(data),
        }
        started = time.monotonic()
        for t in range(args.topics):
            cli(bin_dir, "bench", "--broker", broker.address, "--mode", "consume",
                "--topic", f"scale-{t}", "--count", str(seed_records * args.partitions),
                "--quiet")
        result["read_all_s"] = round(time.monotonic() - started, 2)
        result["after_reading_all"] = broker.usage(data)
    finally:
        broker.stop()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        a, b = result["after_start"], result["after_reading_all"]
        print(f"{result['partitions']} partitions, {segments} segments: start-up "
              f"{result['startup_s']} s; RSS {a['rss_mb']} MB, {a['data_dir_fds']} fds, "
              f"{a['segment_mappings']} mappings after start; after reading every record "
              f"({result['read_all_s']} s): RSS {b['rss_mb']} MB, {b['data_dir_fds']} fds, "
              f"{b['segment_mappings']} mappings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
