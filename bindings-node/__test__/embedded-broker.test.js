'use strict'
// Scenario: the in-process broker: free port, data kept across restarts, clean errors.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { TEST_TIMEOUT_MS, tempDir, take, rejectionOf } = require('./helpers.js')
const { RustLog, RustLogError, ErrorCode } = require('..')

test('startEmbeddedBroker on port 0 picks a free port and keeps data across a restart', { timeout: TEST_TIMEOUT_MS }, async () => {
  const dataDir = tempDir()
  try {
    const first = await RustLog.startEmbeddedBroker({ dataDir, port: 0 })
    assert.equal(first.brokers.length, 1)
    const [host, port] = first.brokers[0].split(':')
    assert.equal(host, '127.0.0.1')
    assert.ok(Number(port) > 0)
    let client = new RustLog({ brokers: first.brokers })
    const admin = client.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 1 }] })
    await admin.disconnect()
    const producer = client.producer({ acks: 'all' })
    await producer.connect()
    await producer.send({ topic: 'kept', messages: [{ key: 'k', value: 'survives' }] })
    await producer.disconnect()
    await first.stop()
    // Stopping twice is harmless.
    await first.stop()

    const second = await RustLog.startEmbeddedBroker({ dataDir, port: 0 })
    try {
      client = new RustLog({ brokers: second.brokers })
      const consumer = client.consumer({ groupId: 'after-restart' })
      await consumer.connect()
      await consumer.subscribe({ topics: ['kept'], fromBeginning: true })
      const [m] = await take(consumer, 1)
      assert.equal(m.value.toString(), 'survives')
      assert.equal(m.key.toString(), 'k')
      await consumer.disconnect()
    } finally {
      await second.stop()
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})

test('two embedded brokers run side by side on different ports', { timeout: TEST_TIMEOUT_MS }, async () => {
  const dirs = [tempDir(), tempDir()]
  const brokers = await Promise.all(dirs.map((dataDir) => RustLog.startEmbeddedBroker({ dataDir, port: 0 })))
  try {
    assert.notEqual(brokers[0].brokers[0], brokers[1].brokers[0])
  } finally {
    await Promise.all(brokers.map((b) => b.stop()))
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
  }
})

test('startEmbeddedBroker rejects a data dir that is a file and a port in use', { timeout: TEST_TIMEOUT_MS }, async () => {
  const dir = tempDir()
  try {
    const file = path.join(dir, 'not-a-dir')
    fs.writeFileSync(file, 'x')
    const err = await rejectionOf(RustLog.startEmbeddedBroker({ dataDir: file, port: 0 }))
    assert.ok(err instanceof RustLogError, `got ${err}`)
    assert.match(err.message, /not-a-dir/)

    const running = await RustLog.startEmbeddedBroker({ dataDir: path.join(dir, 'a'), port: 0 })
    try {
      const port = Number(running.brokers[0].split(':')[1])
      const busy = await rejectionOf(RustLog.startEmbeddedBroker({ dataDir: path.join(dir, 'b'), port }))
      assert.ok(busy instanceof RustLogError, `got ${busy}`)
      // A data directory belongs to one broker at a time.
      const shared = await rejectionOf(RustLog.startEmbeddedBroker({ dataDir: path.join(dir, 'a'), port: 0 }))
      assert.ok(shared instanceof RustLogError, `got ${shared}`)
    } finally {
      await running.stop()
    }
    // Once stopped, the directory can be opened again.
    const reopened = await RustLog.startEmbeddedBroker({ dataDir: path.join(dir, 'a'), port: 0 })
    await reopened.stop()
    const badPort = await rejectionOf(RustLog.startEmbeddedBroker({ dataDir: dir, port: 70000 }))
    assert.equal(badPort.code, ErrorCode.InvalidArgument)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
