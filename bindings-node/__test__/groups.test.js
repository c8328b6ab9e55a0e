'use strict'
// Scenario: consumer groups commit offsets and a new member of the same group resumes after them.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { TEST_TIMEOUT_MS, withBroker, createTopic, take } = require('./helpers.js')
const { ErrorCode } = require('..')

async function produce(client, topic, values) {
  const producer = client.producer()
  await producer.connect()
  await producer.send({ topic, messages: values.map((value) => ({ value })) })
  await producer.disconnect()
}

const range = (from, to) => Array.from({ length: to - from }, (_, i) => `m${from + i}`)

test('commitOffsets then a new consumer in the group resumes after the commit', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'orders')
    await produce(client, 'orders', range(0, 10))

    const first = client.consumer({ groupId: 'billing' })
    await first.connect()
    await first.subscribe({ topics: ['orders'], fromBeginning: true })
    const firstFour = await take(first, 4)
    assert.deepEqual(firstFour.map((m) => m.value.toString()), range(0, 4))
    const last = firstFour[3]
    // Kafka semantics: the committed offset is the next one to read. Strings are accepted too.
    await first.commitOffsets([{ topic: last.topic, partition: last.partition, offset: (last.offset + 1n).toString() }])
    await first.disconnect()

    const second = client.consumer({ groupId: 'billing' })
    await second.connect()
    await second.subscribe({ topics: ['orders'], fromBeginning: true })
    const rest = await take(second, 6)
    assert.deepEqual(rest.map((m) => m.value.toString()), range(4, 10))
    assert.equal(rest[0].offset, 4n)
    await second.disconnect()

    // Another group has its own position.
    const other = client.consumer({ groupId: 'audit' })
    await other.connect()
    await other.subscribe({ topics: ['orders'], fromBeginning: true })
    assert.equal((await take(other, 1))[0].offset, 0n)
    await other.disconnect()
  }))

test('run() commits handled messages by default, so a restarted group does not see them again', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'jobs')
    await produce(client, 'jobs', range(0, 5))

    const worker = client.consumer({ groupId: 'workers' })
    await worker.connect()
    await worker.subscribe({ topics: ['jobs'], fromBeginning: true })
    const seen = []
    let done
    const allSeen = new Promise((resolve) => (done = resolve))
    await worker.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value.toString())
        if (seen.length === 5) done()
      },
    })
    await allSeen
    await worker.stop()
    await worker.disconnect()
    assert.deepEqual(seen, range(0, 5))

    await produce(client, 'jobs', range(5, 7))
    const restarted = client.consumer({ groupId: 'workers' })
    await restarted.connect()
    await restarted.subscribe({ topics: ['jobs'], fromBeginning: true })
    const next = await take(restarted, 2)
    assert.deepEqual(next.map((m) => m.value.toString()), range(5, 7))
    await restarted.disconnect()

    const admin = client.admin()
    await admin.connect()
    const group = await admin.describeGroup('workers')
    assert.equal(group.groupId, 'workers')
    const committed = group.offsets.find((o) => o.topic === 'jobs' && o.partition === 0)
    assert.equal(committed.committedOffset, 5n)
    await admin.disconnect()
  }))

test('a failing eachMessage (no retries) stops the loop, emits consumer.crash and does not commit that message', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'fragile')
    await produce(client, 'fragile', range(0, 3))

    // No retry and no restart: the first failure crashes the loop for good.
    const consumer = client.consumer({ groupId: 'fragile', retry: { retries: 0, restartOnFailure: async () => false } })
    await consumer.connect()
    await consumer.subscribe({ topics: ['fragile'], fromBeginning: true })
    const crashed = new Promise((resolve) =>
      consumer.on(consumer.events.CRASH, (e) => {
        assert.equal(e.payload.restart, false)
        assert.equal(e.payload.groupId, 'fragile')
        resolve(e.payload.error)
      }),
    )
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.offset === 1n) throw new Error('cannot handle m1')
      },
    })
    const error = await crashed
    // The handler's own error arrives untouched.
    assert.equal(error.message, 'cannot handle m1')
    assert.equal(error.constructor, Error)
    await consumer.stop()
    // The failed message is still pending: the iterator hands it out first.
    const again = await take(consumer, 2)
    assert.deepEqual(again.map((m) => m.offset), [1n, 2n])
    await consumer.disconnect()

    const admin = client.admin()
    await admin.connect()
    const group = await admin.describeGroup('fragile')
    assert.equal(group.offsets.find((o) => o.topic === 'fragile').committedOffset, 1n)
    await admin.disconnect()
  }))

test('stop() called from inside eachMessage ends the loop without deadlock', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'once')
    await produce(client, 'once', range(0, 3))
    const consumer = client.consumer({ groupId: 'once' })
    await consumer.connect()
    await assert.rejects(consumer.run({ eachMessage: async () => {} }), (e) => e.code === ErrorCode.InvalidArgument)
    await consumer.subscribe({ topics: ['once'], fromBeginning: true })
    const seen = []
    const stopped = new Promise((resolve) => consumer.once(consumer.events.STOP, resolve))
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.offset)
        await consumer.stop()
      },
    })
    await stopped
    assert.deepEqual(seen, [0n])
    // Messages polled but not handled stay pending: iteration continues at offset 1.
    const next = await take(consumer, 2)
    assert.deepEqual(next.map((m) => m.offset), [1n, 2n])
    await consumer.disconnect()
  }))
