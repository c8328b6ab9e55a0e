'use strict'
// Scenario: KafkaJS's flow control on a running consumer. pause() from inside eachMessage stops
// one partition while the others go on, paused() reports it, resume() fetches it again from the
// first message not handled (nothing skipped, nothing twice); seek() moves a partition while
// run() is going; maxPollIntervalMs makes a consumer that stops polling leave the group. Bad
// input (partitions not assigned, a topic not subscribed, offsets that are no offsets) is an
// InvalidArgument that changes nothing.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { TEST_TIMEOUT_MS, withBroker, createTopic, take, rejectionOf } = require('./helpers.js')
const { ErrorCode } = require('..')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function produce(client, topic, partition, count) {
  const producer = client.producer()
  await producer.connect()
  await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, i) => ({ value: `p${partition}-${i}`, partition })),
  })
  await producer.disconnect()
}

/** Resolves once `check()` is true, polling every 20 ms; fails after `ms`. */
async function until(check, what, ms = 10_000) {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

const isInvalid = (e) => e.code === ErrorCode.InvalidArgument

test('pause() inside eachMessage stops one partition, resume() goes on from the next message', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'flow', 2)
    await produce(client, 'flow', 0, 10)
    await produce(client, 'flow', 1, 10)
    const consumer = client.consumer({ groupId: 'flow' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['flow'], fromBeginning: true })
    const seen = { 0: [], 1: [] }
    let pausedInside = null
    await consumer.run({
      eachMessage: async ({ partition, message, pause }) => {
        seen[partition].push(message.offset)
        if (partition === 0 && message.offset === 2n && pausedInside === null) {
          // KafkaJS's payload pause(): pauses this partition, returns its resume.
          pausedInside = pause()
        }
      },
    })
    await until(() => seen[1].length === 10, 'partition 1')
    assert.deepEqual(consumer.paused(), [{ topic: 'flow', partitions: [0] }])
    // Partition 0 stays paused: nothing past offset 2 arrives.
    await sleep(400)
    assert.deepEqual(seen[0], [0n, 1n, 2n])
    assert.equal(typeof pausedInside, 'function')
    // Resume every partition of the topic (the one not paused is left as it is).
    consumer.resume([{ topic: 'flow' }])
    assert.deepEqual(consumer.paused(), [])
    await until(() => seen[0].length === 10, 'partition 0 after resume')
    await sleep(200)
    await consumer.stop()
    for (const p of [0, 1]) assert.deepEqual(seen[p], Array.from({ length: 10 }, (_, i) => BigInt(i)), `partition ${p}`)
    await consumer.disconnect()
  }))

test('pause() a whole topic from outside the handler, then resume; bad pause/resume input is refused', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'whole', 2)
    await createTopic(client, 'elsewhere', 1)
    const consumer = client.consumer({ groupId: 'whole' })
    await consumer.connect()
    // Before subscribe there is nothing to pause.
    assert.deepEqual(consumer.paused(), [])
    assert.throws(() => consumer.pause([{ topic: 'whole', partitions: [0] }]), isInvalid)
    await consumer.subscribe({ topics: ['whole'], fromBeginning: true })
    const seen = []
    let handled = 0
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.push(`${partition}:${message.offset}`)
        handled++
      },
    })
    // run() resolved after the join: every partition of the topic is assigned now.
    consumer.pause([{ topic: 'whole' }])
    assert.deepEqual(consumer.paused(), [{ topic: 'whole', partitions: [0, 1] }])
    await produce(client, 'whole', 0, 3)
    await produce(client, 'whole', 1, 3)
    await sleep(500)
    assert.equal(handled, 0, `nothing is handed out while paused: ${seen}`)

    // A partition not assigned, a topic not subscribed, malformed lists: refused, nothing changes.
    assert.throws(() => consumer.pause([{ topic: 'whole', partitions: [7] }]), (e) => isInvalid(e) && /not assigned/.test(e.message))
    assert.throws(() => consumer.pause([{ topic: 'elsewhere' }]), (e) => isInvalid(e) && /not subscribed/.test(e.message))
    assert.throws(() => consumer.resume([{ topic: 'elsewhere', partitions: [0] }]), isInvalid)
    assert.throws(() => consumer.pause('whole'), isInvalid)
    assert.throws(() => consumer.pause([{ topic: 'whole', partitions: [-1] }]), isInvalid)
    assert.throws(() => consumer.pause([{ partitions: [0] }]), isInvalid)
    // One bad partition in the list: the good one is not resumed either.
    assert.throws(() => consumer.resume([{ topic: 'whole', partitions: [0, 9] }]), isInvalid)
    assert.deepEqual(consumer.paused(), [{ topic: 'whole', partitions: [0, 1] }])

    consumer.resume([{ topic: 'whole', partitions: [1] }])
    assert.deepEqual(consumer.paused(), [{ topic: 'whole', partitions: [0] }])
    await until(() => handled === 3, 'partition 1')
    assert.ok(seen.every((s) => s.startsWith('1:')), `${seen}`)
    consumer.resume([{ topic: 'whole' }])
    await until(() => handled === 6, 'partition 0')
    await consumer.disconnect()
  }))

test('seek() inside a running eachMessage moves the partition; commits follow the seek', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'rewind', 1)
    await produce(client, 'rewind', 0, 10)
    const consumer = client.consumer({ groupId: 'rewind' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['rewind'], fromBeginning: true })
    // Not assigned before the join.
    assert.throws(() => consumer.seek({ topic: 'rewind', partition: 0, offset: 0 }), isInvalid)
    const seen = []
    let rewound = false
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        seen.push(message.offset)
        if (message.offset === 5n && !rewound) {
          rewound = true
          consumer.seek({ topic, partition, offset: '2' })
        }
      },
    })
    await until(() => seen.length === 14, '14 messages')
    // The seek dropped what was left of the batch (6..9) and went on from 2.
    assert.deepEqual(seen, [0n, 1n, 2n, 3n, 4n, 5n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n])

    // Seek outside the handler, while the loop is idle at the end of the log.
    consumer.seek({ topic: 'rewind', partition: 0, offset: 8n })
    await until(() => seen.length === 16, 'the two after the seek')
    assert.deepEqual(seen.slice(14), [8n, 9n])

    // An unassigned partition, a topic not subscribed, offsets that are no offsets.
    assert.throws(() => consumer.seek({ topic: 'rewind', partition: 3, offset: 0 }), (e) => isInvalid(e) && /not assigned/.test(e.message))
    assert.throws(() => consumer.seek({ topic: 'nope', partition: 0, offset: 0 }), isInvalid)
    assert.throws(() => consumer.seek({ topic: 'rewind', partition: 0, offset: -1 }), isInvalid)
    assert.throws(() => consumer.seek({ topic: 'rewind', partition: 0, offset: 'abc' }), isInvalid)
    assert.throws(() => consumer.seek({ topic: 'rewind', partition: 0.5, offset: 0 }), isInvalid)
    assert.throws(() => consumer.seek(), isInvalid)
    await consumer.stop()
    await consumer.disconnect()

    const admin = client.admin()
    await admin.connect()
    const [offsets] = await admin.fetchOffsets({ groupId: 'rewind', topics: ['rewind'] })
    assert.equal(offsets.partitions[0].offset, 10n)
    await admin.disconnect()
  }))

test('maxPollIntervalMs: a consumer that stops polling leaves the group; commits fail until it polls again', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'slow', 1)
    await produce(client, 'slow', 0, 3)
    assert.throws(() => client.consumer({ groupId: 'slow', maxPollIntervalMs: -5 }), isInvalid)
    assert.throws(() => client.consumer({ groupId: 'slow', maxPollIntervalMs: 0 }), isInvalid)
    const consumer = client.consumer({ groupId: 'slow', maxPollIntervalMs: 500, sessionTimeout: 1_500 })
    await consumer.connect()
    await consumer.subscribe({ topics: ['slow'], fromBeginning: true })
    const [first] = await take(consumer, 1)
    // No poll for well past the interval (a hung handler).
    await sleep(1_500)
    const err = await rejectionOf(consumer.commitOffsets([{ topic: 'slow', partition: 0, offset: first.offset + 1n }]))
    assert.equal(err.code, ErrorCode.UnknownMemberId, `${err.name}: ${err.message}`)
    // The next poll rejoins: the group committed nothing, so reading starts over.
    const again = await take(consumer, 3)
    assert.deepEqual(again.map((m) => m.offset), [0n, 1n, 2n])
    await consumer.commitOffsets([{ topic: 'slow', partition: 0, offset: 3n }])
    await consumer.disconnect()
  }))
