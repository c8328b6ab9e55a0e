"""The Rust side's log events as records of :mod:`logging`, under the ``rustlog`` logger.

The native module queues every event at or above the Rust level and wakes the daemon thread
``rustlog-log`` (:func:`_deliver`), which calls :func:`_emit` per event. The Rust level is the
most detailed one that the most permissive ``rustlog`` logger lets through (:func:`_threshold`);
see ``src/logs.rs`` for the design.

Logger names, from the event's Rust target (its module path):

- ``rustlog::consumer`` (the client crate) -> ``rustlog.consumer``
- ``rustlog_broker::groups::classic`` (the embedded broker) -> ``rustlog.broker.groups.classic``
- ``rustlog_<crate>::...`` -> ``rustlog.<crate>...``, another crate ``<crate>::...`` ->
  ``rustlog.<crate>...``, and this binding (``_native::...``) -> ``rustlog.python...``
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import warnings
from typing import Optional, Union

# The native module has no stubs of its own (rustlog/__init__.pyi types the public API).
from . import _native  # type: ignore[attr-defined]

#: Python's level of Rust's ``trace`` events: below ``logging.DEBUG``, named ``TRACE``.
TRACE: int = _native.TRACE

_ROOT = "rustlog"
_loggers: dict[str, logging.Logger] = {}


def logger_name(target: str) -> str:
    """The Python logger of a Rust target (see the module doc)."""
    crate, _, rest = target.partition("::")
    if crate == "rustlog":
        base = _ROOT
    elif crate.startswith("rustlog_"):
        base = f"{_ROOT}.{crate[len('rustlog_'):]}"
    elif crate == "_native":
        base = f"{_ROOT}.python"
    else:
        base = f"{_ROOT}.{crate}"
    return f"{base}.{rest.replace('::', '.')}" if rest else base


def _emit(level: int, target: str, message: str) -> None:
    """One event as one record (called by the ``rustlog-log`` thread, with the GIL)."""
    logger = _loggers.get(target)
    if logger is None:
        logger = _loggers[target] = logging.getLogger(logger_name(target))
    if logger.isEnabledFor(level):
        # No caller to find: the record's pathname / module is the Rust target, lineno 0.
        logger.handle(logger.makeRecord(logger.name, level, target, 0, message, (), None))


def _threshold() -> int:
    """The lowest level any enabled logger of ``rustlog`` and its children lets through
    (``logging.disable`` included); above ``logging.ERROR`` nothing is forwarded."""
    manager = logging.Logger.manager
    root = logging.getLogger(_ROOT)
    level = logging.CRITICAL + 1 if root.disabled else root.getEffectiveLevel()
    prefix = _ROOT + "."
    for name, logger in list(manager.loggerDict.items()):
        if (
            name.startswith(prefix)
            and isinstance(logger, logging.Logger)
            and not logger.disabled
        ):
            level = min(level, logger.getEffectiveLevel())
    return max(level, manager.disable + 1)


def refresh_log_level() -> None:
    """Forwards Rust events at the level the ``rustlog`` loggers are enabled for now.

    The level is read at import, whenever a ``Producer``, ``Consumer``, ``Admin`` (blocking or
    asyncio) or ``EmbeddedBroker`` is created, and after records were delivered; call this after
    changing the level of a ``rustlog`` logger (or the root logger) while clients run, e.g. after
    ``logging.config.dictConfig``. :func:`set_log_level` sets the level and refreshes."""
    _native._set_log_threshold(_threshold())


def set_log_level(level: Union[int, str]) -> None:
    """``logging.getLogger("rustlog").setLevel(level)``, and the Rust side forwards at it from
    now on. ``level`` is a ``logging`` level (``logging.DEBUG``, ``"INFO"``, ...) or
    :data:`rustlog.TRACE` (``"TRACE"``) for Rust's trace events too."""
    logging.getLogger(_ROOT).setLevel(level)
    refresh_log_level()


#: Set by the ``atexit`` hook: ``rustlog-log`` makes no more records and calls nothing native.
_stopping = False


def _deliver(wakeups: int) -> None:
    """The ``rustlog-log`` thread: waits in ``os.read`` (without the GIL) for queued events and
    makes their records. Everything that may release the GIL (handlers, the unraisable hook)
    runs in Python frames only (see ``src/logs.rs``)."""
    while not _stopping:
        try:
            os.read(wakeups, 4096)
        except OSError:
            return
        while not _stopping:
            batch = _native._take_log_batch()
            if not batch:
                break
            for level, target, message in batch:
                if _stopping:
                    return
                try:
                    _emit(level, target, message)
                except BaseException as exc:  # a handler or filter that raises
                    if _stopping:
                        return
                    _native._unraisable(exc, _emit)
            if not _stopping:
                # Picks up a level raised since, so a flood stops soon after by itself.
                _native._set_log_threshold(_threshold())


_thread: Optional[threading.Thread] = None


def _shutdown() -> None:
    """``atexit``: stops forwarding and gives a record being handled a moment to finish, so
    ``rustlog-log`` is out of native code before the interpreter finalizes."""
    global _stopping
    _stopping = True
    _native._stop_log_bridge()
    if _thread is not None:
        _thread.join(timeout=1.0)


def install() -> None:
    global _thread
    if logging.getLevelName(TRACE) == f"Level {TRACE}":
        logging.addLevelName(TRACE, "TRACE")
    wakeups = _native._install_log_bridge(_threshold)
    _thread = threading.Thread(target=_deliver, args=(wakeups,), name="rustlog-log", daemon=True)
    _thread.start()
    # Registered after logging's own hook, so it runs before that one closes the handlers.
    atexit.register(_shutdown)
    try:
        refresh_log_level()
    except _native.RustLogError as exc:  # another tracing subscriber owns the process
        warnings.warn(f"rustlog: client logs do not reach logging: {exc}", RuntimeWarning, 2)
