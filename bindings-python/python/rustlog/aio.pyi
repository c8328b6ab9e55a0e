"""Type stubs for `rustlog.aio`, the asyncio twins."""

import abc
import asyncio
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Optional, final

from typing_extensions import Self

from . import (
    Acks,
    AssignedPartition,
    Assignor,
    ConsumerEvent,
    BatchRecord,
    CommittedOffset,
    Compression,
    Data,
    GroupDescription,
    GroupSummary,
    Headers,
    Message,
    OffsetChange,
    OffsetEnd,
    OffsetReset,
    PartitionDescription,
    PartitionOffset,
    RecordMetadata,
    TopicCreated,
    TopicPartitionOffset,
    TopicDescription,
    TopicSummary,
)

__all__ = ["Admin", "Consumer", "ConsumerEvents", "ConsumerRebalanceListener", "Producer"]

class ConsumerRebalanceListener(abc.ABC):
    """Hooks around a rebalance (aiokafka's shape); each method may be a coroutine or a plain
    function and gets the partitions as `(topic, partition)` tuples. An exception in a hook is
    raised by the `poll` (or `close`) that ran it; hooks may not poll."""

    @abc.abstractmethod
    def on_partitions_revoked(self, revoked: list[tuple[str, int]]) -> Any: ...
    @abc.abstractmethod
    def on_partitions_assigned(self, assigned: list[tuple[str, int]]) -> Any: ...
    def on_partitions_lost(self, lost: list[tuple[str, int]]) -> Any:
        """By default `on_partitions_revoked(lost)`."""

@final
class Producer:
    """`await producer.send(...)` queues and gives a future of the metadata;
    `await producer.send_and_wait(...)` gives the metadata once acknowledged."""

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
    async def start(self) -> None: ...
    async def send(
        self,
        topic: str,
        value: Data,
        key: Data = None,
        headers: Headers = None,
        partition: Optional[int] = None,
        timestamp_ms: Optional[int] = None,
    ) -> asyncio.Future[RecordMetadata]:
        """Queues the record; resolves (once queued) to a future of its metadata (aiokafka's
        shape: `fut = await producer.send(...)`, then `meta = await fut`)."""
    async def send_and_wait(
        self,
        topic: str,
        value: Data,
        key: Data = None,
        headers: Headers = None,
        partition: Optional[int] = None,
        timestamp_ms: Optional[int] = None,
    ) -> RecordMetadata:
        """Queues the record and waits for its acknowledgement."""
    async def send_batch(
        self, topic: str, records: Iterable[BatchRecord], partition: Optional[int] = None
    ) -> list[RecordMetadata]: ...
    async def flush(self, timeout: Optional[float] = None) -> None: ...
    async def close(self, timeout: Optional[float] = None) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None: ...

@final
class ConsumerEvents:
    """`rustlog.aio.Consumer.events()`: an async iterator of `ConsumerEvent`s that ends after
    `stop`."""

    async def get(self, timeout: Optional[float] = None) -> Optional[ConsumerEvent]: ...
    def __aiter__(self) -> Self: ...
    async def __anext__(self) -> ConsumerEvent: ...

@final
class Consumer:
    """`async for msg in consumer`; the iteration ends when the consumer is closed."""

    def __new__(
        cls,
        bootstrap: str = "127.0.0.1:7400",
        *,
        group_id: Optional[str] = None,
        topics: Optional[Sequence[str]] = None,
        listener: Optional[ConsumerRebalanceListener] = None,
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
        """`auto_offset_reset`: "latest" (the default, Kafka's), "earliest" or "none", as
        `rustlog.Consumer`."""
    async def start(self) -> None: ...
    async def poll(self, timeout: Optional[float] = None) -> Optional[Message]: ...
    async def poll_batch(
        self, max_messages: int = 500, timeout: Optional[float] = None
    ) -> list[Message]: ...
    async def commit(
        self,
        msg: Optional[Message] = None,
        *,
        offsets: Optional[Sequence[tuple[str, int, int]]] = None,
    ) -> None: ...
    async def committed(self, topic: str, partition: int) -> Optional[int]: ...
    async def get_watermark_offsets(
        self, topic: str, partition: int, timeout: Optional[float] = None
    ) -> tuple[int, int]: ...
    async def offsets_for_times(
        self, partitions: Sequence[tuple[str, int, int]], timeout: Optional[float] = None
    ) -> list[TopicPartitionOffset]: ...
    def seek(self, topic: str, partition: int, offset: int) -> None: ...
    def position(self, topic: str, partition: int) -> Optional[int]: ...
    def subscribe(
        self, topics: Sequence[str], listener: Optional[ConsumerRebalanceListener] = None
    ) -> None:
        """Replaces the subscription; `listener` replaces the constructor's (aiokafka's shape).
        Before the consumer connected both apply when it does."""
    async def assign(self, partitions: Iterable[AssignedPartition]) -> None:
        """Reads exactly `partitions` without joining a group, as `rustlog.Consumer.assign`."""
    def unassign(self) -> None: ...
    def events(self) -> ConsumerEvents:
        """The group's events from now on; made before the consumer connected, it starts with
        its first join."""
    def assignment(self) -> list[tuple[str, int]]: ...
    def pause(self, partitions: Sequence[tuple[str, int]]) -> None:
        """Stops fetching assigned partitions until `resume` (staying in the group, keeping
        their positions); an unassigned one raises `InvalidArgument` and pauses nothing."""
    def resume(self, partitions: Sequence[tuple[str, int]]) -> None:
        """Fetches paused partitions again from their positions."""
    def paused(self) -> list[tuple[str, int]]: ...
    async def close(self) -> None: ...
    def __aiter__(self) -> Self: ...
    async def __anext__(self) -> Message: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

@final
class Admin:
    """Topic and group administration from coroutines."""

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
    async def create_topic(
        self, name: str, partitions: int = 1, config: Optional[Mapping[str, str]] = None
    ) -> TopicCreated: ...
    async def delete_topic(self, name: str) -> None: ...
    async def list_topics(self) -> list[TopicSummary]: ...
    async def describe_topic(self, name: str) -> TopicDescription: ...
    async def describe_partition(self, topic: str, partition: int) -> PartitionDescription: ...
    async def list_groups(self) -> list[GroupSummary]: ...
    async def describe_group(self, group_id: str) -> GroupDescription: ...
    async def metrics(self) -> str: ...
    async def create_partitions(self, topic: str, partitions: int) -> int: ...
    async def delete_group(self, group_id: str) -> None: ...
    async def topic_offsets(
        self, topic: str, at: OffsetEnd = "latest"
    ) -> list[PartitionOffset]: ...
    async def offsets_for_time(self, topic: str, timestamp_ms: int) -> list[PartitionOffset]: ...
    async def group_offsets(self, group_id: str) -> list[CommittedOffset]: ...
    async def set_group_offsets(
        self, group_id: str, offsets: Mapping[tuple[str, int], int]
    ) -> None: ...
    async def reset_group_offsets(
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
    ) -> list[OffsetChange]: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
