'use strict'
// Scenario: KafkaJS's consumer instrumentation events, fed by the Rust client's event stream:
// a run() loop emits GROUP_JOIN, HEARTBEATs, COMMIT_OFFSETS after its commits and STOP when it
// ends, in that order and with KafkaJS's payload shapes; a second member joining makes the first
// emit REBALANCING and a new GROUP_JOIN with half the partitions. on() returns a remover, refuses
// unknown event names, and a listener that throws does not break the consumer.

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

async function produce(client, topic, count) {
  const producer = client.producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: `m${i}`, partition: 0 })) })
  await producer.disconnect()
}

/** Listens to every event of `consumer`; returns the recorded events and the removers. */
function record(consumer) {
  const events = []
  const removers = Object.values(consumer.events).map((name) => consumer.on(name, (e) => events.push(e)))
  return { events, removers }
}

const short = (name) => name.replace(/^consumer\./, '')

test('a run() loop emits GROUP_JOIN, HEARTBEAT, COMMIT_OFFSETS, STOP in order with KafkaJS payloads', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'events', 1)
    // A 1.5 s session heartbeats every 500 ms.
    const consumer = client.consumer({ groupId: 'watchers', sessionTimeout: 1_500 })
    assert.equal(consumer.events.GROUP_JOIN, 'consumer.group_join')
    assert.equal(consumer.events.REBALANCING, 'consumer.rebalancing')
    assert.equal(consumer.events.HEARTBEAT, 'consumer.heartbeat')
    assert.equal(consumer.events.COMMIT_OFFSETS, 'consumer.commit_offsets')
    assert.equal(consumer.events.CRASH, 'consumer.crash')
    assert.equal(consumer.events.STOP, 'consumer.stop')
    assert.throws(() => consumer.on('consumer.network.request', () => {}), (e) => e.code === ErrorCode.InvalidArgument)
    assert.throws(() => consumer.on(consumer.events.STOP, 'not a function'), (e) => e.code === ErrorCode.InvalidArgument)
    const { events } = record(consumer)
    // A listener that throws (or rejects) is logged; the others still get the event.
    const logged = []
    const consoleError = console.error
    console.error = (...args) => logged.push(args.join(' '))
    consumer.on(consumer.events.FETCH, () => {
      throw new Error('listener bug')
    })
    consumer.on(consumer.events.HEARTBEAT, async () => {
      throw new Error('async listener bug')
    })
    let removed = 0
    const remove = consumer.on(consumer.events.GROUP_JOIN, () => removed++)
    assert.equal(typeof remove, 'function')
    remove()
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: ['events'], fromBeginning: true })
      await produce(client, 'events', 3)
      let handled = 0
      await consumer.run({ eachMessage: async () => void handled++ })
      await until(() => handled === 3, 'three messages')
      await until(() => events.some((e) => e.type === consumer.events.HEARTBEAT), 'a heartbeat')
      await consumer.stop()
      await consumer.disconnect()
    } finally {
      console.error = consoleError
    }
    assert.equal(removed, 0, 'a removed listener is not called')
    assert.ok(logged.some((l) => /consumer\.fetch listener failed/.test(l) && /listener bug/.test(l)), logged.join('\n'))
    assert.ok(logged.some((l) => /consumer\.heartbeat listener failed/.test(l)), logged.join('\n'))

    const kinds = events.map((e) => short(e.type))
    const group = kinds.filter((k) => ['group_join', 'heartbeat', 'commit_offsets', 'stop', 'rebalancing'].includes(k))
    const order = group.filter((k) => k !== 'heartbeat').filter((k, i, all) => k !== all[i - 1])
    assert.deepEqual(order, ['group_join', 'commit_offsets', 'stop'], kinds.join(' '))
    assert.ok(group.indexOf('heartbeat') > group.indexOf('group_join'), kinds.join(' '))
    for (const k of ['connect', 'fetch_start', 'fetch', 'start_batch_process', 'end_batch_process', 'disconnect']) {
      assert.ok(kinds.includes(k), `${k} in ${kinds.join(' ')}`)
    }
    assert.equal(kinds[0], 'connect')
    assert.equal(kinds[kinds.length - 1], 'disconnect')

    // KafkaJS's event objects: { id, type, timestamp, payload }.
    for (const e of events) {
      assert.equal(typeof e.id, 'number')
      assert.equal(typeof e.timestamp, 'number')
    }
    const byKind = (k) => events.find((e) => e.type === `consumer.${k}`).payload
    const join = byKind('group_join')
    assert.equal(join.groupId, 'watchers')
    assert.equal(typeof join.memberId, 'string')
    assert.ok(join.memberId.length > 0)
    assert.equal(typeof join.generationId, 'number')
    assert.deepEqual(join.memberAssignment, { events: [0] })
    assert.deepEqual(byKind('heartbeat'), { groupId: 'watchers', memberId: join.memberId, groupGenerationId: join.generationId })
    assert.deepEqual(byKind('commit_offsets'), {
      groupId: 'watchers',
      memberId: join.memberId,
      groupGenerationId: join.generationId,
      topics: [{ topic: 'events', partitions: [{ partition: 0, offset: '3' }] }],
    })
    assert.equal(byKind('stop'), undefined, 'STOP has no payload, as in KafkaJS')
    const batch = byKind('start_batch_process')
    assert.equal(batch.topic, 'events')
    assert.equal(batch.partition, 0)
    assert.equal(batch.firstOffset, 0n)
  }))

test('a second member joining makes the first emit REBALANCING, then GROUP_JOIN with its share', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'shared', 2)
    const first = client.consumer({ groupId: 'pair', sessionTimeout: 1_500 })
    const { events } = record(first)
    await first.connect()
    await first.subscribe({ topics: ['shared'], fromBeginning: true })
    await first.run({ eachMessage: async () => {} })
    const joins = () => events.filter((e) => e.type === first.events.GROUP_JOIN)
    await until(() => joins().length === 1, 'the first join')
    assert.deepEqual(joins()[0].payload.memberAssignment, { shared: [0, 1] })

    const second = client.consumer({ groupId: 'pair', sessionTimeout: 1_500 })
    await second.connect()
    await second.subscribe({ topics: ['shared'], fromBeginning: true })
    // The second member's run() resolves once it joined (which waits for the first to rejoin).
    await second.run({ eachMessage: async () => {} })
    await until(() => joins().length === 2, 'the rejoin')
    const kinds = events.map((e) => short(e.type)).filter((k) => ['group_join', 'rebalancing'].includes(k))
    assert.deepEqual(kinds, ['group_join', 'rebalancing', 'group_join'])
    const rebalancing = events.find((e) => e.type === first.events.REBALANCING).payload
    assert.deepEqual(rebalancing, { groupId: 'pair', memberId: joins()[0].payload.memberId })
    const rejoin = joins()[1].payload
    assert.equal(Object.values(rejoin.memberAssignment).flat().length, 1, JSON.stringify(rejoin.memberAssignment))
    assert.ok(rejoin.generationId > joins()[0].payload.generationId)
    await second.disconnect()
    await first.disconnect()
  }))
