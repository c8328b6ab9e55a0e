'use strict'
// One KafkaJS group member as its own process, so a test can kill it with -9 mid-stream:
//   node kafka-group-member.js <bootstrap> <groupId> <topic> [assigners] [commits]
// `assigners` lists the protocols to offer in order of preference, comma-separated: `roundrobin`
// (KafkaJS's default, also when omitted) and `range` (./kafka-range-assigner.js). `commits` is
// `each` (the default: commitOffsets inside eachMessage, after each record) or `auto` (KafkaJS's
// autoCommit, after each batch).
// Prints one JSON line per event on stdout: `{"assigned":[partitions]}` after each join, then
// `{"partition":p,"offset":"o","value":"v"}` per record, written BEFORE its offset is committed
// (with `each`): a member killed in between leaves at most its last record per
// partition uncommitted, which the group hands to another member again. SIGTERM leaves cleanly. A
// crash (e.g. INCONSISTENT_GROUP_PROTOCOL) prints `{"crash":"<error type>"}` and exits 2.

const { Kafka, logLevel, PartitionAssigners } = require('kafkajs')
const { RangeAssigner } = require('./kafka-range-assigner.js')

const ASSIGNERS = { roundrobin: PartitionAssigners.roundRobin, range: RangeAssigner }

/** Kept short so a killed member's partitions move on within a test's time. */
const SESSION_TIMEOUT_MS = 6_000
const HEARTBEAT_INTERVAL_MS = 500

async function main() {
  const [bootstrap, groupId, topic, assigners = 'roundrobin', commits = 'each'] = process.argv.slice(2)
  const kafka = new Kafka({
    clientId: `member-${process.pid}`,
    brokers: [bootstrap],
    // stdout carries the events: KafkaJS's own log (KAFKAJS_LOG_LEVEL, e.g. DEBUG) goes to stderr.
    logLevel: logLevel[process.env.KAFKAJS_LOG_LEVEL ?? 'NOTHING'] ?? logLevel.NOTHING,
    logCreator: () => (entry) => process.stderr.write(`[member ${process.pid}] ${JSON.stringify(entry)}\n`),
  })
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: SESSION_TIMEOUT_MS,
    rebalanceTimeout: 10_000,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    maxWaitTimeInMs: 100,
    partitionAssigners: assigners.split(',').map((name) => ASSIGNERS[name]),
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
  })
  const print = (event) => process.stdout.write(`${JSON.stringify(event)}\n`)
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    print({ assigned: (payload.memberAssignment[topic] ?? []).slice().sort((a, b) => a - b) })
  })
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) return // retriable: KafkaJS restarts the consumer itself
    // Exit once the line is out: writes to a pipe are asynchronous.
    process.stdout.write(`${JSON.stringify({ crash: payload.error.type ?? payload.error.name })}\n`, () => process.exit(2))
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    autoCommit: commits === 'auto',
    eachMessage: async ({ partition, message }) => {
      print({ partition, offset: message.offset, value: String(message.value) })
      if (commits === 'each') {
        await consumer.commitOffsets([{ topic, partition, offset: String(BigInt(message.offset) + 1n) }])
      }
    },
  })
  process.once('SIGTERM', () => {
    consumer.disconnect().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`)
  process.exit(1)
})
