"""The Rust client's log events reach Python's logging under `rustlog`, through a real broker:
a consumer evicted for not polling logs a WARNING on `rustlog.consumer`; DEBUG records come and
go with the level; nothing crosses at ERROR; a raising handler and interpreter shutdown while
client threads log neither crash nor hang the process."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import rustlog
from conftest import unique
from rustlog import _log_bridge, _native

FAST = {"session_timeout_ms": 1500, "rebalance_timeout_ms": 5000, "fetch_max_wait_ms": 100}
EVICTED = "no poll within max_poll_interval_ms"


@pytest.fixture(autouse=True)
def restore_levels() -> Iterator[None]:
    """Every `rustlog` logger's level back as it was, and the Rust level with it."""
    manager = logging.Logger.manager
    saved = {
        name: logger.level
        for name, logger in manager.loggerDict.items()
        if (name == "rustlog" or name.startswith("rustlog.")) and isinstance(logger, logging.Logger)
    }
    yield
    for name, logger in list(manager.loggerDict.items()):
        if (name == "rustlog" or name.startswith("rustlog.")) and isinstance(logger, logging.Logger):
            logger.setLevel(saved.get(name, logging.NOTSET))
    rustlog.refresh_log_level()


def rustlog_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "rustlog" or r.name.startswith("rustlog.")]


def wait_for(
    caplog: pytest.LogCaptureFixture, match: Callable[[logging.LogRecord], bool], seconds: float = 10
) -> logging.LogRecord:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for record in rustlog_records(caplog):
            if match(record):
                return record
        time.sleep(0.05)
    raise AssertionError(f"no such record; got {[r.getMessage() for r in rustlog_records(caplog)]}")


def evict_one(broker: rustlog.EmbeddedBroker, admin: rustlog.Admin) -> None:
    """A consumer that stops polling for longer than max_poll_interval_ms leaves its group."""
    name = unique("evict")
    admin.create_topic(name, partitions=1)
    consumer = rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[name], max_poll_interval_ms=700, **FAST
    )
    try:
        deadline = time.monotonic() + 20
        while not consumer.assignment():
            assert time.monotonic() < deadline, "never joined"
            consumer.poll(timeout=0.1)
        while consumer.assignment():  # the handler "hangs"
            assert time.monotonic() < deadline, "never evicted"
            time.sleep(0.1)
    finally:
        consumer.close()


def joined(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    """A consumer that joins a group (the client logs "joined group" at debug) and leaves."""
    with rustlog.Consumer(broker.bootstrap, group_id=unique("g"), topics=[topic], **FAST) as c:
        deadline = time.monotonic() + 20
        while not c.assignment():
            assert time.monotonic() < deadline, "never joined"
            c.poll(timeout=0.1)


def test_logger_names_follow_the_rust_module_path() -> None:
    assert _log_bridge.logger_name("rustlog") == "rustlog"
    assert _log_bridge.logger_name("rustlog::consumer") == "rustlog.consumer"
    assert _log_bridge.logger_name("rustlog::blocking") == "rustlog.blocking"
    assert _log_bridge.logger_name("rustlog_broker::groups::classic") == (
        "rustlog.broker.groups.classic"
    )
    assert _log_bridge.logger_name("rustlog_protocol::codec") == "rustlog.protocol.codec"
    assert _log_bridge.logger_name("_native::logs") == "rustlog.python.logs"
    assert _log_bridge.logger_name("tokio::runtime") == "rustlog.tokio.runtime"
    assert rustlog.TRACE == 5 and logging.getLevelName(rustlog.TRACE) == "TRACE"


def test_the_rust_level_follows_the_rustlog_loggers() -> None:
    rustlog.set_log_level(logging.WARNING)
    assert _native._forwarded_log_level() == "warn"
    rustlog.set_log_level("DEBUG")
    assert _native._forwarded_log_level() == "debug"
    rustlog.set_log_level(rustlog.TRACE)
    assert _native._forwarded_log_level() == "trace"
    rustlog.set_log_level(logging.INFO + 5)  # a custom level between INFO and WARNING
    assert _native._forwarded_log_level() == "warn"
    rustlog.set_log_level(logging.CRITICAL)
    assert _native._forwarded_log_level() is None
    # A child set lower than `rustlog` lowers what crosses (its records still reach it).
    logging.getLogger("rustlog.consumer").setLevel(logging.INFO)
    rustlog.refresh_log_level()
    assert _native._forwarded_log_level() == "info"
    # Creating a client reads the levels again (also one whose options are refused).
    logging.getLogger("rustlog.consumer").setLevel(logging.NOTSET)
    logging.getLogger("rustlog").setLevel(logging.ERROR)
    with pytest.raises(rustlog.InvalidArgument):
        rustlog.Producer("127.0.0.1:1", batch_bytes=0)
    assert _native._forwarded_log_level() == "error"


def test_an_evicted_consumer_logs_a_warning_on_rustlog_consumer(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin, caplog: pytest.LogCaptureFixture
) -> None:
    rustlog.set_log_level(logging.WARNING)
    evict_one(broker, admin)
    record = wait_for(caplog, lambda r: EVICTED in r.getMessage())
    assert record.name == "rustlog.consumer"
    assert record.levelno == logging.WARNING and record.levelname == "WARNING"
    assert "max_poll_interval_ms=700" in record.getMessage(), record.getMessage()
    assert record.pathname == "rustlog::consumer" and record.threadName == "rustlog-log"


def test_debug_records_come_with_the_level_and_go_with_it(
    broker: rustlog.EmbeddedBroker, topic: str, caplog: pytest.LogCaptureFixture
) -> None:
    rustlog.set_log_level(logging.WARNING)
    joined(broker, topic)
    time.sleep(0.5)
    assert [r for r in rustlog_records(caplog) if r.levelno < logging.WARNING] == []

    rustlog.set_log_level(logging.DEBUG)
    joined(broker, topic)
    record = wait_for(caplog, lambda r: r.getMessage().startswith("joined group"))
    assert record.name == "rustlog.consumer" and record.levelno == logging.DEBUG
    # The embedded broker logs through the same bridge, under rustlog.broker.
    wait_for(caplog, lambda r: r.name.startswith("rustlog.broker."))

    rustlog.set_log_level(logging.WARNING)
    caplog.clear()
    joined(broker, topic)
    time.sleep(0.5)
    assert [r for r in rustlog_records(caplog) if r.levelno < logging.WARNING] == []


def test_nothing_crosses_at_error(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin, caplog: pytest.LogCaptureFixture
) -> None:
    rustlog.set_log_level(logging.ERROR)
    assert _native._forwarded_log_level() == "error"
    evict_one(broker, admin)
    time.sleep(0.5)
    assert rustlog_records(caplog) == []


def test_a_handler_that_raises_goes_to_the_unraisable_hook_and_logging_goes_on(
    broker: rustlog.EmbeddedBroker,
    topic: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Boom(Exception):
        pass

    class Raising(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            raise Boom(record.getMessage())

    seen: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    raising = Raising()
    logger = logging.getLogger("rustlog")
    logger.addHandler(raising)
    try:
        rustlog.set_log_level(logging.DEBUG)
        joined(broker, topic)
        deadline = time.monotonic() + 10
        while not seen:
            assert time.monotonic() < deadline, "the handler's exception went nowhere"
            time.sleep(0.05)
        assert isinstance(seen[0].exc_value, Boom)
    finally:
        logger.removeHandler(raising)
    # The thread that delivers records survived.
    caplog.clear()
    joined(broker, topic)
    wait_for(caplog, lambda r: r.getMessage().startswith("joined group"))


SHUTDOWN_SCRIPT = textwrap.dedent(
    """
    import logging, sys, time
    import rustlog

    BLOCK_AT_EXIT = {block}
    exiting = False

    class Slow(logging.Handler):
        def createLock(self):
            # No lock, so logging's own atexit hook does not wait for a blocked emit either:
            # the emit is still sleeping when the interpreter finalizes.
            self.lock = None

        def emit(self, record):
            time.sleep(BLOCK_AT_EXIT if exiting and BLOCK_AT_EXIT else 0.02)
            sys.stderr.write("record " + record.name + "\\n")

    logging.getLogger("rustlog").addHandler(Slow())
    rustlog.set_log_level(rustlog.TRACE)
    broker = rustlog.EmbeddedBroker()
    with rustlog.Admin(broker.bootstrap) as admin:
        admin.create_topic("t", partitions=2)
    consumers = [
        rustlog.Consumer(broker.bootstrap, group_id=f"g{i}", topics=["t"], session_timeout_ms=1500,
                         request_timeout_ms=500, connect_timeout_ms=300)
        for i in range(3)
    ]
    for c in consumers:
        while not c.assignment():
            c.poll(timeout=0.1)
    broker.stop()  # the consumers' heartbeats fail and reconnect from now on, logging each time
    time.sleep({wait})
    exiting = True
    if BLOCK_AT_EXIT:
        time.sleep(0.5)  # a record is in the handler, blocked, when the interpreter exits
    print("exiting", time.monotonic(), flush=True)
    # Falls off the end with the consumers open: client threads log while Python finalizes.
    """
)


@pytest.mark.parametrize(
    "wait, block", [(0.0, 0), (0.3, 0), (1.0, 0), (0.3, 5)], ids=["0", "0.3", "1", "blocked"]
)
def test_interpreter_shutdown_while_client_threads_log_neither_crashes_nor_hangs(
    wait: float, block: int
) -> None:
    script = SHUTDOWN_SCRIPT.replace("{wait}", str(wait)).replace("{block}", str(block))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=45
    )
    ended = time.monotonic()  # system-wide on Linux and macOS, as in the child
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "exiting" in done.stdout
    exit_took = ended - float(done.stdout.split("exiting", 1)[1].split()[0])
    assert "record rustlog" in done.stderr, done.stderr[-3000:]
    for bad in ("Fatal Python error", "FATAL", "panicked", "Traceback", "Segmentation"):
        assert bad not in done.stderr, done.stderr[-3000:]
    # A handler blocked at exit holds the exit up for the atexit hook's 1 s, not for its 5 s
    # (a handler with a lock would hold it up longer: logging's own atexit hook takes the lock).
    assert exit_took < (3.5 if block else 20), exit_took
