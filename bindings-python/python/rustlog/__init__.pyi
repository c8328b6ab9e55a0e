"""Type stubs for the `rustlog` package (the native module is `rustlog._native`)."""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Final, Literal, Optional, TypedDict, Union, final

from typing_extensions import Self, TypeAlias

__all__ = [
    "__version__",
    "ERROR_CODES",
    "TRACE",
    "Admin",
    "BatchFuture",
    "CommittedOffset",
    "Consumer",
    "ConsumerEvent",
    "ConsumerEvents",
    "DeliveryFuture",
    "EmbeddedBroker",
    "Message",
    "OffsetChange",
    "PartitionOffset",
    "Producer",
    "RecordMetadata",
    "RustLogError",
    "TopicPartitionOffset",
    "refresh_log_level",
    "set_log_level",
    "Unknown",
    "OffsetOutOfRange",
    "CorruptRecord",
    "TopicNotFound",
    "RequestTimedOut",
    "RecordTooLarge",
    "OffsetMetadataTooLarge",
    "CoordinatorNotAvailable",
    "NotCoordinator",
    "InvalidTopicName",
    "InvalidRequiredAcks",
    "IllegalGeneration",
    "InconsistentGroupProtocol",
    "InvalidGroupId",
    "UnknownMemberId",
    "InvalidSessionTimeout",
    "RebalanceInProgress",
    "UnsupportedVersion",
    "TopicAlreadyExists",
    "InvalidPartitions",
    "InvalidReplicationFactor",
    "InvalidConfig",
    "InvalidRequest",
    "OutOfOrderSequenceNumber",
    "InvalidProducerEpoch",
    "StorageError",
    "UnknownProducerId",
    "NonEmptyGroup",
    "GroupNotFound",
    "UnsupportedCompressionType",
    "MemberIdRequired",
    "GroupMaxSizeReached",
    "FencedInstanceId",
    "GroupSubscribedToTopic",
    "InvalidRecord",
    "PartitionNotFound",
    "UnknownApiKey",
    "DiskFull",
    "BrokerShuttingDown",
    "TooManyConnections",
    "Throttled",
    "Disconnected",
    "TimedOut",
    "Closed",
    "InvalidArgument",
    "ProtocolViolation",
]

__version__: Final[str]
#: Error name -> code, from the shared error-code table.
ERROR_CODES: Final[dict[str, int]]

# --- logging ----------------------------------------------------------------------------------

#: The `logging` level of the Rust client's trace events (5, below `logging.DEBUG`, named
#: "TRACE"). Rust's debug, info, warn and error events are DEBUG, INFO, WARNING and ERROR records.
TRACE: Final[int]

def set_log_level(level: Union[int, str]) -> None:
    """`logging.getLogger("rustlog").setLevel(level)`, and the Rust client forwards its events
    at that level from now on (`TRACE` / "TRACE" for everything)."""

def refresh_log_level() -> None:
    """Forwards the Rust client's events at the level the `rustlog` loggers are enabled for now
    (read also at import and whenever a client object or `EmbeddedBroker` is created)."""

#: A key or value: bytes, text (sent as UTF-8) or None (null key; a null value is a tombstone).
Data: TypeAlias = Union[bytes, bytearray, str, None]
#: A header value; None is a null value (Kafka tells it apart from an empty one).
HeaderValue: TypeAlias = Union[bytes, bytearray, str, None]
#: Headers: a mapping or a sequence of (name, value) pairs (pairs may repeat a name; order is kept).
Headers: TypeAlias = Union[Mapping[str, HeaderValue], Iterable[tuple[str, HeaderValue]], None]
#: One item of `send_batch`: a value, a (key, value) pair or a (key, value, headers) triple.
BatchRecord: TypeAlias = Union[Data, tuple[Data, Data], tuple[Data, Data, Headers]]
#: `acks`: when the broker acknowledges a produce.
Acks: TypeAlias = Literal["none", "leader", "durable", "all", 0, 1, 2, -1]
#: `compression`: the codec of every batch a producer sends (Kafka's `compression.type` names).
Compression: TypeAlias = Literal["none", "gzip", "snappy", "lz4", "zstd", 0, 1, 2, 3, 4]
#: Where a consumer starts in a partition without a committed offset (default "latest", Kafka's).
OffsetReset: TypeAlias = Literal["earliest", "latest", "none"]
#: `assignor`: how the broker deals a group's partitions to its members (Kafka's names).
Assignor: TypeAlias = Literal["range", "roundrobin"]
#: An item of `Consumer.assign`: `(topic, partition)`, `(topic, partition, offset)` or a
#: `TopicPartitionOffset` (offset `None`: the default start).
AssignedPartition: TypeAlias = Union[
    tuple[str, int], tuple[str, int, Optional[int]], "TopicPartitionOffset"
]
#: `ConsumerEvent.kind`.
ConsumerEventKind: TypeAlias = Literal[
    "group_join", "rebalancing", "heartbeat", "commit_offsets", "poll_interval_exceeded", "stop"
]
#: A rebalance hook of `Consumer` (`on_assign`, `on_revoke`, `on_lost`): called with the
#: partitions as `(topic, partition)` tuples; its return value is ignored.
RebalanceCallback: TypeAlias = Callable[[list[tuple[str, int]]], object]
#: `on_delivery` of `Producer.send`: `(None, metadata)` once stored, `(error, None)` if not.
DeliveryCallback: TypeAlias = Callable[
    [Optional["RustLogError"], Optional["RecordMetadata"]], object
]
#: `at` of `Admin.topic_offsets` and `to` of `Admin.reset_group_offsets`: the log start or the
#: high watermark.
OffsetEnd: TypeAlias = Literal["earliest", "latest"]

# --- values -----------------------------------------------------------------------------------

@final
class RecordMetadata:
    """Where an acknowledged record was stored."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int:
        """Milliseconds since the Unix epoch."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Message:
    """A consumed record."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int:
        """Milliseconds since the Unix epoch."""
    @property
    def key(self) -> Optional[bytes]: ...
    @property
    def value(self) -> Optional[bytes]: ...
    @property
    def headers(self) -> list[tuple[str, Optional[bytes]]]:
        """(name, value) pairs in the order produced: a repeated name appears once per value,
        and None is a null value."""

@final
class PartitionOffset:
    """One partition's offset from `Admin.topic_offsets` or `Admin.offsets_for_time`."""

    def __new__(cls, partition: int, offset: Optional[int]) -> Self: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> Optional[int]:
        """None when a timestamp lookup finds no record at or after the timestamp."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class TopicPartitionOffset:
    """One partition's offset from a consumer's `offsets_for_times`."""

    def __new__(cls, topic: str, partition: int, offset: Optional[int]) -> Self: ...
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> Optional[int]:
        """The first offset whose record is at or after the timestamp; None when no record is
        that new (confluent-kafka answers -1)."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class CommittedOffset:
    """A group's committed offset of one partition, from `Admin.group_offsets`."""

    def __new__(
        cls, topic: str, partition: int, offset: int, metadata: Optional[str] = None
    ) -> Self: ...
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int:
        """The next offset the group will consume."""
    @property
    def metadata(self) -> Optional[str]:
        """The free text committed with the offset."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class OffsetChange:
    """One partition of a reset plan from `Admin.reset_group_offsets`."""

    def __new__(cls, topic: str, partition: int, current: Optional[int], new: int) -> Self: ...
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def current(self) -> Optional[int]:
        """The committed offset before the reset; None when nothing was committed."""
    @property
    def new(self) -> int:
        """The committed offset after the reset (with `execute=True`)."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

# --- admin answers (plain dicts with these keys) ------------------------------------------------

class TopicCreated(TypedDict):
    name: str
    partitions: int
    config: dict[str, str]

class TopicSummary(TypedDict):
    name: str
    partitions: int

class PartitionSummary(TypedDict):
    partition: int
    log_start_offset: int
    high_watermark: int
    size_bytes: int
    segment_count: int

class TopicDescription(TypedDict):
    name: str
    config: dict[str, str]
    partitions: list[PartitionSummary]

class SegmentInfo(TypedDict):
    base_offset: int
    next_offset: int
    size_bytes: int
    max_timestamp_ms: Optional[int]
    sealed: bool

class PartitionDescription(TypedDict):
    topic: str
    partition: int
    log_start_offset: int
    high_watermark: int
    size_bytes: int
    segments: list[SegmentInfo]

class GroupSummary(TypedDict):
    group_id: str
    state: str
    generation_id: int
    member_count: int

class TopicPartitions(TypedDict):
    topic: str
    partitions: list[int]

class MemberDescription(TypedDict):
    member_id: str
    client_id: str
    topics: list[str]
    assignment: list[TopicPartitions]

class PartitionLag(TypedDict):
    topic: str
    partition: int
    committed_offset: Optional[int]
    high_watermark: int
    lag: int

class GroupDescription(TypedDict):
    group_id: str
    state: str
    generation_id: int
    assignor: str
    members: list[MemberDescription]
    offsets: list[PartitionLag]

# --- producer ---------------------------------------------------------------------------------

@final
class DeliveryFuture:
    """The outcome of one `Producer.send`."""

    def result(self, timeout: Optional[float] = None) -> RecordMetadata:
        """Waits (seconds; None: up to the delivery timeout) and returns the metadata."""
    def done(self) -> bool: ...
    def add_done_callback(self, callback: Callable[[DeliveryFuture], object]) -> None:
        """Calls `callback(future)` once the outcome is known: at once when it is already, else on a
        client thread (with the GIL). Exceptions go to `sys.unraisablehook`."""
    @property
    def partition(self) -> int: ...

@final
class BatchFuture:
    """The outcome of one `Producer.send_batch`."""

    def result(self, timeout: Optional[float] = None) -> list[RecordMetadata]: ...
    def wait(self, timeout: Optional[float] = None) -> int:
        """Waits for every acknowledgement; returns how many records were delivered."""
    def done(self) -> bool: ...
    def __len__(self) -> int: ...

@final
class Producer:
    """Sends records in batches (blocking API; every wait releases the GIL)."""

    def __new__(
        cls,
        bootstrap: str = "127.0.0.1:7400",
        *,
        # options(python producer): rendered from rustlog::options, see tests/tests/docs_options.rs
        client_id: str = "rustlog-rs",
        request_timeout_ms: int = 30000,
        connect_timeout_ms: int = 10000,
        reconnect_backoff_ms: int = 50,
        reconnect_backoff_max_ms: int = 2000,
        max_in_flight_per_connection: int = 64,
        metadata_max_age_ms: int = 300000,
        linger_ms: int = 5,
        batch_bytes: int = 262144,
        acks: Acks = "leader",
        max_in_flight_requests: int = 8,
        buffer_bytes_max: int = 67108864,
        delivery_timeout_ms: int = 30000,
        retry_backoff_ms: int = 100,
        compression: Compression = "none",
        compression_level: Optional[int] = None,
        idempotence: bool = True,
        # end options
    ) -> Self: ...
    def send(
        self,
        topic: str,
        value: Data,
        key: Data = None,
        headers: Headers = None,
        partition: Optional[int] = None,
        timestamp_ms: Optional[int] = None,
        *,
        on_delivery: Optional[DeliveryCallback] = None,
    ) -> DeliveryFuture:
        """Queues the record. `on_delivery(err, metadata)` runs once its outcome is known (on a
        client thread, one at a time, in send order; `flush` and `close` wait for it)."""
    def send_batch(
        self, topic: str, records: Iterable[BatchRecord], partition: Optional[int] = None
    ) -> BatchFuture: ...
    def flush(self, timeout: Optional[float] = None) -> None: ...
    def close(self, timeout: Optional[float] = None) -> None: ...
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

# --- consumer ---------------------------------------------------------------------------------

@final
class Consumer:
    """A consumer-group member (blocking API; every wait releases the GIL)."""

    def __new__(
        cls,
        bootstrap: str = "127.0.0.1:7400",
        *,
        group_id: Optional[str] = None,
        topics: Optional[Sequence[str]] = None,
        on_assign: Optional[RebalanceCallback] = None,
        on_revoke: Optional[RebalanceCallback] = None,
        on_lost: Optional[RebalanceCallback] = None,
        # options(python consumer): rendered from rustlog::options, see tests/tests/docs_options.rs
        client_id: str = "rustlog-rs",
        request_timeout_ms: int = 30000,
        connect_timeout_ms: int = 10000,
        reconnect_backoff_ms: int = 50,
        reconnect_backoff_max_ms: int = 2000,
        max_in_flight_per_connection: int = 64,
        metadata_max_age_ms: int = 300000,
        auto_offset_reset: OffsetReset = "latest",
        enable_auto_commit: bool = False,
        auto_commit_interval_ms: int = 5000,
        session_timeout_ms: int = 10000,
        rebalance_timeout_ms: int = 10000,
        max_poll_interval_ms: int = 300000,
        assignor: Assignor = "range",
        fetch_max_wait_ms: int = 500,
        fetch_max_bytes: int = 8388608,
        partition_fetch_bytes: int = 1048576,
        # end options
    ) -> Self:
        """`auto_offset_reset` is where a group without a committed offset starts: "latest" (the
        default, Kafka's: only records produced after the join), "earliest" or "none" (raise
        `OffsetOutOfRange`). `on_assign` runs after each join (a `seek` there decides the
        start), `on_revoke` before the consumer gives partitions up (a rebalance, or `close`;
        commits there still count), `on_lost` when they were taken away first (default:
        `on_revoke`). Hooks run inside `poll`/`close` and may call `commit`, `seek`, `pause`,
        ..., not `poll`; an exception in one is raised by that `poll` (or `close`)."""
    def poll(self, timeout: Optional[float] = None) -> Optional[Message]: ...
    def poll_batch(
        self, max_messages: int = 500, timeout: Optional[float] = None
    ) -> list[Message]: ...
    def commit(
        self,
        msg: Optional[Message] = None,
        *,
        offsets: Optional[Sequence[tuple[str, int, int]]] = None,
    ) -> None:
        """Commits `msg.offset + 1`, `offsets=[(topic, partition, offset), ...]` (each the next
        offset to consume), or (neither) the position after every message returned so far;
        both raise `InvalidArgument`."""
    def committed(self, topic: str, partition: int) -> Optional[int]: ...
    def get_watermark_offsets(
        self, topic: str, partition: int, timeout: Optional[float] = None
    ) -> tuple[int, int]:
        """`(low, high)`: the log start offset and the high watermark (last offset + 1)."""
    def offsets_for_times(
        self, partitions: Sequence[tuple[str, int, int]], timeout: Optional[float] = None
    ) -> list[TopicPartitionOffset]:
        """Per `(topic, partition, timestamp_ms)`, the first offset at or after the timestamp."""
    def seek(self, topic: str, partition: int, offset: int) -> None: ...
    def position(self, topic: str, partition: int) -> Optional[int]: ...
    def assignment(self) -> list[tuple[str, int]]: ...
    def pause(self, partitions: Sequence[tuple[str, int]]) -> None:
        """Stops fetching assigned partitions until `resume` (staying in the group, keeping
        their positions); an unassigned one raises `InvalidArgument` and pauses nothing."""
    def resume(self, partitions: Sequence[tuple[str, int]]) -> None:
        """Fetches paused partitions again from their positions."""
    def paused(self) -> list[tuple[str, int]]: ...
    def subscribe(
        self,
        topics: Sequence[str],
        *,
        on_assign: Optional[RebalanceCallback] = None,
        on_revoke: Optional[RebalanceCallback] = None,
        on_lost: Optional[RebalanceCallback] = None,
    ) -> None:
        """Replaces the subscription; hooks given here replace the constructor's (all three)."""
    def assign(self, partitions: Iterable[AssignedPartition]) -> None:
        """Reads exactly `partitions` without joining a group (Kafka's `assign`; the consumer
        needs no `group_id`, and commits need one). Each starts at the offset given, else where
        it is now, else at the group's committed offset, else per `auto_offset_reset`; an
        unknown topic or partition raises and changes nothing; cannot be mixed with
        `subscribe`."""
    def unassign(self) -> None:
        """Gives up the partitions of `assign`."""
    def events(self) -> ConsumerEvents:
        """The group's events from now on; make it before the first `poll` to see the join."""
    @property
    def member_id(self) -> Optional[str]: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __iter__(self) -> Iterator[Message]: ...
    def __next__(self) -> Message: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

@final
class ConsumerEvent:
    """Something that happened to a group consumer. `kind` says what; the attributes that do
    not apply to it are `None`. `lagged` counts events the stream lost just before this one
    because it fell more than the client's buffer (256 events) behind."""

    @property
    def kind(self) -> ConsumerEventKind: ...
    @property
    def member_id(self) -> Optional[str]:
        """group_join, heartbeat, rebalancing (`None` there when the broker forgot the member)."""
    @property
    def generation_id(self) -> Optional[int]:
        """group_join, heartbeat."""
    @property
    def assignment(self) -> Optional[list[tuple[str, int]]]:
        """group_join: the partitions of the new generation."""
    @property
    def offsets(self) -> Optional[list[TopicPartitionOffset]]:
        """commit_offsets: each the next offset to consume."""
    @property
    def max_poll_interval_ms(self) -> Optional[int]:
        """poll_interval_exceeded."""
    @property
    def lagged(self) -> int: ...

@final
class ConsumerEvents:
    """`Consumer.events()`: a blocking iterator of `ConsumerEvent`s that ends after `stop`."""

    def get(self, timeout: Optional[float] = None) -> Optional[ConsumerEvent]:
        """The next event within `timeout` seconds (`None`: no limit); `None` when none came
        or the stream ended."""
    def __iter__(self) -> Iterator[ConsumerEvent]: ...
    def __next__(self) -> ConsumerEvent: ...

# --- admin ------------------------------------------------------------------------------------

@final
class Admin:
    """Topic and group administration."""

    def __new__(
        cls,
        bootstrap: str = "127.0.0.1:7400",
        *,
        # options(python client): rendered from rustlog::options, see tests/tests/docs_options.rs
        client_id: str = "rustlog-rs",
        request_timeout_ms: int = 30000,
        connect_timeout_ms: int = 10000,
        reconnect_backoff_ms: int = 50,
        reconnect_backoff_max_ms: int = 2000,
        max_in_flight_per_connection: int = 64,
        metadata_max_age_ms: int = 300000,
        # end options
    ) -> Self: ...
    def create_topic(
        self, name: str, partitions: int = 1, config: Optional[Mapping[str, str]] = None
    ) -> TopicCreated: ...
    def delete_topic(self, name: str) -> None: ...
    def list_topics(self) -> list[TopicSummary]: ...
    def describe_topic(self, name: str) -> TopicDescription: ...
    def describe_partition(self, topic: str, partition: int) -> PartitionDescription: ...
    def list_groups(self) -> list[GroupSummary]: ...
    def describe_group(self, group_id: str) -> GroupDescription: ...
    def metrics(self) -> str: ...
    def create_partitions(self, topic: str, partitions: int) -> int:
        """Grows a topic to `partitions` (more than it has); returns the new count."""
    def delete_group(self, group_id: str) -> None:
        """Deletes a group without members, with its committed offsets."""
    def topic_offsets(self, topic: str, at: OffsetEnd = "latest") -> list[PartitionOffset]: ...
    def offsets_for_time(self, topic: str, timestamp_ms: int) -> list[PartitionOffset]: ...
    def group_offsets(self, group_id: str) -> list[CommittedOffset]: ...
    def set_group_offsets(
        self, group_id: str, offsets: Mapping[tuple[str, int], int]
    ) -> None:
        """Commits `{(topic, partition): offset}` for a group without members."""
    def reset_group_offsets(
        self,
        group_id: str,
        topic: str,
        *,
        to: Optional[OffsetEnd] = None,
        to_offset: Optional[int] = None,
        to_timestamp_ms: Optional[int] = None,
        shift_by: Optional[int] = None,
        partitions: Optional[Sequence[int]] = None,
        execute: bool = False,
    ) -> list[OffsetChange]:
        """Plans moving the group's offsets to exactly one target; commits only with
        `execute=True` (a dry run by default)."""
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

# --- embedded broker --------------------------------------------------------------------------

@final
class EmbeddedBroker:
    """A real broker running in this process (for tests and small apps)."""

    def __new__(
        cls,
        data_dir: Union[str, PathLike[str], None] = None,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        metrics_port: Optional[int] = None,
    ) -> Self: ...
    @property
    def bootstrap(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def metrics_address(self) -> Optional[str]: ...
    @property
    def data_dir(self) -> Path: ...
    @property
    def running(self) -> bool: ...
    def stop(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

# --- errors -----------------------------------------------------------------------------------

class RustLogError(Exception):
    """Root of every RustLog error."""

    code: ClassVar[int]
    retriable: ClassVar[bool]

class Unknown(RustLogError):
    """Unexpected server error (code 65535)."""

class OffsetOutOfRange(RustLogError):
    """Offset out of range (code 1)."""

class CorruptRecord(RustLogError):
    """Record batch is corrupt (CRC mismatch or bad compressed data) (code 2)."""

class TopicNotFound(RustLogError):
    """Unknown topic (code 3)."""

class RequestTimedOut(RustLogError, TimeoutError):
    """Request timed out on the broker (code 7)."""

class RecordTooLarge(RustLogError):
    """Record or batch exceeds a size limit (code 10)."""

class OffsetMetadataTooLarge(RustLogError):
    """Offset commit metadata is too large (code 12)."""

class CoordinatorNotAvailable(RustLogError):
    """Group coordinator not available (code 15)."""

class NotCoordinator(RustLogError):
    """Not the group coordinator (code 16)."""

class InvalidTopicName(RustLogError):
    """Invalid topic name (code 17)."""

class InvalidRequiredAcks(RustLogError):
    """Invalid acks (code 21)."""

class IllegalGeneration(RustLogError):
    """Stale group generation (code 22)."""

class InconsistentGroupProtocol(RustLogError):
    """Inconsistent group protocol (code 23)."""

class InvalidGroupId(RustLogError):
    """Invalid group id (code 24)."""

class UnknownMemberId(RustLogError):
    """Unknown group member (code 25)."""

class InvalidSessionTimeout(RustLogError):
    """Invalid session timeout (code 26)."""

class RebalanceInProgress(RustLogError):
    """Group rebalance in progress (code 27)."""

class UnsupportedVersion(RustLogError):
    """Unsupported api version (code 35)."""

class TopicAlreadyExists(RustLogError):
    """Topic already exists (code 36)."""

class InvalidPartitions(RustLogError):
    """Invalid partition count (code 37)."""

class InvalidReplicationFactor(RustLogError):
    """Invalid replication factor (code 38)."""

class InvalidConfig(RustLogError):
    """Invalid config (code 40)."""

class InvalidRequest(RustLogError):
    """Malformed request (code 42)."""

class OutOfOrderSequenceNumber(RustLogError):
    """Out-of-order sequence number (code 45)."""

class InvalidProducerEpoch(RustLogError):
    """Producer epoch is fenced by a newer one (code 47)."""

class StorageError(RustLogError):
    """Storage error; partition is read-only (code 56)."""

class UnknownProducerId(RustLogError):
    """Unknown producer id (code 59)."""

class NonEmptyGroup(RustLogError):
    """The group has members (code 68)."""

class GroupNotFound(RustLogError):
    """Unknown consumer group (code 69)."""

class UnsupportedCompressionType(RustLogError):
    """Unsupported compression type (code 76)."""

class MemberIdRequired(RustLogError):
    """Join again with the member id given (code 79)."""

class GroupMaxSizeReached(RustLogError):
    """The group has its limit of members (code 81)."""

class FencedInstanceId(RustLogError):
    """Static member fenced by a newer one with the same instance id (code 82)."""

class GroupSubscribedToTopic(RustLogError):
    """The group still consumes this topic (code 86)."""

class InvalidRecord(RustLogError):
    """Invalid record batch (code 87)."""

class PartitionNotFound(RustLogError):
    """Unknown partition (code 1000)."""

class UnknownApiKey(RustLogError):
    """Unknown api key (code 1001)."""

class DiskFull(RustLogError):
    """No space left on device (code 1002)."""

class BrokerShuttingDown(RustLogError):
    """Broker is shutting down (code 1003)."""

class TooManyConnections(RustLogError):
    """Too many connections (code 1004)."""

class Throttled(RustLogError):
    """Too many in-flight requests on this connection (code 1005)."""

class Disconnected(RustLogError, ConnectionError):
    """Not connected to the broker (code 2000)."""

class TimedOut(RustLogError, TimeoutError):
    """Timed out (code 2001)."""

class Closed(RustLogError):
    """Client is closed (code 2002)."""

class InvalidArgument(RustLogError):
    """Invalid argument (code 2003)."""

class ProtocolViolation(RustLogError):
    """Broker sent a malformed response (code 2004)."""
