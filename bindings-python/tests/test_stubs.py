"""The shipped stubs: they match the runtime (exception classes, admin dict keys), the examples
pass `mypy --strict` with them, and misuse is caught by mypy."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rustlog

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent / "python" / "rustlog"
EXAMPLES = sorted((HERE.parent / "examples").glob("*.py"))


def typed_dict_keys(name: str) -> set[str]:
    tree = ast.parse((PACKAGE / "__init__.pyi").read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return {
                stmt.target.id
                for stmt in node.body
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
            }
    raise AssertionError(f"{name} not in the stubs")


def test_admin_answers_have_the_stubbed_keys(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    created = admin.create_topic("stubbed", partitions=1)
    assert set(created) == typed_dict_keys("TopicCreated")
    assert set(admin.list_topics()[0]) == typed_dict_keys("TopicSummary")
    described = admin.describe_topic("stubbed")
    assert set(described) == typed_dict_keys("TopicDescription")
    assert set(described["partitions"][0]) == typed_dict_keys("PartitionSummary")
    part = admin.describe_partition("stubbed", 0)
    assert set(part) == typed_dict_keys("PartitionDescription")
    with rustlog.Producer(broker.bootstrap) as producer:
        producer.send("stubbed", b"v").result(timeout=10)
    with rustlog.Consumer(
        broker.bootstrap, group_id="stubs", topics=["stubbed"], auto_offset_reset="earliest"
    ) as consumer:
        msg = consumer.poll(timeout=10)
        assert msg is not None
        consumer.commit(msg)
        group = admin.describe_group("stubs")
        assert set(group) == typed_dict_keys("GroupDescription")
        assert set(group["members"][0]) == typed_dict_keys("MemberDescription")
        assert set(group["members"][0]["assignment"][0]) == typed_dict_keys("TopicPartitions")
        assert set(group["offsets"][0]) == typed_dict_keys("PartitionLag")
        assert set(admin.list_groups()[0]) == typed_dict_keys("GroupSummary")
    segments = admin.describe_partition("stubbed", 0)["segments"]
    assert segments and set(segments[0]) == typed_dict_keys("SegmentInfo")


def test_embedded_broker_data_dir_type_matches_the_stub() -> None:
    with rustlog.EmbeddedBroker() as broker:
        assert isinstance(broker.data_dir, Path)


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(shutil.which("true") is None, reason="needs a POSIX userland")
def test_examples_pass_mypy_strict() -> None:
    assert EXAMPLES, "no examples found"
    result = mypy(*map(str, EXAMPLES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_catches_misuse(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import rustlog\n"
        "p = rustlog.Producer('127.0.0.1:7400')\n"
        "p.send(42, b'v')\n"
        "m: int = p.send('t', b'v').result()\n"
    )
    result = mypy(str(bad))
    assert result.returncode == 1
    assert 'Argument 1 to "send" of "Producer"' in result.stdout
    assert "Incompatible types in assignment" in result.stdout


def test_stubtest_finds_the_stubs_consistent_with_the_runtime(tmp_path: Path) -> None:
    """Every name, signature and default in the stubs matches the installed module."""
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy.stubtest", "rustlog",
            "--allowlist", str(HERE / "stubtest-allowlist.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,  # never the source tree: stubtest must see the installed package
    )
    assert result.returncode == 0, result.stdout + result.stderr
