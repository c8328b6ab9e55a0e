"""Ctrl-C (SIGINT) interrupts blocking calls: they wait without the GIL in short slices and run
Python's signal handlers between slices."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import rustlog
from conftest import unique

# Far below the 30 s the call would otherwise block; generous for a loaded machine.
INTERRUPT_WITHIN_S = 10.0


def interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_keyboard_interrupt_stops_a_blocking_poll(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        assert consumer.poll(timeout=0.5) is None  # joined, nothing to read
        timer = interrupt_after(0.5)
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            consumer.poll(timeout=30)
        assert time.monotonic() - started < INTERRUPT_WITHIN_S
        timer.join()
        # The consumer still works after the interrupted call.
        with rustlog.Producer(broker.bootstrap) as producer:
            producer.send(topic, b"after").result(timeout=10)
        msg = consumer.poll(timeout=10)
        assert msg is not None and msg.value == b"after"


def test_keyboard_interrupt_stops_a_blocking_iteration(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        timer = interrupt_after(0.5)
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            for _ in consumer:
                pass
        assert time.monotonic() - started < INTERRUPT_WITHIN_S
        timer.join()


def test_other_threads_run_while_a_call_blocks(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    """The GIL is released during the wait: a Python thread makes progress meanwhile."""
    ticks = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        consumer.poll(timeout=0.2)
        worker = threading.Thread(target=spin)
        worker.start()
        before = ticks
        consumer.poll(timeout=1.0)
        during = ticks - before
        stop.set()
        worker.join()
    assert during > 1000
