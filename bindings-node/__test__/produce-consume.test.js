'use strict'
// Scenario: produce with every key/value/header flavour, read it back with the eachMessage loop
// and with the async iterator.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { TEST_TIMEOUT_MS, withBroker, createTopic, take } = require('./helpers.js')

const MESSAGES = [
  { key: 'k-string', value: 'v-string', headers: { source: 'test', bin: Buffer.from([0, 1, 2]) } },
  { key: Buffer.from([0xde, 0xad]), value: Buffer.from([0xbe, 0xef, 0x00]) },
  { key: null, value: 'no key' },
  { key: 'tombstone', value: null },
  { value: 'ünïcødé ✓' },
]

function checkReceived(received) {
  assert.equal(received.length, MESSAGES.length)
  for (const [i, m] of received.entries()) {
    assert.equal(m.offset, BigInt(i))
    assert.equal(typeof m.timestamp, 'bigint')
    assert.equal(m.topic, 'letters')
    assert.equal(m.partition, 0)
  }
  assert.deepEqual(received[0].key, Buffer.from('k-string'))
  assert.deepEqual(received[0].value, Buffer.from('v-string'))
  assert.deepEqual(received[0].headers, { source: Buffer.from('test'), bin: Buffer.from([0, 1, 2]) })
  assert.ok(Buffer.isBuffer(received[1].key))
  assert.deepEqual(received[1].key, Buffer.from([0xde, 0xad]))
  assert.deepEqual(received[1].value, Buffer.from([0xbe, 0xef, 0x00]))
  assert.deepEqual(received[1].headers, {})
  assert.equal(received[2].key, null)
  assert.equal(received[2].value.toString(), 'no key')
  assert.equal(received[3].value, null)
  assert.equal(received[4].key, null)
  assert.equal(received[4].value.toString('utf8'), 'ünïcødé ✓')
}

test('send resolves to one { topic, partition, offset, timestamp } per message', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'letters')
    const producer = client.producer({ lingerMs: 1 })
    await producer.connect()
    const before = BigInt(Date.now())
    const results = await producer.send({ topic: 'letters', messages: MESSAGES })
    assert.equal(results.length, MESSAGES.length)
    for (const [i, r] of results.entries()) {
      assert.deepEqual(Object.keys(r).sort(), ['offset', 'partition', 'timestamp', 'topic'])
      assert.equal(r.topic, 'letters')
      assert.equal(r.partition, 0)
      assert.equal(r.offset, BigInt(i))
      assert.equal(typeof r.timestamp, 'bigint')
      assert.ok(r.timestamp >= before - 1000n, `timestamp ${r.timestamp} is a unix time in ms`)
    }
    const more = await producer.send({ topic: 'letters', messages: [{ value: 'next' }] })
    assert.equal(more[0].offset, BigInt(MESSAGES.length))
    assert.deepEqual(await producer.send({ topic: 'letters', messages: [] }), [])
    await producer.flush()
    await producer.disconnect()
  }))

test('eachMessage receives every message with Buffer | null keys, values and headers', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'letters')
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic: 'letters', messages: MESSAGES })
    await producer.disconnect()

    const consumer = client.consumer({ groupId: 'each-message' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['letters'], fromBeginning: true })
    const received = []
    let resolveAll
    const all = new Promise((resolve) => (resolveAll = resolve))
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        assert.equal(topic, 'letters')
        assert.equal(partition, 0)
        received.push(message)
        if (received.length === MESSAGES.length) resolveAll()
      },
    })
    await all
    await consumer.stop()
    await consumer.disconnect()
    checkReceived(received)
  }))

test('for await over the consumer yields the messages in order', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'letters')
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic: 'letters', messages: MESSAGES })
    await producer.disconnect()

    const consumer = client.consumer({ groupId: 'iterator' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['letters'], fromBeginning: true })
    const received = await take(consumer, MESSAGES.length)
    await consumer.disconnect()
    checkReceived(received)
  }))

test('keyed messages keep their partition and explicit partitions are honoured', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'spread', 4)
    const producer = client.producer()
    await producer.connect()
    const keyed = await producer.send({
      topic: 'spread',
      messages: Array.from({ length: 20 }, (_, i) => ({ key: `user-${i % 5}`, value: String(i) })),
    })
    const partitionOf = new Map()
    for (const [i, r] of keyed.entries()) {
      const key = `user-${i % 5}`
      if (partitionOf.has(key)) assert.equal(r.partition, partitionOf.get(key), `key ${key} stays on one partition`)
      partitionOf.set(key, r.partition)
    }
    const pinned = await producer.send({ topic: 'spread', messages: [{ value: 'p3', partition: 3 }] })
    assert.equal(pinned[0].partition, 3)
    await producer.disconnect()
  }))

test('a consumer sees messages produced after it started', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'live')
    const consumer = client.consumer({ groupId: 'live' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['live'], fromBeginning: true })
    const producer = client.producer()
    await producer.connect()
    const got = take(consumer, 3)
    for (let i = 0; i < 3; i++) await producer.send({ topic: 'live', messages: [{ value: `m${i}` }] })
    const received = await got
    assert.deepEqual(received.map((m) => m.value.toString()), ['m0', 'm1', 'm2'])
    await producer.disconnect()
    await consumer.disconnect()
  }))

test('sendBatch spans topics and repeated header names round-trip as arrays', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'left')
    await createTopic(client, 'right')
    const producer = client.producer()
    await producer.connect()
    const results = await producer.sendBatch({
      topicMessages: [
        { topic: 'left', messages: [{ value: 'l0', headers: { tag: ['a', Buffer.from('b')] } }] },
        { topic: 'right', messages: [{ value: 'r0' }, { value: 'r1' }] },
      ],
    })
    assert.deepEqual(
      results.map((r) => `${r.topic}@${r.offset}`),
      ['left@0', 'right@0', 'right@1'],
    )
    await producer.disconnect()

    const consumer = client.consumer({ groupId: 'batch' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['left'], fromBeginning: true })
    const [m] = await take(consumer, 1)
    assert.deepEqual(m.headers, { tag: [Buffer.from('a'), Buffer.from('b')] })
    await consumer.disconnect()
  }))

test('an explicit message timestamp is stored and read back', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'timed')
    const producer = client.producer()
    await producer.connect()
    const results = await producer.send({
      topic: 'timed',
      messages: [{ value: 'a', timestamp: '1700000000000' }, { value: 'b' }, { value: 'c', timestamp: 1700000000123n }],
    })
    assert.equal(results[0].timestamp, 1700000000000n)
    assert.ok(results[1].timestamp > 1700000000123n, 'unset timestamps are the send time')
    assert.equal(results[2].timestamp, 1700000000123n)
    await producer.disconnect()

    const consumer = client.consumer({ groupId: 'timed' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['timed'], fromBeginning: true })
    const received = await take(consumer, 3)
    assert.equal(received[0].timestamp, 1700000000000n)
    assert.equal(received[2].timestamp, 1700000000123n)
    await consumer.disconnect()
  }))
