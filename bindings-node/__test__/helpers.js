'use strict'
// Shared test setup: every test gets its own embedded broker in a fresh temp dir on a free port,
// and stops it afterwards.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const assert = require('node:assert/strict')
const { RustLog, RustLogError, ErrorCode } = require('..')

/** Per-test time limit: nothing here may hang the suite. */
const TEST_TIMEOUT_MS = 30_000

function tempDir(prefix = 'rustlog-node-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

/**
 * Runs `fn({ broker, client, dataDir })` against a fresh embedded broker and always stops it.
 */
async function withBroker(fn) {
  const dataDir = tempDir()
  const broker = await RustLog.startEmbeddedBroker({ dataDir, port: 0 })
  const client = new RustLog({ brokers: broker.brokers, clientId: 'node-test', requestTimeout: 5_000 })
  try {
    return await fn({ broker, client, dataDir })
  } finally {
    await broker.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

async function createTopic(client, topic, numPartitions = 1, configEntries) {
  const admin = client.admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions, configEntries }] })
  } finally {
    await admin.disconnect()
  }
}

/** Collects `count` messages with an iterator, failing after `timeoutMs`. */
async function take(consumer, count, timeoutMs = 10_000) {
  const out = []
  const timer = setTimeout(() => consumer.stop(), timeoutMs)
  try {
    for await (const m of consumer) {
      out.push(m)
      if (out.length === count) break
    }
  } finally {
    clearTimeout(timer)
  }
  if (out.length !== count) throw new Error(`got ${out.length} of ${count} messages within ${timeoutMs} ms`)
  return out
}

/** Resolves with the error a promise rejects with; fails if it resolves. */
async function rejectionOf(promise) {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

/** Partition 0 of `topic` as the admin describes it (`highWatermark`, `sizeBytes`, ...). */
async function partition0(client, topic) {
  const admin = client.admin()
  await admin.connect()
  try {
    const { topics } = await admin.describeTopics({ topics: [topic] })
    return topics[0].partitions[0]
  } finally {
    await admin.disconnect()
  }
}

/** Reads `count` messages of `topic` from the beginning with a fresh group. */
async function readAll(client, topic, count) {
  const consumer = client.consumer({ groupId: `g-${topic}` })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  try {
    return await take(consumer, count)
  } finally {
    await consumer.disconnect()
  }
}

/** An assert.throws / rejects check: a RustLogError InvalidArgument whose message matches. */
function isInvalidArgument(pattern) {
  return (err) => {
    assert.ok(err instanceof RustLogError, `a RustLogError, got ${err}`)
    assert.equal(err.code, ErrorCode.InvalidArgument)
    assert.equal(err.name, 'InvalidArgument')
    assert.match(err.message, pattern)
    return true
  }
}

module.exports = {
  TEST_TIMEOUT_MS,
  tempDir,
  withBroker,
  createTopic,
  take,
  rejectionOf,
  partition0,
  readAll,
  isInvalidArgument,
}
