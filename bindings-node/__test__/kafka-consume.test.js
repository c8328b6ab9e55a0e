'use strict'
// Scenario: KafkaJS consumers start where they are told: the beginning, the latest offset (only
// records produced after they joined), a seek to an offset, and an offset found by timestamp
// (admin.fetchTopicOffsetsByTimestamp, i.e. ListOffsets with a timestamp).

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { TEST_TIMEOUT_MS } = require('./helpers.js')
const { withKafkaBroker, createTopics, consumeWithKafkajs, waitFor } = require('./kafka-helpers.js')

const TIMESTAMP_BASE_MS = 1_700_000_000_000

/** Sends values `from..to-1` to partition 0 of `topic`, value `m<i>` created at BASE + 1000 i. */
async function produce(kafka, topic, from, to) {
  const producer = kafka.producer()
  await producer.connect()
  const messages = []
  for (let i = from; i < to; i++) messages.push({ value: `m${i}`, timestamp: String(TIMESTAMP_BASE_MS + 1000 * i) })
  await producer.send({ topic, messages })
  await producer.disconnect()
}

/** A running consumer of `topic` that collects `offset:value` strings, and how to stop it. */
async function startConsumer(kafka, topic, { fromBeginning, seekTo } = {}) {
  const consumer = kafka.consumer({ groupId: `consume-${topic}`, maxWaitTimeInMs: 100 })
  const seen = []
  let fetches = 0
  consumer.on(consumer.events.FETCH, () => fetches++)
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning })
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push(`${message.offset}:${message.value}`)
    },
  })
  if (seekTo !== undefined) consumer.seek({ topic, partition: 0, offset: seekTo })
  return { consumer, seen, fetches: () => fetches }
}

const expected = (from, to) => Array.from({ length: to - from }, (_, i) => `${from + i}:m${from + i}`)

test('fromBeginning reads every record from offset 0', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ kafka }) => {
    await createTopics(kafka, [{ topic: 'begin', numPartitions: 1 }])
    await produce(kafka, 'begin', 0, 5)
    const received = await consumeWithKafkajs(kafka, { topics: ['begin'], count: 5, fromBeginning: true })
    assert.deepEqual(received.map(({ message }) => `${message.offset}:${message.value}`), expected(0, 5))
  }))

test('a new group without fromBeginning starts at the latest offset', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ kafka }) => {
    await createTopics(kafka, [{ topic: 'latest', numPartitions: 1 }])
    await produce(kafka, 'latest', 0, 3)
    const { consumer, seen, fetches } = await startConsumer(kafka, 'latest', { fromBeginning: false })
    try {
      // A completed fetch means the start offset (the latest) has been resolved.
      await waitFor('a first fetch', () => fetches() > 0)
      await produce(kafka, 'latest', 3, 5)
      await waitFor('two new records', () => seen.length >= 2)
      assert.deepEqual(seen, expected(3, 5))
    } finally {
      await consumer.disconnect()
    }
  }))

test('seek moves a running consumer to an offset', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ kafka }) => {
    await createTopics(kafka, [{ topic: 'seek', numPartitions: 1 }])
    await produce(kafka, 'seek', 0, 6)
    const { consumer, seen } = await startConsumer(kafka, 'seek', { fromBeginning: true, seekTo: '4' })
    try {
      await waitFor('records from offset 4', () => seen.length >= 2)
      assert.deepEqual(seen, expected(4, 6))
    } finally {
      await consumer.disconnect()
    }
  }))

test('fetchTopicOffsetsByTimestamp finds the first record at or after a time; seek reads from it', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ kafka }) => {
    await createTopics(kafka, [{ topic: 'by-time', numPartitions: 1 }])
    await produce(kafka, 'by-time', 0, 5)
    const admin = kafka.admin()
    await admin.connect()
    const at = async (timestamp) => (await admin.fetchTopicOffsetsByTimestamp('by-time', timestamp))[0]
    let fromTime
    try {
      assert.deepEqual(await at(TIMESTAMP_BASE_MS + 2000), { partition: 0, offset: '2' })
      fromTime = await at(TIMESTAMP_BASE_MS + 2500)
      assert.deepEqual(fromTime, { partition: 0, offset: '3' })
      assert.deepEqual(await at(0), { partition: 0, offset: '0' })
      // After the last record: Kafka answers -1, which KafkaJS turns into the high watermark.
      assert.deepEqual(await at(TIMESTAMP_BASE_MS + 10_000), { partition: 0, offset: '5' })
    } finally {
      await admin.disconnect()
    }
    const { consumer, seen } = await startConsumer(kafka, 'by-time', { fromBeginning: true, seekTo: fromTime.offset })
    try {
      await waitFor('records from the timestamp', () => seen.length >= 2)
      assert.deepEqual(seen, expected(3, 5))
    } finally {
      await consumer.disconnect()
    }
  }))
