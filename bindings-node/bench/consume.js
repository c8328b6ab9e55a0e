'use strict'
// Consumer throughput from Node, next to `rustlog bench --mode consume`: fills a 4-partition
// topic with 100-byte messages, then reads everything back from the start in a fresh group,
// touching every value. Measured both ways a Node user consumes: `run({ eachMessage })` and
// `for await (const m of consumer)`. Timing starts after the first message (the group join is
// not counted, as in `rustlog bench`).
//
//   node bench/consume.js [--brokers host:port] [--count N] [--partitions N] [--message-size N]
//                         [--mode each|iterator|both] [--fill no]
//
// `--fill no` reads an existing topic (`--topic`) holding at least `--count` messages, e.g. one
// filled by `rustlog bench --mode produce`.
// Without --brokers it starts an embedded broker in a temp dir (same process).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { RustLog } = require('..')

function parseArgs(argv) {
  const opts = {
    brokers: null,
    count: 1_000_000,
    partitions: 4,
    messageSize: 100,
    mode: 'both',
    fill: 'yes',
    topic: `node-consume-bench-${process.pid}`,
  }
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase())
    if (!(key in opts)) throw new Error(`unknown option ${argv[i]}`)
    const v = argv[i + 1]
    opts[key] = typeof opts[key] === 'number' ? Number(v) : v
  }
  if (!['each', 'iterator', 'both'].includes(opts.mode)) throw new Error(`unknown --mode ${opts.mode}`)
  if (!['yes', 'no'].includes(opts.fill)) throw new Error(`--fill takes yes or no, not ${opts.fill}`)
  return opts
}

async function fill(client, opts) {
  const producer = client.producer({ lingerMs: 5 })
  await producer.connect()
  const value = Buffer.alloc(opts.messageSize, 0x61)
  const batch = Array.from({ length: 1000 }, () => ({ value }))
  let sent = 0
  async function worker() {
    while (sent < opts.count) {
      const n = Math.min(batch.length, opts.count - sent)
      sent += n
      await producer.send({ topic: opts.topic, messages: n === batch.length ? batch : batch.slice(0, n) })
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  await producer.disconnect()
}

/** Reads `count` messages with `eachMessage`; returns [messages, seconds, valueBytes]. */
async function consumeEach(client, opts) {
  const consumer = client.consumer({ groupId: `each-${process.pid}-${Date.now()}` })
  await consumer.connect()
  await consumer.subscribe({ topics: [opts.topic], fromBeginning: true })
  let got = 0
  let bytes = 0
  let started = 0n
  let finish
  const done = new Promise((resolve) => {
    finish = resolve
  })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      if (got === 0) started = process.hrtime.bigint()
      bytes += message.value.length
      got += 1
      if (got === opts.count) finish(process.hrtime.bigint())
    },
  })
  const ended = await done
  await consumer.disconnect()
  return [got - 1, Number(ended - started) / 1e9, bytes]
}

/** Reads `count` messages with the async iterator; returns [messages, seconds, valueBytes]. */
async function consumeIterator(client, opts) {
  const consumer = client.consumer({ groupId: `iter-${process.pid}-${Date.now()}` })
  await consumer.connect()
  await consumer.subscribe({ topics: [opts.topic], fromBeginning: true })
  let got = 0
  let bytes = 0
  let started = 0n
  for await (const message of consumer) {
    if (got === 0) started = process.hrtime.bigint()
    bytes += message.value.length
    got += 1
    if (got === opts.count) break
  }
  const ended = process.hrtime.bigint()
  await consumer.disconnect()
  return [got - 1, Number(ended - started) / 1e9, bytes]
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
  const client = new RustLog({ brokers, clientId: 'node-consume-bench' })
  try {
    if (opts.fill === 'yes') {
      const admin = client.admin()
      await admin.connect()
      await admin.createTopics({ topics: [{ topic: opts.topic, numPartitions: opts.partitions }] })
      await admin.disconnect()
      await fill(client, opts)
    }

    const runs = []
    if (opts.mode !== 'iterator') runs.push(['eachMessage', consumeEach])
    if (opts.mode !== 'each') runs.push(['asyncIterator', consumeIterator])
    const results = {}
    for (const [name, consume] of runs) {
      const [messages, seconds, bytes] = await consume(client, opts)
      if (bytes !== opts.count * opts.messageSize) throw new Error(`${name}: read ${bytes} value bytes`)
      results[name] = { messages, seconds: Number(seconds.toFixed(3)), msgsPerSec: Math.round(messages / seconds) }
    }
    console.log(
      JSON.stringify(
        {
          mode: 'consume',
          runtime: `node ${process.version}`,
          broker: broker ? 'embedded (same process)' : brokers.join(','),
          topic: opts.topic,
          count: opts.count,
          partitions: opts.partitions,
          messageSize: opts.messageSize,
          ...results,
        },
        null,
        2,
      ),
    )
  } finally {
    if (broker) await broker.stop()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
