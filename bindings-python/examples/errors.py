"""Catching RustLog errors by class and by code."""

from __future__ import annotations

import rustlog


def describe(err: rustlog.RustLogError) -> str:
    kind = "retriable" if err.retriable else "permanent"
    return f"{type(err).__name__} (code {err.code}, {kind}): {err}"


if __name__ == "__main__":
    try:
        raise rustlog.TopicNotFound("no such topic 'orders'")
    except rustlog.RustLogError as err:
        print(describe(err))
