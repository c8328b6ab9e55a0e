'use strict'
// Scenario: KafkaJS consumer groups on RustLog's Kafka listener (the classic protocol: the broker
// elects a leader, the leader assigns, SyncGroup fans it out). Members run as child processes
// (./kafka-group-member.js) so one can be killed with -9 mid-stream. Two or three members split
// the partitions by the protocol they voted for (KafkaJS's default RoundRobin, or a custom range
// assigner), every record is consumed once by the group, a killed member's partitions move to
// the others after its session times out, and committed offsets survive a broker kill -9.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')
const readline = require('node:readline')
const { withKafkaBroker, createTopics, consumeWithKafkajs, waitFor, kafkajs } = require('./kafka-helpers.js')

/** Joins, a session timeout (6 s in the member script) and a rebalance fit in here. */
const GROUP_TEST_TIMEOUT_MS = 60_000
const PARTITIONS = 6
const MEMBER_SCRIPT = path.join(__dirname, 'kafka-group-member.js')

/** A group member process and what it printed. */
class Member {
  constructor(bootstrap, groupId, topic, assigners, commits) {
    this.child = spawn(process.execPath, [MEMBER_SCRIPT, bootstrap, groupId, topic, assigners, commits], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    this.assignments = [] // one per join, latest last
    this.records = [] // { partition, offset, value } in order
    this.crash = null
    this.exited = new Promise((resolve) => this.child.once('exit', resolve))
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      const event = JSON.parse(line)
      if (event.assigned) this.assignments.push(event.assigned)
      else if (event.crash) this.crash = event.crash
      else this.records.push(event)
    })
  }

  get assigned() {
    return this.assignments.at(-1) ?? null
  }

  /** kill -9 by PID: no LeaveGroup, no last commit. */
  async kill9() {
    process.kill(this.child.pid, 'SIGKILL')
    await this.exited
  }

  /** SIGTERM: the member leaves the group and exits. */
  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    process.kill(this.child.pid, 'SIGTERM')
    await this.exited
  }
}

function spawnMembers(count, bootstrap, groupId, topic, assigners = 'roundrobin', commits = 'each') {
  return Array.from({ length: count }, () => new Member(bootstrap, groupId, topic, assigners, commits))
}

/** Resolves when the members' latest assignments split all partitions, none left without. */
function waitForSplit(members, what = 'the partitions split between the members') {
  return waitFor(what, () => {
    const sets = members.map((m) => m.assigned)
    if (sets.some((s) => s === null || s.length === 0)) return false
    const all = sets.flat().sort((a, b) => a - b)
    return all.length === PARTITIONS && all.every((p, i) => p === i) && sets
  })
}

const sortedSets = (sets) => sets.map((s) => s.join(',')).sort()

/** Sends `perPartition` records to each partition, values `p<partition>-<i>` from `from`. */
async function produceRound(producer, topic, from, perPartition) {
  const messages = []
  for (let i = from; i < from + perPartition; i++) {
    for (let partition = 0; partition < PARTITIONS; partition++) messages.push({ partition, value: `p${partition}-${i}` })
  }
  await producer.send({ topic, messages })
}

const recordId = (r) => `${r.partition}@${r.offset}`

test('three members (default RoundRobin) split six partitions; the group consumes every record once', { timeout: GROUP_TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ broker, kafka }) => {
    await createTopics(kafka, [{ topic: 'split', numPartitions: PARTITIONS }])
    const members = spawnMembers(3, broker.kafka, 'split-group', 'split')
    try {
      const sets = await waitForSplit(members)
      // RoundRobin over 3 members in member-id order: partitions k and k+3 go together.
      assert.deepEqual(sortedSets(sets), ['0,3', '1,4', '2,5'])
      const producer = kafka.producer()
      await producer.connect()
      await produceRound(producer, 'split', 0, 10)
      await producer.disconnect()
      const total = () => members.reduce((n, m) => n + m.records.length, 0)
      await waitFor('60 records consumed', () => total() >= 60)
      const ids = members.flatMap((m) => m.records.map(recordId))
      assert.equal(new Set(ids).size, 60, 'no record consumed twice')
      for (const m of members) {
        assert.ok(m.records.every((r) => m.assigned.includes(r.partition)), 'each member reads only its partitions')
      }
    } finally {
      await Promise.all(members.map((m) => m.stop()))
    }
  }))

test('the members vote the protocol: range when all prefer it, roundrobin once a member offers only that', { timeout: GROUP_TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ broker, kafka }) => {
    await createTopics(kafka, [{ topic: 'votes', numPartitions: PARTITIONS }])
    const members = spawnMembers(2, broker.kafka, 'vote-group', 'votes', 'range,roundrobin')
    try {
      assert.deepEqual(sortedSets(await waitForSplit(members, 'a range split')), ['0,1,2', '3,4,5'])
      members.push(...spawnMembers(1, broker.kafka, 'vote-group', 'votes', 'roundrobin'))
      const sets = await waitForSplit(members, 'a roundrobin split of three')
      assert.deepEqual(sortedSets(sets), ['0,3', '1,4', '2,5'])
      // A member with no protocol in common with the group is refused.
      const [odd] = spawnMembers(1, broker.kafka, 'vote-group', 'votes', 'range')
      members.push(odd)
      await waitFor('the range-only member to crash', () => odd.crash)
      assert.equal(odd.crash, 'INCONSISTENT_GROUP_PROTOCOL')
    } finally {
      await Promise.all(members.map((m) => m.stop()))
    }
  }))

test('a member killed with -9 mid-stream: the others take over its partitions from its commits', { timeout: GROUP_TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ broker, kafka }) => {
    await createTopics(kafka, [{ topic: 'stream', numPartitions: PARTITIONS }])
    const members = spawnMembers(3, broker.kafka, 'stream-group', 'stream')
    const producer = kafka.producer()
    await producer.connect()
    try {
      await waitForSplit(members)
      const [victim, ...survivors] = members
      const victimPartitions = victim.assigned
      await produceRound(producer, 'stream', 0, 10)
      await waitFor('the victim to consume some records', () => victim.records.length >= 5)
      await victim.kill9()
      await produceRound(producer, 'stream', 10, 10)
      await waitForSplit(survivors, "the survivors to split the victim's partitions")
      await produceRound(producer, 'stream', 20, 10)

      const consumed = () => new Set(members.flatMap((m) => m.records.map(recordId)))
      await waitFor('all 180 records consumed by the group', () => consumed().size === 180)
      const bySurvivors = survivors.flatMap((m) => m.records.map(recordId))
      assert.equal(new Set(bySurvivors).size, bySurvivors.length, 'no survivor record twice')
      // The survivors resumed from the victim's commits: what it read is handed out again only
      // for its last record per partition (printed, then killed before the commit).
      const again = victim.records.map(recordId).filter((id) => bySurvivors.includes(id))
      const lastPerPartition = new Map(victim.records.map((r) => [r.partition, recordId(r)]))
      assert.ok(again.every((id) => [...lastPerPartition.values()].includes(id)), `re-read: ${again}`)
      for (const p of victimPartitions) {
        assert.ok(survivors.some((m) => m.assigned.includes(p)), `partition ${p} taken over`)
      }
    } finally {
      await producer.disconnect()
      await Promise.all(members.map((m) => m.stop()))
    }
  }))

test('committed offsets survive a broker kill -9 and restart; the group resumes after them', { timeout: GROUP_TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ broker, kafka }) => {
    await createTopics(kafka, [{ topic: 'durable', numPartitions: 2 }])
    const producer = kafka.producer()
    await producer.connect()
    const values = (from, to) => Array.from({ length: to - from }, (_, i) => ({ partition: (from + i) % 2, value: `v${from + i}` }))
    await producer.send({ topic: 'durable', messages: values(0, 10) })
    await producer.disconnect()
    const first = await consumeWithKafkajs(kafka, { topics: ['durable'], count: 10, groupId: 'durable-group' })
    assert.equal(first.length, 10)
    const committed = async (client) => {
      const admin = client.admin()
      await admin.connect()
      try {
        const [{ partitions }] = await admin.fetchOffsets({ groupId: 'durable-group', topics: ['durable'] })
        return JSON.stringify(partitions.map((p) => [p.partition, p.offset]).sort())
      } finally {
        await admin.disconnect()
      }
    }
    const bothAtFive = JSON.stringify([[0, '5'], [1, '5']])
    await waitFor('the group to commit offset 5 on both partitions', async () => (await committed(kafka)) === bothAtFive)

    await broker.restartAfterKill9()
    const after = kafkajs(broker.kafka)
    assert.equal(await committed(after), bothAtFive)
    const again = after.producer()
    await again.connect()
    await again.send({ topic: 'durable', messages: values(10, 14) })
    await again.disconnect()
    const resumed = await consumeWithKafkajs(after, { topics: ['durable'], count: 4, groupId: 'durable-group' })
    assert.deepEqual(resumed.map(({ message }) => String(message.value)).sort(), ['v10', 'v11', 'v12', 'v13'])
    assert.deepEqual(resumed.map(({ message }) => message.offset).sort(), ['5', '5', '6', '6'])
  }))

/**
 * One member process (`commits`: `auto` is KafkaJS's autoCommit, `each` a commit inside
 * eachMessage) reads v0..v9, the broker is killed with -9 and restarted on the same ports, v10..v19
 * are produced; returns the values the member printed, in order, once it has read v10..v19.
 */
async function acrossBrokerRestart(broker, kafka, commits) {
  await createTopics(kafka, [{ topic: 'outlived', numPartitions: 2 }])
  const send = async (client, from, to) => {
    const producer = client.producer()
    await producer.connect()
    const messages = Array.from({ length: to - from }, (_, i) => ({ partition: (from + i) % 2, value: `v${from + i}` }))
    await producer.send({ topic: 'outlived', messages })
    await producer.disconnect()
  }
  const [member] = spawnMembers(1, broker.kafka, 'outlived-group', 'outlived', 'roundrobin', commits)
  try {
    await send(kafka, 0, 10)
    await waitFor('ten records consumed', () => member.records.length >= 10)
    const admin = kafka.admin()
    await admin.connect()
    await waitFor('the commits of all ten', async () => {
      const [{ partitions }] = await admin.fetchOffsets({ groupId: 'outlived-group', topics: ['outlived'] })
      return partitions.every((p) => p.offset === '5')
    })
    await admin.disconnect()

    await broker.restartAfterKill9()
    await send(kafkajs(broker.kafka), 10, 20)
    const values = () => member.records.map((r) => r.value)
    const afterRestart = Array.from({ length: 10 }, (_, i) => `v${10 + i}`)
    await waitFor(
      () => `v10..v19 after the restart (crash: ${member.crash}; read: ${values()})`,
      () => member.crash === null && afterRestart.every((v) => values().includes(v)),
    )
    return values()
  } finally {
    await member.stop()
  }
}

test('an autoCommit member resumes after its commits across a broker kill -9 and restart', { timeout: GROUP_TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ broker, kafka }) => {
    const values = await acrossBrokerRestart(broker, kafka, 'auto')
    const before = Array.from({ length: 10 }, (_, i) => `v${i}`)
    assert.deepEqual(
      values.filter((v) => before.includes(v)).sort(),
      before.sort(),
      'what was committed before the kill is not read again',
    )
  }))

// A Kafka group's members and generation survive a broker restart (as Kafka reloads them), so a
// member committing inside eachMessage keeps going; KafkaJS would crash on UNKNOWN_MEMBER_ID.
test('a member committing each record reads every record once across a broker kill -9 and restart', { timeout: GROUP_TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ broker, kafka }) => {
    const values = await acrossBrokerRestart(broker, kafka, 'each')
    assert.deepEqual(values.slice().sort(), Array.from({ length: 20 }, (_, i) => `v${i}`).sort())
  }))
