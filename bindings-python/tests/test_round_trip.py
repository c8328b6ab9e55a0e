"""Produce/consume round trips: keys, headers, None values, binary values, str values."""

from __future__ import annotations

import gc

import rustlog
from conftest import unique


def consume(bootstrap: str, topic: str, count: int) -> list[rustlog.Message]:
    out: list[rustlog.Message] = []
    with rustlog.Consumer(
        bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        while len(out) < count:
            msg = consumer.poll(timeout=10)
            assert msg is not None, f"only {len(out)} of {count} messages arrived"
            out.append(msg)
    return out


def test_keys_headers_none_and_binary_values_round_trip(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    binary = bytes(range(256)) * 4
    with rustlog.Producer(broker.bootstrap, linger_ms=1) as producer:
        assert repr(producer) == f'Producer(bootstrap="{broker.bootstrap}", closed=False)'
        futures = [
            producer.send(topic, b"plain"),
            producer.send(topic, "text \u00e9", key="user-1"),
            producer.send(topic, None, key=b"tombstone-key"),
            producer.send(topic, binary, key=b"\x00\xff", headers={"trace": b"abc", "n": "1"}),
            producer.send(topic, b"pairs", headers=[("a", b"1"), ("a", b"2")]),
        ]
        metas = [f.result(timeout=10) for f in futures]
    assert [m.offset for m in metas] == [0, 1, 2, 3, 4]
    assert all(m.topic == topic and m.partition == 0 for m in metas)
    assert all(m.timestamp > 0 for m in metas)

    got = consume(broker.bootstrap, topic, 5)
    assert [m.value for m in got] == [b"plain", "text \u00e9".encode(), None, binary, b"pairs"]
    assert [m.key for m in got] == [None, b"user-1", b"tombstone-key", b"\x00\xff", None]
    assert got[3].headers == [("trace", b"abc"), ("n", b"1")]
    assert got[4].headers == [("a", b"1"), ("a", b"2")]
    assert got[0].headers == []
    assert [m.offset for m in got] == [0, 1, 2, 3, 4]
    assert got[1].timestamp == metas[1].timestamp


def test_send_batch_queues_many_records_in_one_call(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    with rustlog.Producer(broker.bootstrap) as producer:
        batch = producer.send_batch(
            topic,
            [b"v0", ("k1", b"v1"), (b"k2", None, {"h": b"x"}), "v3"],
        )
        assert len(batch) == 4
        metas = batch.result(timeout=10)
        assert batch.done()
        assert [m.offset for m in metas] == [0, 1, 2, 3]
        assert producer.send_batch(topic, [b"x"] * 1000).wait(timeout=10) == 1000
    got = consume(broker.bootstrap, topic, 1004)
    assert got[1].key == b"k1"
    assert got[2].value is None and got[2].headers == [("h", b"x")]
    assert got[3].value == b"v3"
    assert got[-1].offset == 1003


def test_poll_batch_messages_stay_out_of_the_cycle_collector(
    broker: rustlog.EmbeddedBroker, topic: str
) -> None:
    # Batches are large; tracked messages made every collection walk all of them.
    with rustlog.Producer(broker.bootstrap) as producer:
        sent = [f"value-{i}".encode() for i in range(2000)]
        assert producer.send_batch(topic, sent).wait(timeout=10) == len(sent)
    got: list[rustlog.Message] = []
    with rustlog.Consumer(
        broker.bootstrap, group_id=unique("g"), topics=[topic], auto_offset_reset="earliest"
    ) as consumer:
        while len(got) < len(sent):
            batch = consumer.poll_batch(5000, timeout=10)
            assert batch, f"only {len(got)} of {len(sent)} messages arrived"
            got.extend(batch)
    assert not any(gc.is_tracked(m) for m in got)
    gc.collect()
    assert [m.value for m in got] == sent
    assert [m.offset for m in got] == list(range(len(sent)))
    del got
    gc.collect()


def test_partition_and_timestamp_are_honoured(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    name = unique("p")
    admin.create_topic(name, partitions=3)
    with rustlog.Producer(broker.bootstrap) as producer:
        meta = producer.send(name, b"v", partition=2, timestamp_ms=1_700_000_000_000).result(10)
    assert meta.partition == 2
    assert meta.timestamp == 1_700_000_000_000
    got = consume(broker.bootstrap, name, 1)
    assert (got[0].partition, got[0].timestamp) == (2, 1_700_000_000_000)


def test_same_key_goes_to_same_partition(
    broker: rustlog.EmbeddedBroker, admin: rustlog.Admin
) -> None:
    name = unique("k")
    admin.create_topic(name, partitions=4)
    with rustlog.Producer(broker.bootstrap) as producer:
        parts = {producer.send(name, b"v", key="same").result(10).partition for _ in range(20)}
    assert len(parts) == 1


def test_bad_argument_types_raise_type_error(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    import pytest

    with rustlog.Producer(broker.bootstrap) as producer:
        with pytest.raises(TypeError, match="value must be bytes, str or None"):
            producer.send(topic, 42)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="headers"):
            producer.send(topic, b"v", headers=[1, 2])  # type: ignore[list-item]
        with pytest.raises(TypeError, match="record 1"):
            producer.send_batch(topic, [b"ok", 3.5])  # type: ignore[list-item]
        with pytest.raises(ValueError, match="timeout"):
            producer.flush(timeout=-1)


def test_one_producer_shared_by_threads(broker: rustlog.EmbeddedBroker, topic: str) -> None:
    import threading

    per_thread = 500
    offsets: list[int] = []
    lock = threading.Lock()
    with rustlog.Producer(broker.bootstrap, acks=1) as producer:

        def worker(index: int) -> None:
            futures = [producer.send(topic, f"{index}-{i}") for i in range(per_thread)]
            got = [f.result(timeout=20).offset for f in futures]
            with lock:
                offsets.extend(got)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert sorted(offsets) == list(range(4 * per_thread))
