'use strict'
// Scenario: KafkaJS's per-send `acks`, `timeout` and `compression` on `send` and `sendBatch`,
// over the producer's own settings, through a real broker: acks 0 with gzip is stored
// (compressed) and read back; bad values are refused with InvalidArgument and send nothing.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { CompressionTypes } = require('..')
const { TEST_TIMEOUT_MS, withBroker, createTopic, partition0, readAll, isInvalidArgument } = require('./helpers.js')

const COUNT = 100
const VALUE = 'abcdefgh'.repeat(128)
const messages = (tag) => Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: `${tag}${i}:${VALUE}` }))

test('send with acks 0 and gzip is stored compressed and read back', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'plain')
    await createTopic(client, 'zipped')
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic: 'plain', messages: messages('p') })
    await producer.send({ topic: 'zipped', messages: messages('z'), acks: 0, compression: CompressionTypes.GZIP, timeout: 10_000 })
    // The same set again reuses its variant; flush covers the variants too.
    await producer.send({ topic: 'zipped', messages: [{ value: 'last' }], acks: 0, compression: 'gzip', timeout: 10_000 })
    await producer.flush()
    await producer.disconnect()

    const got = await readAll(client, 'zipped', COUNT + 1)
    assert.deepEqual(
      got.map((m) => m.value.toString()),
      [...messages('z').map((m) => m.value), 'last'],
    )
    const plain = await partition0(client, 'plain')
    const zipped = await partition0(client, 'zipped')
    assert.equal(zipped.highWatermark, BigInt(COUNT + 1))
    assert.ok(zipped.sizeBytes * 4n < plain.sizeBytes, `gzip stored ${zipped.sizeBytes} bytes, plain ${plain.sizeBytes}`)
  }))

test('sendBatch takes acks, timeout and compression; -1 and 1 acknowledge with offsets', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'a')
    await createTopic(client, 'b')
    const producer = client.producer({ compression: CompressionTypes.LZ4 })
    await producer.connect()
    const batch = await producer.sendBatch({
      topicMessages: [
        { topic: 'a', messages: [{ value: 'a0' }, { value: 'a1' }] },
        { topic: 'b', messages: [{ value: 'b0' }] },
      ],
      acks: -1,
      timeout: 5_000,
      compression: CompressionTypes.ZSTD,
    })
    assert.deepEqual(batch.map((r) => [r.topic, r.offset]), [['a', 0n], ['a', 1n], ['b', 0n]])
    const one = await producer.send({ topic: 'a', messages: [{ value: 'a2' }], acks: 1 })
    assert.equal(one[0].offset, 2n)
    await producer.disconnect()
    assert.deepEqual((await readAll(client, 'a', 3)).map((m) => m.value.toString()), ['a0', 'a1', 'a2'])
  }))

test('a bad acks, timeout or compression is refused and sends nothing', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'refused')
    const producer = client.producer()
    await producer.connect()
    const send = (extra) => producer.send({ topic: 'refused', messages: [{ value: 'x' }], ...extra })
    await assert.rejects(send({ acks: 3 }), isInvalidArgument(/acks/))
    await assert.rejects(send({ acks: 'most' }), isInvalidArgument(/acks/))
    await assert.rejects(send({ acks: {} }), isInvalidArgument(/acks/))
    await assert.rejects(send({ timeout: 0 }), isInvalidArgument(/timeout/))
    await assert.rejects(send({ timeout: 1.5 }), isInvalidArgument(/timeout/))
    await assert.rejects(send({ compression: 'brotli' }), isInvalidArgument(/brotli/))
    await assert.rejects(send({ compression: 7 }), isInvalidArgument(/compression: 7/))
    await assert.rejects(
      producer.sendBatch({ topicMessages: [{ topic: 'refused', messages: [{ value: 'x' }] }], acks: 5 }),
      isInvalidArgument(/acks/),
    )
    await producer.flush()
    await producer.disconnect()
    assert.equal((await partition0(client, 'refused')).highWatermark, 0n, 'nothing was sent')
  }))
