"""confluent-kafka, unmodified, against RustLog's Kafka listener: create a topic, produce with
idempotence and zstd, consume in a group, commit. Run a broker
(`cargo run --release -p rustlog-broker`), then

    python confluent_quickstart.py [bootstrap, default 127.0.0.1:9092] [topic] [group]

The same code runs against a Kafka or Redpanda cluster: only `bootstrap.servers` changes.
(Run by tests/test_kafka_quickstart.py, so the README's copy stays true.)
"""

import sys

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9092"
topic = sys.argv[2] if len(sys.argv) > 2 else "greetings"
group = sys.argv[3] if len(sys.argv) > 3 else "greeters"

conf = {"bootstrap.servers": bootstrap}
admin = AdminClient(conf)  # kept alive until the create finishes
admin.create_topics([NewTopic(topic, num_partitions=2)])[topic].result()

producer = Producer({**conf, "enable.idempotence": True, "compression.type": "zstd"})
producer.produce(topic, key=b"user-1", value=b"hello", headers=[("source", b"readme")])
producer.flush()

consumer = Consumer({**conf, "group.id": group, "auto.offset.reset": "earliest"})
consumer.subscribe([topic])
msg = consumer.poll(10.0)
while msg is not None and msg.error() is not None:  # e.g. a partition EOF event
    msg = consumer.poll(10.0)
if msg is None:
    sys.exit("no record within 10 s")
print(msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value())
consumer.commit(msg, asynchronous=False)  # committed offsets survive a broker restart
consumer.close()
