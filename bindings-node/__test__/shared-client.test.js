'use strict'
// Scenario: one RustLog is one client. Its admins share one connection for metadata and admin
// requests (producers and consumers add their own for produce and fetch), it connects on the
// first connect(), not when made, and a producer given its own client options gets a client of
// its own. A counting TCP proxy in front of the embedded broker tells the connections apart.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const net = require('node:net')
const { TEST_TIMEOUT_MS, withBroker, createTopic } = require('./helpers.js')
const { RustLog, ErrorCode } = require('..')

/** A proxy to `target` (`host:port`) counting the connections it accepted. */
async function countingProxy(target) {
  const [host, port] = target.split(':')
  const sockets = new Set()
  let accepted = 0
  const server = net.createServer((socket) => {
    accepted += 1
    const upstream = net.connect(Number(port), host)
    for (const s of [socket, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => sockets.delete(s))
    }
    socket.pipe(upstream).pipe(socket)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    address: `127.0.0.1:${server.address().port}`,
    accepted: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(resolve)
      }),
  }
}

test('the producers, consumers and admins of one RustLog share its client', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ broker, client }) => {
    await createTopic(client, 'shared')
    const proxy = await countingProxy(broker.brokers[0])
    try {
      const rustlog = new RustLog({ brokers: [proxy.address], requestTimeout: 5_000 })
      const admins = [rustlog.admin(), rustlog.admin(), rustlog.admin()]
      assert.equal(proxy.accepted(), 0, 'nothing connects before connect()')
      for (const admin of admins) await admin.connect()
      for (const admin of admins) assert.ok((await admin.listTopics()).includes('shared'))
      assert.equal(proxy.accepted(), 1, 'three admins, one connection')

      const producer = rustlog.producer()
      await producer.connect()
      await producer.send({ topic: 'shared', messages: [{ value: 'x' }] })
      assert.equal(proxy.accepted(), 2, 'the producer adds its own connection, nothing else')

      // Its own client options make a producer a client of its own: one more metadata
      // connection besides its produce connection.
      const own = rustlog.producer({ metadataMaxAge: 60_000 })
      await own.connect()
      await own.send({ topic: 'shared', messages: [{ value: 'y' }] })
      assert.equal(proxy.accepted(), 4)

      await Promise.all([producer.disconnect(), own.disconnect(), ...admins.map((a) => a.disconnect())])
    } finally {
      await proxy.close()
    }
  }))

test('connect() on a shared client still fails clearly when no broker answers', { timeout: TEST_TIMEOUT_MS }, async () => {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = server.address().port
  await new Promise((resolve) => server.close(resolve))
  const rustlog = new RustLog({ brokers: [`127.0.0.1:${port}`], connectionTimeout: 300, requestTimeout: 1_000 })
  const admin = rustlog.admin()
  await assert.rejects(admin.connect(), (e) => e.code === ErrorCode.Disconnected || e.code === ErrorCode.TimedOut)
  await assert.rejects(rustlog.producer().connect(), (e) => e.code === ErrorCode.Disconnected || e.code === ErrorCode.TimedOut)
})
