'use strict'
// Producer throughput from Node: 100-byte messages in batched sends (one native call per send),
// several sends in flight. Mirrors `rustlog bench --mode produce` (4 partitions, 100-byte
// values, 1,000,000 messages, acks leader) so the two figures can be compared.
//
//   node bench/produce.js [--brokers host:port] [--count N] [--batch N] [--in-flight N]
//                         [--partitions N] [--message-size N] [--linger-ms N] [--acks leader]
//
// Without --brokers it starts an embedded broker in a temp dir (same process).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { RustLog } = require('..')

function parseArgs(argv) {
  const opts = {
    brokers: null,
    count: 1_000_000,
    batch: 1000,
    inFlight: 8,
    partitions: 4,
    messageSize: 100,
    lingerMs: 5,
    acks: 'leader',
    topic: `node-bench-${process.pid}`,
  }
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase())
    if (!(key in opts)) throw new Error(`unknown option ${argv[i]}`)
    const v = argv[i + 1]
    opts[key] = typeof opts[key] === 'number' ? Number(v) : v
  }
  return opts
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  let broker = null
  let dataDir = null
  if (opts.brokers === null) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rustlog-node-bench-'))
    broker = await RustLog.startEmbeddedBroker({ dataDir, port: 0 })
  }
  const brokers = broker ? broker.brokers : opts.brokers.split(',')
  const client = new RustLog({ brokers, clientId: 'node-bench' })
  try {
    const admin = client.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: opts.topic, numPartitions: opts.partitions }] })
    await admin.disconnect()

    const producer = client.producer({ lingerMs: opts.lingerMs, acks: opts.acks })
    await producer.connect()
    const value = Buffer.alloc(opts.messageSize, 0x61)
    const messages = Array.from({ length: opts.batch }, () => ({ value }))

    let sent = 0
    let acked = 0
    const started = process.hrtime.bigint()
    async function worker() {
      while (sent < opts.count) {
        const n = Math.min(opts.batch, opts.count - sent)
        sent += n
        const results = await producer.send({ topic: opts.topic, messages: n === opts.batch ? messages : messages.slice(0, n) })
        acked += results.length
      }
    }
    await Promise.all(Array.from({ length: opts.inFlight }, worker))
    await producer.flush()
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    await producer.disconnect()

    const summary = {
      mode: 'produce',
      runtime: `node ${process.version}`,
      broker: broker ? 'embedded (same process)' : brokers.join(','),
      messages: acked,
      messageSize: opts.messageSize,
      batch: opts.batch,
      inFlight: opts.inFlight,
      partitions: opts.partitions,
      lingerMs: opts.lingerMs,
      acks: opts.acks,
      seconds: Number(seconds.toFixed(3)),
      msgsPerSec: Math.round(acked / seconds),
      mbPerSec: Number(((acked * opts.messageSize) / seconds / 1e6).toFixed(1)),
    }
    console.log(JSON.stringify(summary, null, 2))
  } finally {
    if (broker) await broker.stop()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
