'use strict'
// Scenario: polled messages cross into JS as one packed batch (src/consumer.rs `PackedBatch`)
// and are built one at a time by lib/codec.js `BatchReader`. The layout is checked byte by byte
// here, then large multi-partition batches go through a real broker: a loop stopped in the
// middle of a batch commits exactly what was handled and the group resumes right after it.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { BatchReader, PACKED_ENTRY_BYTES, NULL_HEADER_LEN } = require('../lib/codec.js')
const { TEST_TIMEOUT_MS, withBroker, createTopic, take } = require('./helpers.js')

/** Packs messages the way src/consumer.rs does. */
function pack(messages) {
  const topics = []
  const entries = Buffer.alloc(messages.length * PACKED_ENTRY_BYTES)
  const chunks = []
  messages.forEach((m, i) => {
    const e = i * PACKED_ENTRY_BYTES
    if (!topics.includes(m.topic)) topics.push(m.topic)
    entries.writeUInt32LE(topics.indexOf(m.topic), e)
    entries.writeUInt32LE(m.partition, e + 4)
    entries.writeBigUInt64LE(m.offset, e + 8)
    entries.writeBigInt64LE(m.timestamp, e + 16)
    // Where this message's bytes start in `data`.
    entries.writeUInt32LE(chunks.reduce((n, c) => n + c.length, 0), e + 36)
    for (const [at, part] of [[24, m.key], [28, m.value]]) {
      entries.writeInt32LE(part === null ? -1 : part.length, e + at)
      if (part !== null) chunks.push(part)
    }
    entries.writeUInt32LE(m.headers.length, e + 32)
    for (const [name, value] of m.headers) {
      const nameBytes = Buffer.from(name)
      const lens = Buffer.alloc(8)
      lens.writeUInt32LE(nameBytes.length, 0)
      // A null value: the length 0xFFFFFFFF and no bytes.
      lens.writeUInt32LE(value === null ? NULL_HEADER_LEN : value.length, 4)
      chunks.push(lens.subarray(0, 4), nameBytes, lens.subarray(4))
      if (value !== null) chunks.push(value)
    }
  })
  return { topics, entries, data: Buffer.concat(chunks) }
}

test('the packed layout of headers, byte by byte: a null value is length 0xFFFFFFFF, no bytes', () => {
  assert.equal(NULL_HEADER_LEN, 0xffffffff)
  const batch = pack([
    {
      topic: 't',
      partition: 0,
      offset: 0n,
      timestamp: 0n,
      key: null,
      value: Buffer.from('v'),
      headers: [['a', null], ['a', Buffer.alloc(0)], ['b', Buffer.from('x')]],
    },
  ])
  // prettier-ignore
  assert.deepEqual([...batch.data], [
    0x76, // value 'v' (the key is null: no bytes)
    1, 0, 0, 0, 0x61, 0xff, 0xff, 0xff, 0xff, // 'a' = null
    1, 0, 0, 0, 0x61, 0, 0, 0, 0, // 'a' = empty
    1, 0, 0, 0, 0x62, 1, 0, 0, 0, 0x78, // 'b' = 'x'
  ])
  assert.equal(batch.entries.readUInt32LE(32), 3, 'header count')
  const m = new BatchReader(batch).next()
  assert.deepEqual(m.headers, { a: [null, Buffer.alloc(0)], b: Buffer.from('x') })
  assert.equal(m.headers.a[0], null, 'a null header value is null, not an empty Buffer')
})

test('BatchReader reads the packed layout: nulls, empty values, repeated headers, topics', () => {
  const max = 2n ** 64n - 1n
  const batch = pack([
    { topic: 'a', partition: 0, offset: 7n, timestamp: -1n, key: null, value: null, headers: [] },
    {
      topic: 'b',
      partition: 3,
      offset: max,
      timestamp: 1_700_000_000_000n,
      key: Buffer.from('k'),
      value: Buffer.alloc(0),
      headers: [
        ['trace', Buffer.from('1')],
        ['trace', null],
        ['trace', Buffer.from('2')],
        ['é', Buffer.from([0, 255])],
        ['gone', null],
      ],
    },
    { topic: 'a', partition: 1, offset: 9n, timestamp: 5n, key: Buffer.from([1, 2]), value: Buffer.from('v'), headers: [] },
    { topic: 'a', partition: 0, offset: 8n, timestamp: 6n, key: null, value: Buffer.from('last'), headers: [] },
  ])
  const reader = new BatchReader(batch)
  const first = reader.peek()
  assert.equal(reader.peek(), first, 'peek returns the same message until advance')
  assert.deepEqual(first, { topic: 'a', partition: 0, offset: 7n, timestamp: -1n, key: null, value: null, headers: {} })
  reader.advance()
  const second = reader.next()
  assert.equal(second.topic, 'b')
  assert.equal(second.offset, max)
  assert.equal(second.timestamp, 1_700_000_000_000n)
  assert.deepEqual(second.key, Buffer.from('k'))
  assert.deepEqual(second.value, Buffer.alloc(0), 'an empty value is not null')
  assert.deepEqual(second.headers, {
    trace: [Buffer.from('1'), null, Buffer.from('2')],
    é: Buffer.from([0, 255]),
    gone: null,
  })
  assert.deepEqual(reader.next().key, Buffer.from([1, 2]))
  assert.equal(reader.next().value.toString(), 'last')
  assert.equal(reader.hasNext(), false)
  // The offsets to commit: per partition, one past its last handled message.
  assert.deepEqual(reader.nextOffsets(0, 4), [
    { topic: 'a', partition: 0, offset: 9n },
    { topic: 'a', partition: 1, offset: 10n },
    { topic: 'b', partition: 3, offset: max + 1n },
  ])
  assert.deepEqual(reader.nextOffsets(0, 1), [{ topic: 'a', partition: 0, offset: 8n }])
})

test('a loop stopped mid-batch commits what it handled; the group resumes right after', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    const total = 25_000
    const stopAt = 12_345
    await createTopic(client, 'many', 3)
    const producer = client.producer({ lingerMs: 5 })
    await producer.connect()
    const messages = Array.from({ length: total }, (_, i) => ({
      key: `k${i}`,
      value: i === 0 ? '' : `v${i}`,
      headers: i % 1000 === 0 ? { n: String(i) } : undefined,
    }))
    for (let i = 0; i < total; i += 5000) {
      await producer.send({ topic: 'many', messages: messages.slice(i, i + 5000) })
    }
    await producer.disconnect()

    const seen = new Map()
    const note = (m) => {
      const key = m.key.toString()
      assert.equal(seen.has(key), false, `${key} delivered twice`)
      seen.set(key, m)
    }
    const first = client.consumer({ groupId: 'halves' })
    await first.connect()
    await first.subscribe({ topics: ['many'], fromBeginning: true })
    const stopped = new Promise((resolve) => first.once(first.events.STOP, resolve))
    let handled = 0
    await first.run({
      eachMessage: async ({ topic, partition, message }) => {
        assert.equal(topic, 'many')
        assert.equal(partition, message.partition)
        note(message)
        handled += 1
        if (handled === stopAt) await first.stop()
      },
    })
    await stopped
    assert.equal(handled, stopAt)
    await first.disconnect()

    const second = client.consumer({ groupId: 'halves' })
    await second.connect()
    await second.subscribe({ topics: ['many'], fromBeginning: true })
    for (const m of await take(second, total - stopAt)) note(m)
    await second.disconnect()

    assert.equal(seen.size, total)
    assert.deepEqual(seen.get('k0').value, Buffer.alloc(0))
    assert.equal(seen.get('k7').value.toString(), 'v7')
    assert.deepEqual(seen.get('k3000').headers, { n: Buffer.from('3000') })
    assert.deepEqual(seen.get('k3001').headers, {})
    // Per partition, offsets run 0, 1, 2, ... with no gap and no repeat.
    const byPartition = new Map()
    for (const m of seen.values()) {
      if (!byPartition.has(m.partition)) byPartition.set(m.partition, [])
      byPartition.get(m.partition).push(m.offset)
    }
    assert.equal(byPartition.size, 3)
    for (const offsets of byPartition.values()) {
      offsets.sort((a, b) => (a < b ? -1 : 1))
      offsets.forEach((o, i) => assert.equal(o, BigInt(i)))
    }
  }))

test('run() again after a stop from inside eachMessage still stops from inside', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'again')
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic: 'again', messages: ['a', 'b', 'c'].map((value) => ({ value })) })
    await producer.disconnect()
    const consumer = client.consumer({ groupId: 'again' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['again'], fromBeginning: true })
    const seen = []
    // Each round handles one message and stops from inside its handler (the loop's context is
    // switched off when a loop ends and must be on again for the next one).
    for (let round = 0; round < 3; round++) {
      const stopped = new Promise((resolve) => consumer.once(consumer.events.STOP, resolve))
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value.toString())
          await consumer.stop()
        },
      })
      await stopped
    }
    assert.deepEqual(seen, ['a', 'b', 'c'])
    await consumer.disconnect()
  }))
