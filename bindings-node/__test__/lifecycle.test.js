'use strict'
// Scenario: the addon never keeps a finished program alive and frees connections on GC.
// Each case runs in a child process so "the process exits by itself" can be observed.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { TEST_TIMEOUT_MS, tempDir } = require('./helpers.js')

const PACKAGE_DIR = path.resolve(__dirname, '..')
/** How long a child may take to exit on its own before it counts as hung. */
const CHILD_EXIT_MS_MAX = 15_000

function runChild(source, args = []) {
  const dataDir = tempDir()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, '-e', source], {
      env: { ...process.env, RUSTLOG_PACKAGE: PACKAGE_DIR, RUSTLOG_DATA: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child did not exit within ${CHILD_EXIT_MS_MAX} ms; stdout: ${stdout} stderr: ${stderr}`))
    }, CHILD_EXIT_MS_MAX)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      fs.rmSync(dataDir, { recursive: true, force: true })
      resolve({ code, signal, stdout, stderr })
    })
  })
}

const SETUP = `
  const { RustLog } = require(process.env.RUSTLOG_PACKAGE)
  async function start() {
    const broker = await RustLog.startEmbeddedBroker({ dataDir: process.env.RUSTLOG_DATA, port: 0 })
    const client = new RustLog({ brokers: broker.brokers })
    const admin = client.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 't', numPartitions: 1 }] })
    await admin.disconnect()
    return { broker, client }
  }
`

test('a running consumer and a lingering send do not keep the process alive after disconnect', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { code, stdout, stderr } = await runChild(`${SETUP}
    ;(async () => {
      const { broker, client } = await start()
      const consumer = client.consumer({ groupId: 'g' })
      await consumer.connect()
      await consumer.subscribe({ topics: ['t'], fromBeginning: true })
      await consumer.run({ eachMessage: async () => {} })
      const producer = client.producer({ lingerMs: 60000 })
      await producer.connect()
      const sent = producer.send({ topic: 't', messages: [{ value: 'x' }] })
      await consumer.disconnect()
      await producer.disconnect()
      const [r] = await sent.catch((e) => [{ offset: e.name }])
      console.log('send settled', String(r.offset))
      await broker.stop()
      console.log('done')
    })()
  `)
  assert.equal(code, 0, stderr)
  assert.match(stdout, /send settled 0/)
  assert.match(stdout, /done/)
})

test('a consumer that is never disconnected does not keep the process alive once its loop is stopped', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { code, stdout, stderr } = await runChild(`${SETUP}
    ;(async () => {
      const { broker, client } = await start()
      const consumer = client.consumer({ groupId: 'g' })
      await consumer.connect()
      await consumer.subscribe({ topics: ['t'], fromBeginning: true })
      await consumer.run({ eachMessage: async () => {} })
      await consumer.stop()
      await broker.stop()
      console.log('done')
    })()
  `)
  assert.equal(code, 0, stderr)
  assert.match(stdout, /done/)
})

test('garbage-collected producers and consumers close their connections', { timeout: TEST_TIMEOUT_MS, skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
  const { code, stdout, stderr } = await runChild(
    `${SETUP}
    const fs = require('node:fs')
    function sockets() {
      let n = 0
      for (const fd of fs.readdirSync('/proc/self/fd')) {
        try { if (fs.readlinkSync('/proc/self/fd/' + fd).startsWith('socket:')) n++ } catch {}
      }
      return n
    }
    const PRODUCERS = 10
    const CONSUMERS = 3
    async function openAndForget(client) {
      for (let i = 0; i < PRODUCERS; i++) {
        const p = client.producer()
        await p.connect()
        await p.send({ topic: 't', messages: [{ value: 'x' }] })
      }
      for (let i = 0; i < CONSUMERS; i++) {
        const c = client.consumer({ groupId: 'gc-' + i })
        await c.connect()
        await c.subscribe({ topics: ['t'], fromBeginning: true })
        for await (const m of c) break
      }
    }
    ;(async () => {
      const { broker, client } = await start()
      const baseline = sockets()
      await openAndForget(client)
      const open = sockets()
      let now = open
      for (let i = 0; i < 100 && now > baseline; i++) {
        global.gc()
        await new Promise((r) => setTimeout(r, 50))
        now = sockets()
      }
      console.log(JSON.stringify({ baseline, open, now }))
      await broker.stop()
    })()
  `,
    ['--expose-gc'],
  )
  assert.equal(code, 0, stderr)
  const { baseline, open, now } = JSON.parse(stdout.trim().split('\n').pop())
  assert.ok(open >= baseline + 13, `connected producers and consumers hold sockets (${baseline} -> ${open})`)
  assert.ok(now <= baseline, `sockets after GC: ${now}, baseline ${baseline}`)
})

test('a crash with no CRASH listener is logged, never an unhandled rejection that ends the process', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { code, signal, stdout, stderr } = await runChild(`${SETUP}
    ;(async () => {
      const { broker, client } = await start()
      const producer = client.producer()
      await producer.connect()
      await producer.send({ topic: 't', messages: [{ value: 'x' }] })
      await producer.disconnect()
      // No restart: the loop ends for good after the crash.
      const once = client.consumer({ groupId: 'g1', retry: { retries: 1, initialRetryTime: 10, restartOnFailure: async () => false } })
      await once.connect()
      await once.subscribe({ topics: ['t'], fromBeginning: true })
      let calls = 0
      await once.run({ eachMessage: async () => { calls++; throw new Error('handler failed on purpose') } })
      while (calls < 2) await new Promise((r) => setTimeout(r, 10))
      await new Promise((r) => setTimeout(r, 300))
      // With the default restart: it crashes, restarts, crashes again; disconnect ends that.
      const again = client.consumer({ groupId: 'g2', retry: { retries: 0, initialRetryTime: 20 } })
      await again.connect()
      await again.subscribe({ topics: ['t'], fromBeginning: true })
      let tries = 0
      await again.run({ eachMessage: async () => { tries++; throw new Error('fails every time') } })
      while (tries < 3) await new Promise((r) => setTimeout(r, 10))
      await again.disconnect()
      await broker.stop()
      console.log('done', calls)
      // The first consumer is still connected: it must not keep the process alive either.
    })()
  `)
  assert.equal(signal, null, stderr)
  assert.equal(code, 0, stderr)
  assert.match(stdout, /done 2/)
  assert.doesNotMatch(stderr, /Unhandled|unhandled/)
  const crashLines = stderr.split('\n').filter((l) => /rustlog: consumer of group g1 crashed/.test(l))
  assert.equal(crashLines.length, 1, stderr)
  assert.match(stderr, /handler failed on purpose/)
  assert.match(stderr, /rustlog: consumer of group g2 crashed, restarting in \d+ ms/)
})
