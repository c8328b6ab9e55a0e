"""The top README's Python quick start runs as printed against a fresh broker, and a second
time against the same broker (the topic exists by then). Only the broker address is the test
broker's. The Rust and CLI quick starts: tests/tests/docs_readme.rs; Node: readme.test.js."""

import subprocess
import sys
from pathlib import Path

import rustlog

README = Path(__file__).resolve().parents[2] / "README.md"
README_BROKER = "127.0.0.1:7400"


def quickstart_block(lang: str) -> str:
    """The body of the first ```lang block after the "## Quick starts" heading."""
    section = README.read_text(encoding="utf-8").split("\n## Quick starts\n", 1)[1]
    body = section.split(f"```{lang}\n", 1)[1]
    return body.split("\n```", 1)[0]


def test_the_python_quick_start_runs_as_printed_and_again(broker: rustlog.EmbeddedBroker) -> None:
    code = quickstart_block("python")
    assert README_BROKER in code
    code = code.replace(README_BROKER, broker.bootstrap)
    for run in (1, 2):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"run {run}:\n{done.stdout}\n{done.stderr}"
        assert "stored at" in done.stdout, done.stdout
        assert "b'hello'" in done.stdout, done.stdout
    with rustlog.Admin(broker.bootstrap) as admin:
        described = admin.describe_group("billing")
        committed = sum(o["committed_offset"] or 0 for o in described["offsets"])
        assert committed == 2, described
