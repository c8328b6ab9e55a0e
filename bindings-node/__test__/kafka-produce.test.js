'use strict'
// Scenario: KafkaJS produces with acks 0, 1 and -1 and each codec it has here (none and gzip built
// in, snappy through kafkajs-snappy; lz4 and zstd need native addons, see the README), and a
// KafkaJS consumer reads back the same keys, values, headers and timestamps at offsets 0..n-1.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { CompressionTypes } = require('kafkajs')
const { TEST_TIMEOUT_MS } = require('./helpers.js')
const {
  withKafkaBroker,
  createTopics,
  consumeWithKafkajs,
  sampleMessages,
  assertSameRecord,
  waitFor,
} = require('./kafka-helpers.js')

const CODECS = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy }

async function highWatermark(kafka, topic) {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const [partition] = await admin.fetchTopicOffsets(topic)
    return Number(partition.high)
  } finally {
    await admin.disconnect()
  }
}

/** Sends the sample messages to one topic per codec with `acks`; returns what was sent. */
async function produceEveryCodec(kafka, acks) {
  const topics = Object.keys(CODECS).map((codec) => `acks${acks}-${codec}`)
  await createTopics(kafka, topics.map((topic) => ({ topic, numPartitions: 1 })))
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const sent = {}
  try {
    for (const [codec, compression] of Object.entries(CODECS)) {
      const topic = `acks${acks}-${codec}`
      sent[topic] = sampleMessages()
      const result = await producer.send({ topic, acks, compression, messages: sent[topic] })
      if (acks !== 0) {
        assert.deepEqual(
          result.map(({ topicName, partition, errorCode, baseOffset }) => ({ topicName, partition, errorCode, baseOffset })),
          [{ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' }],
        )
      }
    }
  } finally {
    await producer.disconnect()
  }
  return sent
}

function assertReadBack(received, sent) {
  for (const [topic, messages] of Object.entries(sent)) {
    const got = received.filter((r) => r.topic === topic).map((r) => r.message)
    assert.equal(got.length, messages.length, topic)
    for (const [i, message] of got.entries()) {
      assert.equal(message.offset, String(i), `${topic} offset`)
      assertSameRecord(assert, message, messages[i], `${topic}@${i}`)
    }
  }
}

for (const acks of [0, 1, -1]) {
  test(`acks ${acks}: every codec reads back with the same keys, values, headers, timestamps`, { timeout: TEST_TIMEOUT_MS }, () =>
    withKafkaBroker(async ({ kafka }) => {
      const sent = await produceEveryCodec(kafka, acks)
      const topics = Object.keys(sent)
      if (acks === 0) {
        // No response tells when acks-0 batches are stored: poll the high watermarks.
        for (const topic of topics) {
          await waitFor(`${topic} to hold 5 records`, async () => (await highWatermark(kafka, topic)) === 5)
        }
      }
      const received = await consumeWithKafkajs(kafka, { topics, count: 5 * topics.length })
      assertReadBack(received, sent)
    }))
}

test('several sends and batches in one request keep their order and offsets', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ kafka }) => {
    await createTopics(kafka, [
      { topic: 'multi-a', numPartitions: 2 },
      { topic: 'multi-b', numPartitions: 1 },
    ])
    const producer = kafka.producer()
    await producer.connect()
    const batch = (topic, partition, n) =>
      Array.from({ length: n }, (_, i) => ({ partition, key: `${topic}-${partition}`, value: `${topic}/${partition}/${i}` }))
    const results = await producer.sendBatch({
      topicMessages: [
        { topic: 'multi-a', messages: [...batch('multi-a', 0, 3), ...batch('multi-a', 1, 2)] },
        { topic: 'multi-b', messages: batch('multi-b', 0, 4) },
      ],
    })
    const again = await producer.send({ topic: 'multi-a', messages: batch('multi-a', 1, 1) })
    await producer.disconnect()
    const offsets = results.map((r) => `${r.topicName}/${r.partition}@${r.baseOffset}`).sort()
    assert.deepEqual(offsets, ['multi-a/0@0', 'multi-a/1@0', 'multi-b/0@0'])
    assert.equal(again[0].baseOffset, '2')

    const received = await consumeWithKafkajs(kafka, { topics: ['multi-a', 'multi-b'], count: 10 })
    const byPartition = {}
    for (const { topic, partition, message } of received) {
      ;(byPartition[`${topic}/${partition}`] ??= []).push(`${message.offset}:${message.value}`)
    }
    assert.deepEqual(byPartition, {
      'multi-a/0': ['0:multi-a/0/0', '1:multi-a/0/1', '2:multi-a/0/2'],
      'multi-a/1': ['0:multi-a/1/0', '1:multi-a/1/1', '2:multi-a/1/0'],
      'multi-b/0': ['0:multi-b/0/0', '1:multi-b/0/1', '2:multi-b/0/2', '3:multi-b/0/3'],
    })
  }))
