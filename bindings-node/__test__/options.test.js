'use strict'
// Scenario: every constructor is strict. `new RustLog()`, `producer()`, `consumer()` and
// `admin()` refuse option keys they do not take (a typo is an InvalidArgument naming it, not a
// silently ignored setting), and KafkaJS's `ssl` / `sasl` are refused as not supported yet.
// `metadataMaxAge` (KafkaJS's name, on the client and on a producer or consumer) makes a
// producer see partitions another client added.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { TEST_TIMEOUT_MS, withBroker, createTopic, rejectionOf } = require('./helpers.js')
const { RustLog, ErrorCode } = require('..')

const brokers = ['127.0.0.1:1']
const invalid = (pattern) => (e) => e.code === ErrorCode.InvalidArgument && pattern.test(e.message)

test('unknown option keys are refused by every constructor', () => {
  assert.throws(() => new RustLog({ brokers, clientID: 'x' }), invalid(/unknown option "clientID"/))
  // The old name; KafkaJS's is requestTimeout.
  assert.throws(() => new RustLog({ brokers, requestTimeoutMs: 5 }), invalid(/unknown option "requestTimeoutMs".*requestTimeout/))
  assert.throws(() => new RustLog(), invalid(/brokers/))
  assert.throws(() => new RustLog('127.0.0.1:7400'), invalid(/options object/))
  const client = new RustLog({ brokers, clientId: 'c', requestTimeout: 1000, metadataMaxAge: 1000, retry: { retries: 1 } })
  assert.throws(() => client.producer({ linger: 5 }), invalid(/unknown option "linger"/))
  assert.throws(() => client.producer({ retry: { retries: 1 } }), invalid(/retry/))
  assert.throws(() => client.producer(null), invalid(/options object/))
  assert.throws(() => client.consumer({ groupId: 'g', sessionTimeoutMs: 10 }), invalid(/unknown option "sessionTimeoutMs"/))
  assert.throws(() => client.consumer({ groupId: 'g', maxPollInterval: 10 }), invalid(/maxPollInterval/))
  assert.throws(() => client.consumer({ groupId: 'g', heartbeatInterval: 10 }), invalid(/heartbeatInterval/))
  assert.throws(() => client.admin({ retry: { retries: 1 } }), invalid(/unknown option "retry"/))
  // Known keys, undefined values: fine.
  client.producer({ lingerMs: undefined, metadataMaxAge: 500 })
  client.consumer({ groupId: 'g', sessionTimeout: 10_000, maxPollIntervalMs: 60_000, metadataMaxAge: 500, retry: undefined })
  client.admin()
  client.admin({})
})

test('every option value is checked by the client option table, naming the option', () => {
  const client = new RustLog({ brokers })
  assert.throws(() => new RustLog({ brokers, requestTimeout: 0 }), invalid(/requestTimeout must be above zero/))
  assert.throws(() => new RustLog({ brokers, connectionTimeout: -5 }), invalid(/connectionTimeout: -5 is not a non-negative whole number/))
  assert.throws(() => new RustLog({ brokers, clientId: 7 }), invalid(/clientId: 7 is not text/))
  assert.throws(() => client.producer({ lingerMs: 1.5 }), invalid(/lingerMs: 1.5 is not a whole number/))
  assert.throws(() => client.producer({ idempotent: 'yes' }), invalid(/idempotent: "yes" is not true or false/))
  assert.throws(() => client.producer({ acks: 'sometimes' }), invalid(/acks/))
  assert.throws(() => client.producer({ compression: 9 }), invalid(/compression: 9 is not one of none, gzip/))
  assert.throws(() => client.producer({ compression: 'gzip', compressionLevel: 12 }), invalid(/compression_level/))
  assert.throws(() => client.producer({ maxInFlightRequests: { n: 1 } }), invalid(/maxInFlightRequests must be a boolean, a number or a string/))
  assert.throws(() => client.consumer({ groupId: 'g', sessionTimeout: true }), invalid(/sessionTimeout: true is not a non-negative whole number/))
  assert.throws(() => client.consumer({ groupId: 'g', maxBytes: 0 }), invalid(/fetch_max_bytes 0/))
  // Good values of every kind, KafkaJS's spellings included: acks -1, CompressionTypes numbers.
  client.producer({ acks: -1, compression: 4, compressionLevel: 3, idempotent: false, lingerMs: 2, bufferBytesMax: 128 << 20 })
  client.consumer({ groupId: 'g', rebalanceTimeout: 5_000, maxWaitTimeInMs: 100, maxBytes: 1 << 20, maxBytesPerPartition: 1 << 16 })
  new RustLog({ brokers, connectionTimeout: 500, requestTimeout: 2_000 })
})

test('ssl and sasl are refused as not supported yet, unless switched off', () => {
  assert.throws(() => new RustLog({ brokers, ssl: true }), invalid(/ssl is not supported yet/))
  assert.throws(() => new RustLog({ brokers, ssl: { rejectUnauthorized: false } }), invalid(/ssl is not supported yet/))
  assert.throws(() => new RustLog({ brokers, sasl: { mechanism: 'plain', username: 'u', password: 'p' } }), invalid(/sasl is not supported yet/))
  new RustLog({ brokers, ssl: false, sasl: undefined })
})

test('metadataMaxAge must be a positive number of milliseconds', () => {
  for (const bad of [0, -1, 1.5, '100']) {
    assert.throws(() => new RustLog({ brokers, metadataMaxAge: bad }), invalid(/metadataMaxAge/), String(bad))
    assert.throws(() => new RustLog({ brokers }).producer({ metadataMaxAge: bad }), invalid(/metadataMaxAge/), String(bad))
    assert.throws(() => new RustLog({ brokers }).consumer({ groupId: 'g', metadataMaxAge: bad }), invalid(/metadataMaxAge/), String(bad))
  }
})

test('metadataMaxAge: producers see partitions another client added once it has passed', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ broker, client }) => {
    await createTopic(client, 'aging', 1)
    const refreshing = new RustLog({ brokers: broker.brokers, metadataMaxAge: 300 })
    const producers = [refreshing.producer(), client.producer({ metadataMaxAge: 300 })]
    for (const p of producers) await p.connect()
    for (const p of producers) {
      const early = await rejectionOf(p.send({ topic: 'aging', messages: [{ value: 'early', partition: 2 }] }))
      assert.equal(early.code, ErrorCode.PartitionNotFound, `${early.name}: ${early.message}`)
    }
    const admin = client.admin()
    await admin.connect()
    await admin.createPartitions({ topicPartitions: [{ topic: 'aging', count: 3 }] })
    await admin.disconnect()
    for (const p of producers) {
      const deadline = Date.now() + 10_000
      for (;;) {
        try {
          const [meta] = await p.send({ topic: 'aging', messages: [{ value: 'late', partition: 2 }] })
          assert.equal(meta.partition, 2)
          break
        } catch (err) {
          assert.equal(err.code, ErrorCode.PartitionNotFound, `${err.name}: ${err.message}`)
          assert.ok(Date.now() < deadline, 'never refreshed')
          await new Promise((r) => setTimeout(r, 50))
        }
      }
      await p.disconnect()
    }
  }))

/** A local port nothing listens on (bound once, then released). */
async function deadPort() {
  const server = require('node:net').createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return `127.0.0.1:${port}`
}

test('brokers is a bootstrap list: a dead first address falls through to the live one', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ broker, client }) => {
    await createTopic(client, 'bootstrap', 1)
    const fallback = new RustLog({ brokers: [await deadPort(), ...broker.brokers], requestTimeout: 5_000 })
    const admin = fallback.admin()
    await admin.connect()
    assert.ok((await admin.listTopics()).includes('bootstrap'))
    await admin.disconnect()
    const producer = fallback.producer()
    await producer.connect()
    const [meta] = await producer.send({ topic: 'bootstrap', messages: [{ value: 'via the second address' }] })
    assert.equal(meta.offset, 0n)
    await producer.disconnect()
    // Entries are one address each; an empty one is refused when the object is made.
    assert.throws(() => new RustLog({ brokers: ['127.0.0.1:1,127.0.0.1:2'] }).producer(), invalid(/one "host:port"/))
    assert.throws(() => new RustLog({ brokers: ['127.0.0.1:1', ''] }).producer(), invalid(/empty/))
  }))
