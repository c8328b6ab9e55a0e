'use strict'
// Producer throughput from Node: 100-byte messages in batched sends (one native call per send),
// several sends in flight. Mirrors `rustlog bench --mode produce` (4 partitions, 100-byte
// values, 1,000,000 messages, acks leader) so the two figures can be compared.
//
//   node bench/produce.js [--brokers host:port] [--count N] [--batch N] [--in-flight N]
//                         [--partitions N] [--message-size N] [--linger-ms N] [--acks leader]
//
// Without --brokers it starts an embedded broker in a temp dir (same process).

const { parseArgs, withClient, createTopic, sendAll, run } = require('./common.js')

const DEFAULTS = {
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

async function main() {
  const opts = parseArgs(DEFAULTS, process.argv.slice(2))
  await withClient(opts, 'node-bench', async (client, broker) => {
    await createTopic(client, opts.topic, opts.partitions)
    const producer = client.producer({ lingerMs: opts.lingerMs, acks: opts.acks })
    await producer.connect()
    const value = Buffer.alloc(opts.messageSize, 0x61)
    const started = process.hrtime.bigint()
    const acked = await sendAll(producer, { topic: opts.topic, value, count: opts.count, batch: opts.batch, inFlight: opts.inFlight })
    await producer.flush()
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    await producer.disconnect()

    const summary = {
      mode: 'produce',
      runtime: `node ${process.version}`,
      broker,
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
  })
}

run(main)
