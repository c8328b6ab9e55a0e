'use strict'
// Scenario: failures arrive as RustLogError with the shared protocol code, name and retriable.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const net = require('node:net')
const fs = require('node:fs')
const path = require('node:path')
const { TEST_TIMEOUT_MS, withBroker, createTopic, rejectionOf } = require('./helpers.js')
const { RustLog, RustLogError, ErrorCode } = require('..')

/** VALUE_BYTES_MAX in rustlog_protocol::limits is 4 MiB. */
const VALUE_BYTES_TOO_MANY = 4 * 1024 * 1024 + 1

/**
 * The shared table (`rustlog_protocol::ErrorCode::ALL`), spelled out so that a wrong number fails
 * here: below 1000 Kafka's numbers (`Unknown` is Kafka's -1 as 16 bits), 1000-1999 RustLog-only
 * broker codes, 2000 and up client-only codes.
 */
const EXPECTED_CODES = {
  None: 0,
  Unknown: 65535,
  OffsetOutOfRange: 1,
  CorruptRecord: 2,
  TopicNotFound: 3,
  RequestTimedOut: 7,
  RecordTooLarge: 10,
  OffsetMetadataTooLarge: 12,
  CoordinatorNotAvailable: 15,
  NotCoordinator: 16,
  InvalidTopicName: 17,
  InvalidRequiredAcks: 21,
  IllegalGeneration: 22,
  InconsistentGroupProtocol: 23,
  InvalidGroupId: 24,
  UnknownMemberId: 25,
  InvalidSessionTimeout: 26,
  RebalanceInProgress: 27,
  UnsupportedVersion: 35,
  TopicAlreadyExists: 36,
  InvalidPartitions: 37,
  InvalidReplicationFactor: 38,
  InvalidConfig: 40,
  InvalidRequest: 42,
  OutOfOrderSequenceNumber: 45,
  InvalidProducerEpoch: 47,
  StorageError: 56,
  UnknownProducerId: 59,
  NonEmptyGroup: 68,
  GroupNotFound: 69,
  UnsupportedCompressionType: 76,
  MemberIdRequired: 79,
  GroupMaxSizeReached: 81,
  FencedInstanceId: 82,
  GroupSubscribedToTopic: 86,
  InvalidRecord: 87,
  PartitionNotFound: 1000,
  UnknownApiKey: 1001,
  DiskFull: 1002,
  BrokerShuttingDown: 1003,
  TooManyConnections: 1004,
  Throttled: 1005,
  Disconnected: 2000,
  TimedOut: 2001,
  Closed: 2002,
  InvalidArgument: 2003,
  ProtocolViolation: 2004,
}

test('ErrorCode covers the whole table with the right numbers', () => {
  assert.deepEqual({ ...ErrorCode }, EXPECTED_CODES)
  for (const [name, code] of Object.entries(EXPECTED_CODES)) {
    const e = new RustLogError('x', { code })
    assert.equal(e.code, code, name)
    assert.equal(e.name, name)
  }
})

test('lib/index.d.ts declares every code with its number', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'lib', 'index.d.ts'), 'utf8')
  const block = /export declare const ErrorCode: [^{]*\{([^}]*)\}/.exec(dts)
  assert.ok(block, 'no ErrorCode declaration in lib/index.d.ts')
  const declared = Object.fromEntries(
    [...block[1].matchAll(/readonly (\w+): (\d+)/g)].map(([, name, code]) => [name, Number(code)]),
  )
  assert.deepEqual(declared, { ...ErrorCode })
})

test('the error table mirrors rustlog_protocol::ErrorCode', () => {
  assert.equal(ErrorCode.None, 0)
  assert.equal(ErrorCode.TopicNotFound, 3, "Kafka's UNKNOWN_TOPIC_OR_PARTITION")
  assert.equal(ErrorCode.Unknown, 65535, "Kafka's -1")
  assert.equal(ErrorCode.PartitionNotFound, 1000, 'RustLog-only')
  assert.equal(ErrorCode.Disconnected, 2000)
  const e = new RustLogError('boom', { code: ErrorCode.RequestTimedOut })
  assert.ok(e instanceof Error)
  assert.equal(e.name, 'RequestTimedOut')
  assert.equal(e.retriable, true)
  assert.equal(new RustLogError('busy', { code: ErrorCode.CoordinatorNotAvailable }).retriable, true)
  assert.equal(new RustLogError('gone', { code: 4242 }).name, 'Unknown', 'a number outside the table')
})

test('producing to a missing topic rejects with TopicNotFound', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    const producer = client.producer()
    await producer.connect()
    const err = await rejectionOf(producer.send({ topic: 'nowhere', messages: [{ value: 'x' }] }))
    assert.ok(err instanceof RustLogError, `got ${err}`)
    assert.equal(err.code, ErrorCode.TopicNotFound)
    assert.equal(err.name, 'TopicNotFound')
    assert.equal(err.retriable, false)
    assert.match(err.message, /nowhere/)
    await producer.disconnect()
  }))

test('an oversized record rejects with RecordTooLarge and the producer keeps working', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 'big')
    const producer = client.producer()
    await producer.connect()
    const err = await rejectionOf(
      producer.send({ topic: 'big', messages: [{ value: Buffer.alloc(VALUE_BYTES_TOO_MANY) }] }),
    )
    assert.ok(err instanceof RustLogError, `got ${err}`)
    assert.equal(err.code, ErrorCode.RecordTooLarge)
    assert.equal(err.name, 'RecordTooLarge')
    const [ok] = await producer.send({ topic: 'big', messages: [{ value: 'small' }] })
    assert.equal(ok.offset, 0n)
    await producer.disconnect()
  }))

test('connecting to a dead broker rejects with the retriable Disconnected', { timeout: TEST_TIMEOUT_MS }, async () => {
  // A port that was free a moment ago: nobody listens there.
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))

  const client = new RustLog({ brokers: [`127.0.0.1:${port}`], requestTimeout: 2_000 })
  const producer = client.producer()
  const err = await rejectionOf(producer.connect())
  assert.ok(err instanceof RustLogError, `got ${err}`)
  assert.equal(err.code, ErrorCode.Disconnected)
  assert.equal(err.name, 'Disconnected')
  assert.equal(err.retriable, true)
  const admin = client.admin()
  assert.equal((await rejectionOf(admin.connect())).code, ErrorCode.Disconnected)
})

test('a broker that stops under a connected producer fails sends with a retriable error', { timeout: TEST_TIMEOUT_MS }, async () => {
  let producer
  await withBroker(async ({ client, broker }) => {
    await createTopic(client, 't')
    // Retries of a retriable failure stop at the delivery timeout.
    producer = client.producer({ deliveryTimeoutMs: 2_000 })
    await producer.connect()
    await producer.send({ topic: 't', messages: [{ value: 'before' }] })
    void broker
  })
  const err = await rejectionOf(producer.send({ topic: 't', messages: [{ value: 'after' }] }))
  assert.ok(err instanceof RustLogError, `got ${err}`)
  assert.ok([ErrorCode.Disconnected, ErrorCode.TimedOut, ErrorCode.BrokerShuttingDown].includes(err.code), `code ${err.code} ${err.name}`)
  assert.equal(err.retriable, true)
  await producer.disconnect()
})

test('bad arguments reject with InvalidArgument before anything is sent', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 't')
    const producer = client.producer()
    await producer.connect()
    for (const bad of [
      { topic: 't', messages: [{ value: 42 }] },
      { topic: 't', messages: [{ key: {}, value: 'x' }] },
      { topic: 't', messages: [{ value: 'x', partition: -1 }] },
      { topic: 't', messages: [{ value: 'x', timestamp: -1 }] },
      { topic: 't', messages: [{ value: 'x', timestamp: 'yesterday' }] },
      { topic: 't', messages: 'nope' },
      { topic: 7, messages: [] },
    ]) {
      const err = await rejectionOf(producer.send(bad))
      assert.ok(err instanceof RustLogError)
      assert.equal(err.code, ErrorCode.InvalidArgument, JSON.stringify(bad))
    }
    const missingPartition = await rejectionOf(producer.send({ topic: 't', messages: [{ value: 'x', partition: 5 }] }))
    assert.equal(missingPartition.code, ErrorCode.PartitionNotFound)
    await producer.disconnect()

    const consumer = client.consumer({ groupId: 'g' })
    const badOffset = await rejectionOf(consumer.commitOffsets([{ topic: 't', partition: 0, offset: 1.5 }]))
    assert.equal(badOffset.code, ErrorCode.InvalidArgument)
    assert.throws(() => new RustLog({ brokers: [] }), (e) => e instanceof RustLogError && e.code === ErrorCode.InvalidArgument)
    assert.throws(() => client.consumer({}), (e) => e.code === ErrorCode.InvalidArgument)
  }))

test('calls on a disconnected producer reject with Closed', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    await createTopic(client, 't')
    const producer = client.producer()
    await producer.connect()
    await producer.disconnect()
    const err = await rejectionOf(producer.send({ topic: 't', messages: [{ value: 'late' }] }))
    assert.equal(err.code, ErrorCode.Closed)
    assert.equal(err.retriable, false)
  }))

test('native conversion failures become InvalidArgument, other foreign errors Unknown', () => {
  const { fromNative } = require('../lib/errors.js')
  const napiTypeError = Object.assign(new Error('Failed to convert napi value String into rust type `u32`'), {
    code: 'NumberExpected',
  })
  assert.equal(fromNative(napiTypeError).code, ErrorCode.InvalidArgument)
  assert.equal(fromNative(new Error('something else')).code, ErrorCode.Unknown)
  const coded = fromNative(new Error('RUSTLOG[7;1] request timed out on the broker'))
  assert.equal(coded.code, ErrorCode.RequestTimedOut)
  assert.equal(coded.name, 'RequestTimedOut')
  assert.equal(coded.retriable, true)
  assert.equal(coded.message, 'request timed out on the broker')
  assert.ok(coded.cause instanceof Error)
})

test('a broker that stops under a running consumer crashes the loop with a retriable RustLogError', { timeout: TEST_TIMEOUT_MS }, async () => {
  let consumer
  let crashed
  await withBroker(async ({ client, broker }) => {
    await createTopic(client, 't')
    // Short timeouts bound how long the client keeps reconnecting before it gives up.
    // No retry: the first failure crashes the loop (a failed poll that was rejoining the group
    // can take the rebalance timeout, 10 s, so retries would stretch this test).
    const impatient = new RustLog({ brokers: broker.brokers, requestTimeout: 1_000, retry: { retries: 0 } })
    consumer = impatient.consumer({ groupId: 'g' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['t'], fromBeginning: true })
    crashed = new Promise((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)))
    // Wait until the consumer joined the group and handled a message, then stop the broker.
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic: 't', messages: [{ value: 'x' }] })
    await producer.disconnect()
    let handled
    const first = new Promise((resolve) => (handled = resolve))
    await consumer.run({ eachMessage: async () => handled() })
    await first
  })
  const err = await crashed
  assert.ok(err instanceof RustLogError, `got ${err}`)
  assert.equal(err.retriable, true, `${err.name}: ${err.message}`)
  // The client closes everything locally, then reports that it could not leave the group.
  const leave = await rejectionOf(consumer.disconnect())
  assert.ok(leave instanceof RustLogError, `got ${leave}`)
  assert.equal(leave.retriable, true, `${leave.name}: ${leave.message}`)
  await consumer.disconnect() // already closed: nothing left to report
})
