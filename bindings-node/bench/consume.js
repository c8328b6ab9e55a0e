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

const { parseArgs, withClient, createTopic, sendAll, run } = require('./common.js')

const DEFAULTS = {
  brokers: null,
  count: 1_000_000,
  partitions: 4,
  messageSize: 100,
  mode: 'both',
  fill: 'yes',
  topic: `node-consume-bench-${process.pid}`,
}

/** A connected consumer in a fresh group, subscribed from the beginning. */
async function freshConsumer(client, opts, name) {
  const consumer = client.consumer({ groupId: `${name}-${process.pid}-${Date.now()}` })
  await consumer.connect()
  await consumer.subscribe({ topics: [opts.topic], fromBeginning: true })
  return consumer
}

/** Reads `count` messages with `eachMessage`; returns [messages timed, seconds, valueBytes]. */
async function consumeEach(client, opts) {
  const consumer = await freshConsumer(client, opts, 'each')
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

/** Reads `count` messages with the async iterator; returns [messages timed, seconds, valueBytes]. */
async function consumeIterator(client, opts) {
  const consumer = await freshConsumer(client, opts, 'iter')
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
  const opts = parseArgs(DEFAULTS, process.argv.slice(2))
  if (!['each', 'iterator', 'both'].includes(opts.mode)) throw new Error(`unknown --mode ${opts.mode}`)
  if (!['yes', 'no'].includes(opts.fill)) throw new Error(`--fill takes yes or no, not ${opts.fill}`)
  await withClient(opts, 'node-consume-bench', async (client, broker) => {
    if (opts.fill === 'yes') {
      await createTopic(client, opts.topic, opts.partitions)
      const producer = client.producer({ lingerMs: 5 })
      await producer.connect()
      const value = Buffer.alloc(opts.messageSize, 0x61)
      await sendAll(producer, { topic: opts.topic, value, count: opts.count, batch: 1000, inFlight: 8 })
      await producer.disconnect()
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
    const summary = {
      mode: 'consume',
      runtime: `node ${process.version}`,
      broker,
      topic: opts.topic,
      count: opts.count,
      partitions: opts.partitions,
      messageSize: opts.messageSize,
      ...results,
    }
    console.log(JSON.stringify(summary, null, 2))
  })
}

run(main)
