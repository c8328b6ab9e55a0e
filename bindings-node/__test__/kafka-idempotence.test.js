'use strict'
// Scenario: an idempotent KafkaJS producer (one request in flight) loses the response of a
// Produce the broker has stored: the proxy drops the connection after forwarding the request and
// before its answer. KafkaJS retries the same batch (same producer id, epoch, sequence) and the
// broker stores it once: every record exactly once, offsets without a gap.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { TEST_TIMEOUT_MS } = require('./helpers.js')
const { withKafkaBroker, createTopics, consumeWithRustlog } = require('./kafka-helpers.js')

const API_KEY_INIT_PRODUCER_ID = 22

const values = (batch) => Array.from({ length: 3 }, (_, i) => `batch${batch}-${i}`)

async function highWatermark(kafka, topic) {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const [partition] = await admin.fetchTopicOffsets(topic)
    return partition.high
  } finally {
    await admin.disconnect()
  }
}

test('a Produce whose response was lost is retried by KafkaJS and stored exactly once', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(
    async ({ kafka, rustlog, proxy }) => {
      await createTopics(kafka, [{ topic: 'exactly-once', numPartitions: 1 }])
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
      await producer.connect()
      const send = (batch) =>
        producer.send({ topic: 'exactly-once', messages: values(batch).map((value) => ({ key: 'k', value })) })
      const offsets = []
      try {
        offsets.push((await send(0))[0].baseOffset)
        const producesBefore = proxy.produceRequests
        proxy.dropNextProduceResponse()
        offsets.push((await send(1))[0].baseOffset)
        assert.equal(proxy.drops, 1, 'the proxy dropped one response')
        assert.equal(proxy.produceRequests - producesBefore, 2, 'KafkaJS sent the lost batch again')
        offsets.push((await send(2))[0].baseOffset)
      } finally {
        await producer.disconnect()
      }
      assert.equal(proxy.count(API_KEY_INIT_PRODUCER_ID), 1, 'one producer id for the whole run')
      // The retry was answered with the batch's original base offset, not a new one.
      assert.deepEqual(offsets, ['0', '3', '6'])
      assert.equal(await highWatermark(kafka, 'exactly-once'), '9')

      const stored = await consumeWithRustlog(rustlog, 'exactly-once', 9)
      assert.deepEqual(
        stored.map((m) => `${m.offset}:${m.value}`),
        [0, 1, 2].flatMap(values).map((value, i) => `${i}:${value}`),
      )
    },
    { proxy: true },
  ))
