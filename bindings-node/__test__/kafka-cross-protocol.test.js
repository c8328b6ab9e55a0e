'use strict'
// Scenario: one topic, two protocols. Records KafkaJS produced through the Kafka listener are
// read by RustLog's Node SDK over the native listener with the same offsets, keys, values,
// headers and timestamps, and records the Node SDK produced are read the same way by KafkaJS;
// each with every codec both sides have (none, gzip, snappy), so each side decodes the other's
// compressed batches.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { CompressionTypes } = require('kafkajs')
const { TEST_TIMEOUT_MS, createTopic } = require('./helpers.js')
const {
  withKafkaBroker,
  createTopics,
  consumeWithKafkajs,
  consumeWithRustlog,
  sampleMessages,
  assertSameRecord,
} = require('./kafka-helpers.js')

const CODECS = ['none', 'gzip', 'snappy']
const KAFKAJS_CODEC = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy }

/** Per codec: topic `${prefix}-${codec}` with two partitions, the samples on partition 1. */
const topicOf = (prefix, codec) => `${prefix}-${codec}`

test('KafkaJS-produced records are read by the Node SDK with the same offsets, keys, headers, timestamps', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ kafka, rustlog }) => {
    await createTopics(kafka, CODECS.map((codec) => ({ topic: topicOf('k2n', codec), numPartitions: 2 })))
    const producer = kafka.producer()
    await producer.connect()
    const sent = {}
    for (const codec of CODECS) {
      const topic = topicOf('k2n', codec)
      sent[topic] = sampleMessages().map((m) => ({ ...m, partition: 1 }))
      const [meta] = await producer.send({ topic, compression: KAFKAJS_CODEC[codec], messages: sent[topic] })
      assert.equal(meta.partition, 1)
    }
    await producer.disconnect()

    for (const [topic, messages] of Object.entries(sent)) {
      const received = await consumeWithRustlog(rustlog, topic, messages.length)
      for (const [i, message] of received.entries()) {
        assert.equal(message.topic, topic)
        assert.equal(message.partition, 1)
        assert.equal(message.offset, BigInt(i))
        assert.equal(typeof message.timestamp, 'bigint')
        assertSameRecord(assert, message, messages[i], `${topic}@${i}`)
      }
    }
  }))

test('Node SDK-produced records are read by KafkaJS with the same offsets, keys, headers, timestamps', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ kafka, rustlog }) => {
    const sent = {}
    for (const codec of CODECS) {
      const topic = topicOf('n2k', codec)
      await createTopic(rustlog, topic, 2)
      const producer = rustlog.producer({ compression: codec })
      await producer.connect()
      // A null header value too: the Node SDK sends it, Kafka tells it apart from an empty one.
      sent[topic] = sampleMessages().map((m, i) => ({
        ...m,
        partition: 1,
        headers: i === 2 ? { parent: null, empty: '' } : m.headers,
      }))
      const results = await producer.send({ topic, messages: sent[topic] })
      assert.deepEqual(
        results.map((r) => [r.partition, r.offset, String(r.timestamp)]),
        sent[topic].map((m, i) => [1, BigInt(i), m.timestamp]),
      )
      await producer.disconnect()
    }

    const topics = Object.keys(sent)
    const received = await consumeWithKafkajs(kafka, { topics, count: 5 * topics.length })
    for (const [topic, messages] of Object.entries(sent)) {
      const got = received.filter((r) => r.topic === topic)
      assert.equal(got.length, messages.length, topic)
      for (const [i, { partition, message }] of got.entries()) {
        assert.equal(partition, 1)
        assert.equal(message.offset, String(i))
        assertSameRecord(assert, message, messages[i], `${topic}@${i}`)
      }
    }
  }))
