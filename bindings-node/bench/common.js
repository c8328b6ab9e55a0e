'use strict'
// What both benchmarks share: `--flag value` parsing onto defaults, and a client on either
// `--brokers` or an embedded broker in a temp dir that is stopped and removed afterwards.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { RustLog } = require('..')

/** `--some-flag v` sets `defaults.someFlag` (a number if the default is one). */
function parseArgs(defaults, argv) {
  const opts = { ...defaults }
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase())
    if (!(key in opts)) throw new Error(`unknown option ${argv[i]}`)
    const v = argv[i + 1]
    opts[key] = typeof opts[key] === 'number' ? Number(v) : v
  }
  return opts
}

/** Runs `fn(client, brokerLabel)` against `opts.brokers`, or an embedded broker when null. */
async function withClient(opts, clientId, fn) {
  let broker = null
  let dataDir = null
  if (opts.brokers === null) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rustlog-node-bench-'))
    broker = await RustLog.startEmbeddedBroker({ dataDir, port: 0 })
  }
  const brokers = broker ? broker.brokers : opts.brokers.split(',')
  const client = new RustLog({ brokers, clientId })
  try {
    return await fn(client, broker ? 'embedded (same process)' : brokers.join(','))
  } finally {
    if (broker) await broker.stop()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

async function createTopic(client, topic, numPartitions) {
  const admin = client.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions }] })
  await admin.disconnect()
}

/**
 * Sends `count` messages of `value` in sends of `batch` messages, `inFlight` sends at a time;
 * resolves to the number acknowledged.
 */
async function sendAll(producer, { topic, value, count, batch, inFlight }) {
  const messages = Array.from({ length: batch }, () => ({ value }))
  let sent = 0
  let acked = 0
  async function worker() {
    while (sent < count) {
      const n = Math.min(batch, count - sent)
      sent += n
      const results = await producer.send({ topic, messages: n === batch ? messages : messages.slice(0, n) })
      acked += results.length
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  return acked
}

/** Exits non-zero with the error printed. */
function run(main) {
  main().catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
}

module.exports = { parseArgs, withClient, createTopic, sendAll, run }
