'use strict'
// Scenario: KafkaJS's eachBatch (one partition's polled messages at a time, with resolveOffset,
// eachBatchAutoResolve, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale and the
// batch's highWatermark / firstOffset / lastOffset) and partitionsConsumedConcurrently (several
// partitions at once, each partition's messages strictly in order, never two of one partition at
// a time), through a real broker; bad run() options are an InvalidArgument.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { TEST_TIMEOUT_MS, withBroker, createTopic } = require('./helpers.js')
const { ErrorCode } = require('..')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(check, what, ms = 10_000) {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

async function setup(client, topic, partitions, perPartition) {
  await createTopic(client, topic, partitions)
  const producer = client.producer()
  await producer.connect()
  for (let p = 0; p < partitions; p++) {
    await producer.send({ topic, messages: Array.from({ length: perPartition }, (_, i) => ({ value: `p${p}-${i}`, partition: p })) })
  }
  await producer.disconnect()
}

async function committed(client, groupId, topic) {
  const admin = client.admin()
  await admin.connect()
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
  await admin.disconnect()
  return Object.fromEntries(offsets.partitions.map((p) => [p.partition, p.offset]))
}

const isInvalid = (e) => e.code === ErrorCode.InvalidArgument

test('eachBatch gets each partition batch with its watermark; auto-resolved batches are committed', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await setup(client, 'batches', 2, 5)
    const consumer = client.consumer({ groupId: 'batches' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['batches'], fromBeginning: true })
    const batches = []
    await consumer.run({
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, uncommittedOffsets }) => {
        await heartbeat()
        assert.equal(isRunning(), true)
        assert.equal(isStale(), false)
        assert.ok(Array.isArray(uncommittedOffsets().topics))
        batches.push({
          topic: batch.topic,
          partition: batch.partition,
          offsets: batch.messages.map((m) => m.offset),
          values: batch.messages.map((m) => m.value.toString()),
          highWatermark: batch.highWatermark,
          first: batch.firstOffset(),
          last: batch.lastOffset(),
          empty: batch.isEmpty(),
          lag: batch.offsetLag(),
        })
      },
    })
    await until(() => batches.reduce((n, b) => n + b.offsets.length, 0) === 10, 'ten messages')
    await consumer.stop()
    for (const b of batches) {
      assert.equal(b.topic, 'batches')
      assert.ok(b.values.every((v) => v.startsWith(`p${b.partition}-`)), 'one partition per batch')
      assert.equal(b.highWatermark, 5n)
      assert.equal(b.first, b.offsets[0])
      assert.equal(b.last, b.offsets[b.offsets.length - 1])
      assert.equal(b.lag, 4n - b.last)
      assert.equal(b.empty, false)
    }
    for (const p of [0, 1]) {
      const offsets = batches.filter((b) => b.partition === p).flatMap((b) => b.offsets)
      assert.deepEqual(offsets, [0n, 1n, 2n, 3n, 4n])
    }
    await consumer.disconnect()
    assert.deepEqual(await committed(client, 'batches', 'batches'), { 0: 5n, 1: 5n })
  }))

test('eachBatchAutoResolve: false commits what resolveOffset resolved; commitOffsetsIfNecessary commits now', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await setup(client, 'manual', 1, 6)
    const consumer = client.consumer({ groupId: 'manual' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['manual'], fromBeginning: true })
    const commits = []
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) => commits.push(e.payload.topics))
    let uncommitted = null
    let badResolve = null
    const calls = []
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, uncommittedOffsets }) => {
        calls.push(batch.messages.map((m) => m.offset))
        try {
          resolveOffset('not an offset')
        } catch (err) {
          badResolve = err
        }
        if (calls.length === 1) {
          resolveOffset(batch.messages[1].offset)
          uncommitted = uncommittedOffsets()
          await commitOffsetsIfNecessary()
          resolveOffset(2n)
          return
        }
        // The second call gets the messages not resolved by the first (as KafkaJS fetches
        // again from the resolved offset), and resolves them all.
        resolveOffset(batch.lastOffset())
        await consumer.stop()
      },
    })
    await until(() => calls.length === 2, 'two batches')
    // Waits for the loop (stopped from inside) to end, after its last commit.
    await consumer.stop()
    assert.ok(isInvalid(badResolve), `${badResolve}`)
    assert.deepEqual(calls, [[0n, 1n, 2n, 3n, 4n, 5n], [3n, 4n, 5n]])
    assert.deepEqual(uncommitted, { topics: [{ topic: 'manual', partitions: [{ partition: 0, offset: '2' }] }] })
    const offsets = commits.map((topics) => topics[0].partitions[0].offset)
    assert.deepEqual(offsets, ['2', '3', '6'])
    await consumer.disconnect()
    assert.deepEqual(await committed(client, 'manual', 'manual'), { 0: 6n })
  }))

for (const mode of ['eachMessage', 'eachBatch']) {
  test(`partitionsConsumedConcurrently with ${mode}: partitions in parallel, each in order, one at a time`, { timeout: TEST_TIMEOUT_MS }, () =>
    withBroker(async ({ client }) => {
      const partitions = 3
      await setup(client, 'wide', partitions, 4)
      const consumer = client.consumer({ groupId: `wide-${mode}` })
      await consumer.connect()
      await consumer.subscribe({ topics: ['wide'], fromBeginning: true })
      const seen = Array.from({ length: partitions }, () => [])
      const busy = new Array(partitions).fill(0)
      let inFlight = 0
      let maxInFlight = 0
      const handle = async (partition, offsets) => {
        busy[partition]++
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        assert.equal(busy[partition], 1, `partition ${partition} handled twice at once`)
        await sleep(50)
        seen[partition].push(...offsets)
        inFlight--
        busy[partition]--
      }
      const handlers =
        mode === 'eachMessage'
          ? { eachMessage: ({ partition, message }) => handle(partition, [message.offset]) }
          : { eachBatch: ({ batch }) => handle(batch.partition, batch.messages.map((m) => m.offset)) }
      await consumer.run({ partitionsConsumedConcurrently: 3, ...handlers })
      await until(() => seen.every((s) => s.length === 4), 'every message')
      await consumer.stop()
      for (const s of seen) assert.deepEqual(s, [0n, 1n, 2n, 3n])
      assert.ok(maxInFlight >= 2, `partitions were handled concurrently (at most ${maxInFlight} at once)`)
      assert.ok(maxInFlight <= 3)
      await consumer.disconnect()
      assert.deepEqual(await committed(client, `wide-${mode}`, 'wide'), { 0: 4n, 1: 4n, 2: 4n })
    }))
}

test('run() refuses bad options', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'opts', 1)
    const consumer = client.consumer({ groupId: 'opts' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['opts'] })
    const fn = async () => {}
    for (const config of [
      {},
      { eachMessage: fn, eachBatch: fn },
      { eachBatch: 'nope' },
      { eachMessage: fn, partitionsConsumedConcurrently: 0 },
      { eachMessage: fn, partitionsConsumedConcurrently: 1.5 },
      { eachMessage: fn, autoCommit: 'yes' },
      { eachBatch: fn, eachBatchAutoResolve: 1 },
      { eachMessage: fn, eachMesage: fn },
    ]) {
      await assert.rejects(consumer.run(config), isInvalid, JSON.stringify(Object.keys(config)))
    }
    await assert.rejects(consumer.run({ eachMessage: fn, autoCommitInterval: 5000 }), (e) => isInvalid(e) && /not supported yet/.test(e.message))
    await assert.rejects(consumer.run({ eachMessage: fn, unknownKey: 1 }), (e) => isInvalid(e) && /unknownKey/.test(e.message))
    await consumer.disconnect()
  }))
