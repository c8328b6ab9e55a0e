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


#: The shared table (`rustlog_protocol::ErrorCode::ALL` without `None`), spelled out so that a
#: wrong number fails here: below 1000 Kafka's numbers (`Unknown` is Kafka's -1 as 16 bits),
#: 1000-1999 RustLog-only broker codes, 2000 and up client-only codes.
EXPECTED_CODES = {
    "Unknown": 65535,
    "OffsetOutOfRange": 1,
    "CorruptRecord": 2,
    "TopicNotFound": 3,
    "RequestTimedOut": 7,
    "RecordTooLarge": 10,
    "OffsetMetadataTooLarge": 12,
    "CoordinatorNotAvailable": 15,
    "NotCoordinator": 16,
    "InvalidTopicName": 17,
    "InvalidRequiredAcks": 21,
    "IllegalGeneration": 22,
    "InconsistentGroupProtocol": 23,
    "InvalidGroupId": 24,
    "UnknownMemberId": 25,
    "InvalidSessionTimeout": 26,
    "RebalanceInProgress": 27,
    "UnsupportedVersion": 35,
    "TopicAlreadyExists": 36,
    "InvalidPartitions": 37,
    "InvalidReplicationFactor": 38,
    "InvalidConfig": 40,
    "InvalidRequest": 42,
    "OutOfOrderSequenceNumber": 45,
    "InvalidProducerEpoch": 47,
    "StorageError": 56,
    "UnknownProducerId": 59,
    "NonEmptyGroup": 68,
    "GroupNotFound": 69,
    "UnsupportedCompressionType": 76,
    "MemberIdRequired": 79,
    "GroupMaxSizeReached": 81,
    "FencedInstanceId": 82,
    "GroupSubscribedToTopic": 86,
    "InvalidRecord": 87,
    "PartitionNotFound": 1000,
    "UnknownApiKey": 1001,
    "DiskFull": 1002,
    "BrokerShuttingDown": 1003,
    "TooManyConnections": 1004,
    "Throttled": 1005,
    "Disconnected": 2000,
    "TimedOut": 2001,
    "Closed": 2002,
    "InvalidArgument": 2003,
    "ProtocolViolation": 2004,
}


def test_classes_cover_the_whole_table_with_the_right_numbers() -> None:
    assert rustlog.ERROR_CODES == EXPECTED_CODES
    for name, code in EXPECTED_CODES.items():
        assert getattr(rustlog, name).code == code, name


def test_known_codes_and_retriable_flags() -> None:
    assert rustlog.TopicNotFound.code == 3, "Kafka's UNKNOWN_TOPIC_OR_PARTITION"
    assert rustlog.TopicNotFound.retriable is False
    assert rustlog.Unknown.code == 65535, "Kafka's -1"
    assert rustlog.PartitionNotFound.code == 1000, "RustLog-only"
    assert rustlog.RebalanceInProgress.retriable is True
    assert rustlog.CoordinatorNotAvailable.retriable is True
    assert rustlog.NonEmptyGroup.retriable is False
    assert rustlog.Disconnected.code == 2000
    assert rustlog.Disconnected.retriable is True
    assert rustlog.TimedOut.retriable is True
    assert rustlog.Closed.retriable is False
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
    assert err.code == 3
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
