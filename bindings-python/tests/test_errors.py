"""The exception hierarchy mirrors the shared error-code table."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rustlog

STUB = Path(__file__).resolve().parent.parent / "python" / "rustlog" / "__init__.pyi"


def test_every_code_has_a_subclass_of_the_root() -> None:
    assert rustlog.ERROR_CODES, "the table is empty"
    for name, code in rustlog.ERROR_CODES.items():
        cls = getattr(rustlog, name)
        assert issubclass(cls, rustlog.RustLogError)
        assert cls.__module__ == "rustlog"
        assert cls.code == code
        assert isinstance(cls.retriable, bool)


def test_known_codes_and_retriable_flags() -> None:
    assert rustlog.TopicNotFound.code == 7
    assert rustlog.TopicNotFound.retriable is False
    assert rustlog.RecordTooLarge.code == 6
    assert rustlog.OffsetOutOfRange.code == 13
    assert rustlog.Disconnected.code == 1000
    assert rustlog.Disconnected.retriable is True
    assert rustlog.TimedOut.code == 1001
    assert rustlog.TimedOut.retriable is True
    assert rustlog.Closed.code == 1002
    assert "None" not in rustlog.ERROR_CODES, "success is not an exception"


def test_timeouts_and_disconnects_are_builtin_subclasses_too() -> None:
    assert issubclass(rustlog.TimedOut, TimeoutError)
    assert issubclass(rustlog.RequestTimedOut, TimeoutError)
    assert issubclass(rustlog.Disconnected, ConnectionError)
    assert not issubclass(rustlog.TopicNotFound, TimeoutError)
    with pytest.raises(TimeoutError):
        raise rustlog.TimedOut("slow")


def test_exception_instances_carry_code_and_message() -> None:
    err = rustlog.TopicNotFound("no topic 'x'")
    assert err.code == 7
    assert err.retriable is False
    assert str(err) == "no topic 'x'"
    assert isinstance(err, rustlog.RustLogError)


def test_stubs_declare_exactly_the_runtime_exceptions() -> None:
    tree = ast.parse(STUB.read_text())
    stub_errors = {
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id == "RustLogError" for b in node.bases)
    }
    assert stub_errors == set(rustlog.ERROR_CODES)
