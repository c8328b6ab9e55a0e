"""Against a real `rustlog-broker` process (the built binary), not the embedded one."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import rustlog
from conftest import unique


def broker_binary() -> Path | None:
    explicit = os.environ.get("RUSTLOG_BROKER_BIN")
    if explicit:
        return Path(explicit)
    root = os.environ.get("RUSTLOG_WORKSPACE_ROOT")
    roots = [Path(root)] if root else []
    roots.append(Path(__file__).resolve().parents[2])
    for base in roots:
        built = [
            candidate
            for profile in ("release", "debug")
            if (candidate := base / "target" / profile / "rustlog-broker").is_file()
            and os.access(candidate, os.X_OK)
        ]
        if built:
            # The newest build: a stale release binary must not shadow the debug build that
            # `make test` has just made from the current sources.
            return max(built, key=lambda path: path.stat().st_mtime)
    return None


@pytest.fixture
def process_broker(tmp_path: Path) -> Iterator[str]:
    binary = broker_binary()
    if binary is None:
        pytest.skip(
            "no built rustlog-broker binary (looked in target/release and target/debug; "
            "build it with `cargo build -p rustlog-broker` or set RUSTLOG_BROKER_BIN)"
        )
    proc = subprocess.Popen(
        [
            str(binary),
            "--listen", "127.0.0.1:0",
            "--metrics-listen", "off",
            "--kafka-listen", "off",
            "--data-dir", str(tmp_path / "data"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "rustlog-broker listening on ADDR metrics ..."
        words = line.split()
        assert "listening" in words, f"unexpected first line from the broker: {line!r}"
        yield words[words.index("on") + 1]
    finally:
        proc.terminate()  # SIGTERM: graceful shutdown
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_round_trip_against_a_broker_process(process_broker: str) -> None:
    name = unique("proc")
    with rustlog.Admin(process_broker) as admin:
        admin.create_topic(name, partitions=2)
    with rustlog.Producer(process_broker) as producer:
        metas = producer.send_batch(name, [(f"k{i}", f"v{i}") for i in range(100)]).result(10)
    assert len(metas) == 100
    with rustlog.Consumer(
        process_broker, group_id=unique("g"), topics=[name], auto_offset_reset="earliest"
    ) as consumer:
        values = set()
        while len(values) < 100:
            batch = consumer.poll_batch(100, timeout=10)
            assert batch, f"only {len(values)} of 100 arrived"
            values.update(m.value for m in batch)
    assert values == {f"v{i}".encode() for i in range(100)}
