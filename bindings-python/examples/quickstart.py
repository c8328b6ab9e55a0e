"""Produce and consume a few records with the blocking API against an embedded broker.

Run: python examples/quickstart.py   (or pass a bootstrap address of a running broker)
"""

from __future__ import annotations

import sys

import rustlog


def run(bootstrap: str) -> list[rustlog.Message]:
    with rustlog.Admin(bootstrap) as admin:
        if "orders" not in [t["name"] for t in admin.list_topics()]:
            created: rustlog.TopicCreated = admin.create_topic("orders", partitions=3)
            print("created", created["name"], "with", created["partitions"], "partitions")

    with rustlog.Producer(bootstrap, linger_ms=2, acks="leader") as producer:
        future = producer.send("orders", b'{"id": 1}', key="user-1", headers={"source": b"shop"})
        meta: rustlog.RecordMetadata = future.result(timeout=10)
        print(f"stored at {meta.topic}/{meta.partition}@{meta.offset}")
        batch = producer.send_batch("orders", [("user-2", b'{"id": 2}'), ("user-3", None)])
        delivered: int = batch.wait(timeout=10)
        print("delivered", delivered, "more")

    seen: list[rustlog.Message] = []
    # auto_offset_reset="earliest": a group without commits starts at the oldest record (the
    # default, Kafka's "latest", would only see records produced after it joined).
    with rustlog.Consumer(
        bootstrap, group_id="billing", topics=["orders"], auto_offset_reset="earliest"
    ) as consumer:
        while len(seen) < 3:
            msg = consumer.poll(timeout=10.0)
            if msg is None:
                break
            seen.append(msg)
            value = msg.value.decode() if msg.value is not None else "<tombstone>"
            print(msg.partition, msg.offset, msg.key, value, dict(msg.headers))
            consumer.commit(msg)
    return seen


def main() -> None:
    if len(sys.argv) > 1:
        run(sys.argv[1])
        return
    with rustlog.EmbeddedBroker() as broker:
        run(broker.bootstrap)


if __name__ == "__main__":
    main()
