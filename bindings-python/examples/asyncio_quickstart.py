"""The asyncio twins: await sends, async for over a consumer."""

from __future__ import annotations

import asyncio

import rustlog
import rustlog.aio


async def run(bootstrap: str) -> int:
    async with rustlog.aio.Admin(bootstrap) as admin:
        await admin.create_topic("clicks", partitions=1)
        description: rustlog.TopicDescription = await admin.describe_topic("clicks")
        print("partitions:", [p["partition"] for p in description["partitions"]])

    async with rustlog.aio.Producer(bootstrap) as producer:
        # As aiokafka: `send` queues and gives a future of the metadata; `send_and_wait` waits.
        first = await producer.send_and_wait("clicks", "click 0")
        futures = [await producer.send("clicks", f"click {i}") for i in range(1, 10)]
        metas = await asyncio.gather(*futures)
        print("offsets", first.offset, "to", metas[-1].offset)

    count = 0
    # The clicks were produced before the group existed: start at the oldest ("latest", the
    # default, would wait for new ones).
    async with rustlog.aio.Consumer(
        bootstrap, group_id="stats", topics=["clicks"], auto_offset_reset="earliest"
    ) as consumer:
        async for msg in consumer:
            count += 1
            if count == 10:
                await consumer.commit(msg)
                break
    return count


def main() -> None:
    with rustlog.EmbeddedBroker() as broker:
        print("consumed", asyncio.run(run(broker.bootstrap)))


if __name__ == "__main__":
    main()
