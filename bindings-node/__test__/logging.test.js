'use strict'
// Scenario: KafkaJS's `logLevel` and `logCreator` on `new RustLog()`. The Rust client's events
// reach a custom logCreator as KafkaJS entries ({ namespace, level, label, log: { message } }):
// a consumer that stops polling past maxPollIntervalMs logs a WARN; logLevel.NOTHING logs none;
// bad options are InvalidArgument.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { RustLog, ErrorCode, logLevel } = require('..')
const { TEST_TIMEOUT_MS, withBroker, createTopic, take } = require('./helpers.js')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const invalid = (pattern) => (e) => e.code === ErrorCode.InvalidArgument && pattern.test(e.message)

/** Runs a consumer that polls once, then stops polling past its 1 s maxPollIntervalMs. */
async function stallConsumer(client, broker, group) {
  await createTopic(client, group, 1)
  const producer = client.producer()
  await producer.connect()
  await producer.send({ topic: group, messages: [{ value: 'one' }] })
  await producer.disconnect()
  const consumer = client.consumer({ groupId: group, maxPollIntervalMs: 1000, sessionTimeout: 3_000 })
  await consumer.connect()
  await consumer.subscribe({ topics: [group], fromBeginning: true })
  await take(consumer, 1)
  await sleep(2_500)
  await consumer.disconnect()
}

test('logLevel is KafkaJS enum', () => {
  assert.deepEqual({ ...logLevel }, { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 })
  assert.ok(Object.isFrozen(logLevel))
})

test('a consumer that stops polling logs a WARN to a custom logCreator', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ broker }) => {
    const entries = []
    const created = []
    const client = new RustLog({
      brokers: broker.brokers,
      logLevel: logLevel.INFO,
      logCreator: (level) => {
        created.push(level)
        return (entry) => entries.push(entry)
      },
    })
    assert.deepEqual(created, [logLevel.INFO])
    await stallConsumer(client, broker, 'stalled')
    const warn = entries.find((e) => e.level === logLevel.WARN && /max_poll_interval_ms/.test(e.log.message))
    assert.ok(warn, `no WARN entry among ${JSON.stringify(entries.map((e) => e.log.message))}`)
    assert.equal(warn.label, 'WARN')
    assert.match(warn.namespace, /^rustlog/)
    assert.match(warn.log.message, /group=stalled/)
    assert.equal(typeof warn.log.timestamp, 'string')
    assert.ok(entries.every((e) => e.level <= logLevel.INFO), 'nothing above the logger level')
  }))

test('logLevel.NOTHING logs nothing', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ broker }) => {
    const entries = []
    const client = new RustLog({ brokers: broker.brokers, logLevel: logLevel.NOTHING, logCreator: () => (e) => entries.push(e) })
    await stallConsumer(client, broker, 'silent')
    assert.deepEqual(entries, [])
  }))

test('bad logLevel or logCreator is InvalidArgument', () => {
  const brokers = ['127.0.0.1:1']
  assert.throws(() => new RustLog({ brokers, logLevel: 3 }), invalid(/logLevel/))
  assert.throws(() => new RustLog({ brokers, logLevel: 'WARN' }), invalid(/logLevel/))
  assert.throws(() => new RustLog({ brokers, logCreator: 'console' }), invalid(/logCreator/))
  assert.throws(() => new RustLog({ brokers, logCreator: () => 42 }), invalid(/logCreator/))
  // Back to the default logger (console, WARN and above) for whatever runs next in this process.
  new RustLog({ brokers, logLevel: logLevel.WARN })
})
