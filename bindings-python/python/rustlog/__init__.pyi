"""Type stubs for the `rustlog` package (the native module is `rustlog._native`)."""

from typing import ClassVar, Final

__version__: Final[str]
ERROR_CODES: Final[dict[str, int]]

# --- errors -----------------------------------------------------------------------------------

class RustLogError(Exception):
    """Root of every RustLog error."""

    code: ClassVar[int]
    retriable: ClassVar[bool]

class Unknown(RustLogError):
    """Unexpected server error (code 1)."""

class CorruptRecord(RustLogError):
    """Record batch CRC mismatch (code 2)."""

class UnsupportedVersion(RustLogError):
    """Unsupported api version (code 3)."""

class UnknownApiKey(RustLogError):
    """Unknown api key (code 4)."""

class InvalidRequest(RustLogError):
    """Malformed request (code 5)."""

class RecordTooLarge(RustLogError):
    """Record or batch exceeds a size limit (code 6)."""

class TopicNotFound(RustLogError):
    """Unknown topic (code 7)."""

class PartitionNotFound(RustLogError):
    """Unknown partition (code 8)."""

class TopicAlreadyExists(RustLogError):
    """Topic already exists (code 9)."""

class InvalidTopicName(RustLogError):
    """Invalid topic name (code 10)."""

class InvalidPartitions(RustLogError):
    """Invalid partition count (code 11)."""

class InvalidConfig(RustLogError):
    """Invalid config (code 12)."""

class OffsetOutOfRange(RustLogError):
    """Offset out of range (code 13)."""

class StorageError(RustLogError):
    """Storage error; partition is read-only (code 14)."""

class DiskFull(RustLogError):
    """No space left on device (code 15)."""

class RequestTimedOut(RustLogError, TimeoutError):
    """Request timed out on the broker (code 16)."""

class BrokerShuttingDown(RustLogError):
    """Broker is shutting down (code 17)."""

class TooManyConnections(RustLogError):
    """Too many connections (code 18)."""

class InvalidRecord(RustLogError):
    """Invalid record batch (code 19)."""

class UnknownMemberId(RustLogError):
    """Unknown group member (code 20)."""

class IllegalGeneration(RustLogError):
    """Stale group generation (code 21)."""

class RebalanceInProgress(RustLogError):
    """Group rebalance in progress (code 22)."""

class InvalidGroupId(RustLogError):
    """Invalid group id (code 23)."""

class GroupNotFound(RustLogError):
    """Unknown consumer group (code 24)."""

class InvalidSessionTimeout(RustLogError):
    """Invalid session timeout (code 25)."""

class Throttled(RustLogError):
    """Too many in-flight requests on this connection (code 26)."""

class Disconnected(RustLogError, ConnectionError):
    """Not connected to the broker (code 1000)."""

class TimedOut(RustLogError, TimeoutError):
    """Timed out (code 1001)."""

class Closed(RustLogError):
    """Client is closed (code 1002)."""

class InvalidArgument(RustLogError):
    """Invalid argument (code 1003)."""

class ProtocolViolation(RustLogError):
    """Broker sent a malformed response (code 1004)."""
