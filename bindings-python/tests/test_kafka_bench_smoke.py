"""The Kafka-vs-native benchmark (`bench-compare/kafka_vs_native.py`, `make bench-kafka`) runs
end to end on a small count, so the script cannot rot: both paths move every record and report
msg/s, CPU per message and the ratios (confluent-kafka and kcat against
`rustlog bench`). Its figures come from the release run in
bench-compare/README.md, never from this test."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from test_real_broker_process import broker_binary

SCRIPT = Path(__file__).resolve().parents[2] / "bench-compare" / "kafka_vs_native.py"


def test_the_benchmark_measures_both_paths_and_their_ratio() -> None:
    broker = broker_binary()
    assert broker is not None, "no built rustlog-broker (cargo build -p rustlog-broker -p rustlog)"
    assert shutil.which("kcat"), "kcat is missing: `make test-deps` installs it"
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--count", "100000", "--runs", "1", "--json",
         "--rustlog-dir", str(broker.parent)],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr

    report = json.loads(out.stdout)
    assert report["count"] == 100_000
    phases = report["phases"][0]
    assert {(p["path"], p["workload"]) for p in phases} == {
        (path, workload)
        for path in ("native", "kafka", "kcat")
        for workload in ("produce", "consume")
    }
    for p in phases:
        assert p["messages"] == 100_000 and p["msgs_per_sec"] > 0, p
        # CPU time comes in clock ticks (10 ms): a short phase may round to 0.
        assert p["broker_cpu_ns_per_msg"] >= 0 and p["client_cpu_ns_per_msg"] >= 0, p
    for workload in ("produce", "consume"):
        assert report["summary"][workload]["ratio_kafka_to_native"] > 0
        assert report["summary"][workload]["ratio_kcat_to_native"] > 0
