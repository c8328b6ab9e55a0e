'use strict'
// KafkaJS, unmodified, against RustLog's Kafka listener: create a topic, produce, consume in a
// group, disconnect. Run a broker (`cargo run --release -p rustlog-broker`), then
//   node examples/kafkajs-quickstart.js [bootstrap, default 127.0.0.1:9092] [topic]
// The same code runs against a Kafka or Redpanda cluster: only `brokers` changes.
// (Run by __test__/kafka-quickstart.test.js, so the README's copy stays true.)

const { Kafka, logLevel } = require('kafkajs')

async function main() {
  const bootstrap = process.argv[2] ?? '127.0.0.1:9092'
  const topic = process.argv[3] ?? 'greetings'
  const kafka = new Kafka({ clientId: 'quickstart', brokers: [bootstrap], logLevel: logLevel.ERROR })

  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
  await admin.disconnect()

  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic,
    messages: [
      { key: 'user-1', value: 'hello', headers: { source: 'quickstart' } },
      { key: 'user-2', value: 'world' },
    ],
  })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: 'quickstart-group' })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let received = 0
  const done = new Promise((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          console.log(`${topic}/${partition}@${message.offset} ${message.key}=${message.value}`)
          if (++received === 2) resolve()
        },
      })
      .catch(reject)
  })
  await done
  await consumer.disconnect()
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
