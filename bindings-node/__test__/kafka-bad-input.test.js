'use strict'
// Scenario: KafkaJS producing to a topic that does not exist (never created, or deleted after
// KafkaJS cached its metadata) fails with Kafka's UNKNOWN_TOPIC_OR_PARTITION, creates nothing
// (whatever allowAutoTopicCreation says), and producing to the topics that exist still works.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { TEST_TIMEOUT_MS, rejectionOf } = require('./helpers.js')
const { withKafkaBroker, createTopics, kafkajs, errorTypes } = require('./kafka-helpers.js')

/** Few fast retries: the error is not retriable here, only slower to surface. */
const quickRetries = { retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 } }

async function topicNames(kafka) {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return (await admin.listTopics()).sort()
  } finally {
    await admin.disconnect()
  }
}

test('producing to a missing topic fails with UNKNOWN_TOPIC_OR_PARTITION; the producer still works', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ broker }) => {
    const kafka = kafkajs(broker.kafka, 'bad-input', quickRetries)
    await createTopics(kafka, [{ topic: 'exists', numPartitions: 1 }])
    for (const allowAutoTopicCreation of [false, true]) {
      const producer = kafka.producer({ allowAutoTopicCreation })
      await producer.connect()
      try {
        const err = await rejectionOf(producer.send({ topic: 'missing', messages: [{ value: 'lost' }] }))
        assert.deepEqual(new Set(errorTypes(err)), new Set(['UNKNOWN_TOPIC_OR_PARTITION']), `${err.name}: ${err.message}`)
        const [meta] = await producer.send({ topic: 'exists', messages: [{ value: 'kept' }] })
        assert.equal(meta.errorCode, 0)
      } finally {
        await producer.disconnect()
      }
    }
    // No auto-creation, whatever the client asked for.
    assert.deepEqual(await topicNames(kafka), ['exists'])
  }))

test('a Produce for a topic deleted since KafkaJS cached it fails the same way; other topics work', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(
    async ({ proxy, rustlog }) => {
      const kafka = kafkajs(proxy.address, 'deleted-topic', quickRetries)
      await createTopics(kafka, [
        { topic: 'doomed', numPartitions: 1 },
        { topic: 'survivor', numPartitions: 1 },
      ])
      const producer = kafka.producer()
      await producer.connect()
      try {
        await producer.send({ topic: 'doomed', messages: [{ value: 'first' }] })
        const native = rustlog.admin()
        await native.connect()
        await native.deleteTopics({ topics: ['doomed'] })
        await native.disconnect()

        const producesBefore = proxy.produceRequests
        const err = await rejectionOf(producer.send({ topic: 'doomed', messages: [{ value: 'after delete' }] }))
        assert.deepEqual(new Set(errorTypes(err)), new Set(['UNKNOWN_TOPIC_OR_PARTITION']), `${err.name}: ${err.message}`)
        assert.ok(proxy.produceRequests > producesBefore, 'the Produce itself reached the broker (cached metadata)')
      } finally {
        await producer.disconnect()
      }
      // KafkaJS keeps a topic it once produced to among the topics every metadata refresh of
      // that producer asks for (with Kafka too), so the check for other topics uses a new one.
      const other = kafka.producer()
      await other.connect()
      const [meta] = await other.send({ topic: 'survivor', messages: [{ value: 'still fine' }] })
      await other.disconnect()
      assert.deepEqual([meta.errorCode, meta.baseOffset], [0, '0'])
      assert.deepEqual(await topicNames(kafka), ['survivor'])
    },
    { proxy: true },
  ))
