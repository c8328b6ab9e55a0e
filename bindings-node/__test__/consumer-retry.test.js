'use strict'
// Scenario: run() survives retriable failures with KafkaJS's `retry` backoff (the failed message
// is handed out again, nothing is skipped); a fatal error (`retriable: false`) crashes at once
// without a restart; retries exhausted crash with `restart: true` and the loop starts again,
// unless `restartOnFailure` says no. Bad retry options are an InvalidArgument.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { TEST_TIMEOUT_MS, withBroker, createTopic } = require('./helpers.js')
const { RustLog, ErrorCode } = require('..')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(check, what, ms = 10_000) {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

async function setup(client, topic, count) {
  await createTopic(client, topic, 1)
  const producer = client.producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: `m${i}` })) })
  await producer.disconnect()
}

async function committed(client, groupId, topic) {
  const admin = client.admin()
  await admin.connect()
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
  await admin.disconnect()
  return offsets.partitions[0].offset
}

test('a retriable handler failure is retried with backoff and the message handed out again', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await setup(client, 'flaky', 3)
    const consumer = client.consumer({ groupId: 'flaky', retry: { retries: 5, initialRetryTime: 20, maxRetryTime: 100 } })
    const crashes = []
    consumer.on(consumer.events.CRASH, (e) => crashes.push(e))
    await consumer.connect()
    await consumer.subscribe({ topics: ['flaky'], fromBeginning: true })
    const seen = []
    let failures = 0
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.offset)
        // A plain Error is retriable (KafkaJS's rule); so is a RustLogError marked retriable.
        if (message.offset === 1n && failures < 2) {
          failures++
          throw new Error('try again')
        }
      },
    })
    await until(() => seen.length === 5, 'five deliveries')
    await sleep(100)
    await consumer.stop()
    assert.deepEqual(seen, [0n, 1n, 1n, 1n, 2n])
    assert.equal(crashes.length, 0)
    await consumer.disconnect()
    assert.equal(await committed(client, 'flaky', 'flaky'), 3n)
  }))

test('a fatal handler error crashes at once, with restart: false, and is not retried', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await setup(client, 'fatal', 3)
    const consumer = client.consumer({ groupId: 'fatal', retry: { retries: 5, initialRetryTime: 20 } })
    const events = []
    const crashed = new Promise((resolve) =>
      consumer.on(consumer.events.CRASH, (e) => {
        events.push('crash')
        resolve(e.payload)
      }),
    )
    consumer.on(consumer.events.STOP, () => events.push('stop'))
    await consumer.connect()
    await consumer.subscribe({ topics: ['fatal'], fromBeginning: true })
    let calls = 0
    const fatal = Object.assign(new Error('poison message'), { retriable: false })
    await consumer.run({
      eachMessage: async ({ message }) => {
        calls++
        if (message.offset === 1n) throw fatal
      },
    })
    const payload = await crashed
    assert.equal(payload.error, fatal)
    assert.equal(payload.restart, false)
    assert.equal(payload.groupId, 'fatal')
    // As KafkaJS: the loop stops (STOP), then CRASH.
    assert.deepEqual(events, ['stop', 'crash'])
    await sleep(200)
    assert.equal(calls, 2, 'not retried and not restarted')
    await consumer.disconnect()
    assert.equal(await committed(client, 'fatal', 'fatal'), 1n)
  }))

test('retries exhausted: CRASH with restart: true, and the loop restarts; restartOnFailure can refuse', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await setup(client, 'restart', 2)
    const consumer = client.consumer({ groupId: 'restart', retry: { retries: 1, initialRetryTime: 20 } })
    const crashes = []
    consumer.on(consumer.events.CRASH, (e) => crashes.push(e.payload))
    await consumer.connect()
    await consumer.subscribe({ topics: ['restart'], fromBeginning: true })
    const seen = []
    let failures = 0
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.offset)
        if (message.offset === 0n && failures < 2) {
          failures++
          throw new Error('still broken')
        }
      },
    })
    // First try, one retry: both fail; the crash restarts the loop, whose first try succeeds.
    await until(() => seen.length === 4, 'four deliveries')
    assert.deepEqual(seen, [0n, 0n, 0n, 1n])
    assert.equal(crashes.length, 1)
    assert.equal(crashes[0].restart, true)
    assert.equal(crashes[0].error.message, 'still broken')
    await consumer.stop()
    await consumer.disconnect()

    // restartOnFailure(error) resolving false: no restart.
    const asked = []
    const stubborn = client.consumer({
      groupId: 'restart-no',
      retry: { retries: 0, initialRetryTime: 10, restartOnFailure: async (e) => (asked.push(e.message), false) },
    })
    const crashed = new Promise((resolve) => stubborn.on(stubborn.events.CRASH, (e) => resolve(e.payload)))
    await stubborn.connect()
    await stubborn.subscribe({ topics: ['restart'], fromBeginning: true })
    let calls = 0
    await stubborn.run({
      eachMessage: async () => {
        calls++
        throw new Error('always')
      },
    })
    const payload = await crashed
    assert.equal(payload.restart, false)
    assert.deepEqual(asked, ['always'])
    await sleep(200)
    assert.equal(calls, 1)
    await stubborn.disconnect()
  }))

test('bad retry options are refused with InvalidArgument', () => {
  const brokers = ['127.0.0.1:1']
  const isInvalid = (e) => e.code === ErrorCode.InvalidArgument
  for (const retry of [
    { retries: -1 },
    { retries: 1.5 },
    { initialRetryTime: 'soon' },
    { maxRetryTime: -10 },
    { factor: 2 },
    { multiplier: 0.5 },
    { restartOnFailure: true },
    { retry: 3 },
    'often',
  ]) {
    assert.throws(() => new RustLog({ brokers, retry }), isInvalid, JSON.stringify(retry))
    assert.throws(() => new RustLog({ brokers }).consumer({ groupId: 'g', retry }), isInvalid, JSON.stringify(retry))
  }
  assert.throws(() => new RustLog({ brokers, retry: { retries: 1, bogus: 2 } }), (e) => isInvalid(e) && /bogus/.test(e.message))
  // Good ones: the client's and the consumer's merge.
  const client = new RustLog({ brokers, retry: { retries: 3, initialRetryTime: 50, restartOnFailure: async () => true } })
  client.consumer({ groupId: 'g', retry: { maxRetryTime: 1000, factor: 0, multiplier: 1.5, retries: Infinity } })
})
