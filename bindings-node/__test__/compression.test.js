'use strict'
// Scenario: producers pick a batch codec (`compression`, KafkaJS's CompressionTypes or Kafka's
// names) and a level; every codec round trips through a real broker with null header values and
// repeated header names (KafkaJS's array shape); bad codecs and levels are refused with the
// shared InvalidArgument code before anything is sent; idempotent delivery on and off both work.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { RustLog, CompressionTypes } = require('..')
const { TEST_TIMEOUT_MS, withBroker, createTopic, take, partition0, readAll, isInvalidArgument } = require('./helpers.js')

/** Codec name -> KafkaJS's CompressionTypes key. */
const CODECS = [
  ['none', 'None'],
  ['gzip', 'GZIP'],
  ['snappy', 'Snappy'],
  ['lz4', 'LZ4'],
  ['zstd', 'ZSTD'],
]

/** Compressible values, so a compressed topic is visibly smaller than an uncompressed one. */
const COUNT = 200
const VALUE = 'abcdefgh'.repeat(128)

function messages() {
  return Array.from({ length: COUNT }, (_, i) => ({
    key: `k${i}`,
    value: `${i}:${VALUE}`,
    headers: {
      // A repeated name: one header per item, in order, null items included.
      dup: ['first', null, Buffer.from([0, 255])],
      nul: null,
      empty: '',
      skipped: undefined,
    },
  }))
}

function checkMessages(received, topic) {
  assert.equal(received.length, COUNT)
  received.forEach((m, i) => {
    assert.equal(m.topic, topic)
    assert.equal(m.offset, BigInt(i))
    assert.equal(m.key.toString(), `k${i}`)
    assert.equal(m.value.toString(), `${i}:${VALUE}`)
    assert.deepEqual(m.headers, {
      dup: [Buffer.from('first'), null, Buffer.from([0, 255])],
      nul: null,
      empty: Buffer.alloc(0),
    })
    assert.equal(m.headers.nul, null, 'a null header value comes back as null')
    assert.equal(m.headers.dup[1], null)
    assert.ok(Buffer.isBuffer(m.headers.empty), 'an empty header value is an empty Buffer, not null')
  })
}

test('CompressionTypes is KafkaJS enum of Kafka codec ids', () => {
  assert.deepEqual({ ...CompressionTypes }, { None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 })
  assert.ok(Object.isFrozen(CompressionTypes))
})

test('every codec round trips null and repeated headers, by enum and by name', { timeout: 60_000 }, () =>
  withBroker(async ({ client }) => {
    const sizes = new Map()
    for (const [name, key] of CODECS) {
      for (const [spelling, compression] of [['enum', CompressionTypes[key]], ['name', name]]) {
        const topic = `c-${name}-${spelling}`
        await createTopic(client, topic)
        const producer = client.producer({ compression, lingerMs: 5 })
        await producer.connect()
        // Repeating the producer's own codec per send (KafkaJS style) is accepted.
        const sent = await producer.send({ topic, messages: messages(), compression })
        assert.equal(sent.length, COUNT)
        await producer.disconnect()

        checkMessages(await readAll(client, topic, COUNT), topic)

        const partition = await partition0(client, topic)
        assert.equal(partition.highWatermark, BigInt(COUNT))
        sizes.set(`${name}-${spelling}`, partition.sizeBytes)
      }
    }
    // The codec really is applied: the stored batches of a compressed topic are much smaller.
    const plain = sizes.get('none-enum')
    for (const [name] of CODECS.slice(1)) {
      for (const spelling of ['enum', 'name']) {
        const size = sizes.get(`${name}-${spelling}`)
        assert.ok(size * 4n < plain, `${name} (${spelling}) stored ${size} bytes, uncompressed ${plain}`)
      }
    }
  }))

test('levels within the codec range are accepted', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'levels')
    for (const [compression, compressionLevel] of [
      [CompressionTypes.GZIP, 0],
      [CompressionTypes.GZIP, 9],
      ['zstd', -7],
      ['zstd', 22],
    ]) {
      const producer = client.producer({ compression, compressionLevel })
      await producer.connect()
      await producer.send({ topic: 'levels', messages: messages().slice(0, 3) })
      await producer.disconnect()
    }
    const consumer = client.consumer({ groupId: 'levels' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['levels'], fromBeginning: true })
    const got = await take(consumer, 12)
    assert.deepEqual(
      got.map((m) => m.key.toString()),
      Array.from({ length: 4 }, () => ['k0', 'k1', 'k2']).flat(),
    )
    await consumer.disconnect()
  }))

test('a bad codec or level is refused with InvalidArgument before anything is sent', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'refused')
    // Refused when the producer is created: nothing can have been sent.
    assert.throws(() => client.producer({ compression: 'brotli' }), isInvalidArgument(/brotli/))
    assert.throws(() => client.producer({ compression: 'GZIP' }), isInvalidArgument(/gzip/))
    assert.throws(() => client.producer({ compression: 7 }), isInvalidArgument(/compression: 7/))
    assert.throws(() => client.producer({ compression: 1.5 }), isInvalidArgument(/compression/))
    assert.throws(() => client.producer({ compression: {} }), isInvalidArgument(/compression/))
    assert.throws(
      () => client.producer({ compression: CompressionTypes.GZIP, compressionLevel: 10 }),
      isInvalidArgument(/compression_level/),
    )
    assert.throws(() => client.producer({ compression: 'zstd', compressionLevel: 23 }), isInvalidArgument(/compression_level/))
    assert.throws(
      () => client.producer({ compression: CompressionTypes.Snappy, compressionLevel: 1 }),
      isInvalidArgument(/snappy/),
    )
    assert.throws(() => client.producer({ compressionLevel: 1 }), isInvalidArgument(/compression_level/))
    assert.throws(() => client.producer({ compression: 'gzip', compressionLevel: 1.5 }), isInvalidArgument(/compressionLevel/))
    assert.throws(() => client.producer({ idempotent: 'yes' }), isInvalidArgument(/idempotent/))

    // KafkaJS's per-send codec: an unknown one is refused before anything is sent.
    const producer = client.producer({ compression: CompressionTypes.LZ4 })
    await producer.connect()
    await assert.rejects(
      producer.send({ topic: 'refused', messages: [{ value: 'x' }], compression: 'brotli' }),
      isInvalidArgument(/brotli/),
    )
    await assert.rejects(
      producer.sendBatch({ topicMessages: [{ topic: 'refused', messages: [{ value: 'x' }] }], compression: 9 }),
      isInvalidArgument(/compression: 9/),
    )
    await producer.disconnect()
    const partition = await partition0(client, 'refused')
    assert.equal(partition.highWatermark, 0n, 'nothing was sent')
  }))

test('header values must be Buffer, string or null', () => {
  const client = new RustLog({ brokers: ['127.0.0.1:1'] })
  const producer = client.producer()
  return assert.rejects(
    producer.send({ topic: 't', messages: [{ value: 'v', headers: { bad: 42 } }] }),
    isInvalidArgument(/headers\.bad/),
  )
})

test('idempotent: false and true both deliver, with acks leader and durable', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'idem', 2)
    const cases = [
      { idempotent: false, acks: 'leader' },
      { idempotent: true, acks: 'leader' },
      { idempotent: false, acks: -1 },
      { idempotent: true, acks: 'durable', compression: CompressionTypes.ZSTD },
      // With acks none the producer never learns the outcome: no producer id, still delivered.
      { idempotent: true, acks: 'none' },
    ]
    for (const [i, options] of cases.entries()) {
      const producer = client.producer(options)
      await producer.connect()
      await producer.send({
        topic: 'idem',
        messages: [0, 1].map((p) => ({ key: `case${i}`, value: `${i}/${p}`, partition: p })),
      })
      await producer.flush()
      await producer.disconnect()
    }
    const consumer = client.consumer({ groupId: 'idem' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['idem'], fromBeginning: true })
    const got = await take(consumer, cases.length * 2)
    await consumer.disconnect()
    const values = got.map((m) => m.value.toString()).sort()
    assert.deepEqual(values, cases.flatMap((_, i) => [`${i}/0`, `${i}/1`]).sort())
    for (const p of [0, 1]) {
      const offsets = got.filter((m) => m.partition === p).map((m) => m.offset)
      assert.deepEqual(offsets, cases.map((_, i) => BigInt(i)), `partition ${p}: each record stored once, in order`)
    }
  }))
