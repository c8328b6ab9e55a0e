'use strict'
// Scenario: KafkaJS's admin sees and manages Kafka consumer groups on RustLog: listGroups,
// describeGroups (state, protocol, members and their assignment), fetchOffsets, setOffsets and
// resetOffsets (the group re-reads from there), and deleteGroups, which refuses a group with
// members and a group that does not exist.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { AssignerProtocol } = require('kafkajs')
const { TEST_TIMEOUT_MS, rejectionOf } = require('./helpers.js')
const { withKafkaBroker, createTopics, consumeWithKafkajs, waitFor } = require('./kafka-helpers.js')

async function fill(kafka, topic, count) {
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ partition: i % 2, value: `v${i}` })) })
  await producer.disconnect()
}

/** A running consumer of `topic` in `groupId`, joined (its first assignment received). */
async function joinedConsumer(kafka, groupId, topic) {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 })
  let joined = false
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true))
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({ eachMessage: async () => {} })
  await waitFor('the consumer to join', () => joined)
  return consumer
}

/** The error types of a KafkaJSDeleteGroupsError, per group id. */
function deleteErrors(err) {
  assert.equal(err.name, 'KafkaJSDeleteGroupsError', err.message)
  return Object.fromEntries(err.groups.map((g) => [g.groupId, g.error?.type]))
}

test('listGroups and describeGroups show a running group, its protocol and its members', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ kafka }) => {
    await createTopics(kafka, [{ topic: 'watched', numPartitions: 2 }])
    const consumer = await joinedConsumer(kafka, 'watched-group', 'watched')
    const admin = kafka.admin()
    await admin.connect()
    try {
      const { groups } = await admin.listGroups()
      assert.deepEqual(groups, [{ groupId: 'watched-group', protocolType: 'consumer' }])
      const {
        groups: [group],
      } = await admin.describeGroups(['watched-group'])
      assert.equal(group.errorCode, 0)
      assert.equal(group.state, 'Stable')
      assert.equal(group.protocolType, 'consumer')
      assert.equal(group.protocol, 'RoundRobinAssigner')
      assert.equal(group.members.length, 1)
      const [member] = group.members
      assert.equal(member.clientId, 'kafkajs-test')
      const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment)
      assert.deepEqual(assignment.assignment, { watched: [0, 1] })
      assert.deepEqual(AssignerProtocol.MemberMetadata.decode(member.memberMetadata).topics, ['watched'])

      await consumer.disconnect()
      const {
        groups: [left],
      } = await admin.describeGroups(['watched-group'])
      assert.equal(left.state, 'Empty')
      assert.deepEqual(left.members, [])
    } finally {
      await consumer.disconnect()
      await admin.disconnect()
    }
  }))

/** `[[partition, committed offset], ...]` of `groupId` on `topic`, as JSON for polling. */
async function committed(admin, groupId, topic, resolveOffsets = false) {
  const [{ partitions }] = await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets })
  return JSON.stringify(partitions.map((p) => [p.partition, p.offset]).sort())
}

/** `promise`, or a rejection after `ms` (KafkaJS's setOffsets never settles if its commit fails). */
function within(ms, promise, what) {
  let timer
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

test('fetchOffsets shows the commits; setOffsets moves the group, which then reads from there', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ kafka }) => {
    await createTopics(kafka, [{ topic: 'replayed', numPartitions: 2 }])
    await fill(kafka, 'replayed', 6)
    await consumeWithKafkajs(kafka, { topics: ['replayed'], count: 6, groupId: 'replay-group' })
    const admin = kafka.admin()
    await admin.connect()
    try {
      await waitFor('commits at the end', async () => (await committed(admin, 'replay-group', 'replayed')) === '[[0,"3"],[1,"3"]]')
      const partitions = [
        { partition: 0, offset: '1' },
        { partition: 1, offset: '2' },
      ]
      await within(10_000, admin.setOffsets({ groupId: 'replay-group', topic: 'replayed', partitions }), 'setOffsets')
      assert.equal(await committed(admin, 'replay-group', 'replayed'), '[[0,"1"],[1,"2"]]')
      const again = await consumeWithKafkajs(kafka, { topics: ['replayed'], count: 3, groupId: 'replay-group' })
      assert.deepEqual(again.map(({ message }) => String(message.value)).sort(), ['v2', 'v4', 'v5'])
      // Another group's offsets are its own: never committed.
      assert.equal(await committed(admin, 'other-group', 'replayed'), '[[0,"-1"],[1,"-1"]]')
    } finally {
      await admin.disconnect()
    }
  }))

// KafkaJS's resetOffsets commits Kafka's markers (-2 earliest, -1 latest); RustLog stores them
// resolved to the log start / high watermark (KAFKA.md).

test('resetOffsets sends the group back to the start', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ kafka }) => {
    await createTopics(kafka, [{ topic: 'rewound', numPartitions: 2 }])
    await fill(kafka, 'rewound', 6)
    await consumeWithKafkajs(kafka, { topics: ['rewound'], count: 6, groupId: 'rewind-group' })
    const admin = kafka.admin()
    await admin.connect()
    try {
      await waitFor('commits at the end', async () => (await committed(admin, 'rewind-group', 'rewound')) === '[[0,"3"],[1,"3"]]')
      await within(10_000, admin.resetOffsets({ groupId: 'rewind-group', topic: 'rewound', earliest: true }), 'resetOffsets')
      assert.equal(await committed(admin, 'rewind-group', 'rewound', true), '[[0,"0"],[1,"0"]]')
      const again = await consumeWithKafkajs(kafka, { topics: ['rewound'], count: 6, groupId: 'rewind-group' })
      assert.deepEqual(again.map(({ message }) => String(message.value)).sort(), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
    } finally {
      await admin.disconnect()
    }
  }))

test('deleteGroups deletes an empty group, and refuses one with members or one that is unknown', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ kafka }) => {
    await createTopics(kafka, [{ topic: 'groups', numPartitions: 1 }])
    await fill(kafka, 'groups', 2)
    await consumeWithKafkajs(kafka, { topics: ['groups'], count: 1, groupId: 'finished' })
    const busy = await joinedConsumer(kafka, 'busy', 'groups')
    const admin = kafka.admin()
    await admin.connect()
    try {
      const err = await rejectionOf(admin.deleteGroups(['busy', 'never-existed']))
      assert.deepEqual(deleteErrors(err), { busy: 'NON_EMPTY_GROUP', 'never-existed': 'GROUP_ID_NOT_FOUND' })
      const deleted = await admin.deleteGroups(['finished'])
      assert.deepEqual(deleted.map((g) => [g.groupId, g.errorCode]), [['finished', 0]])
      const { groups } = await admin.listGroups()
      assert.deepEqual(groups.map((g) => g.groupId), ['busy'])
      assert.equal(await committed(admin, 'finished', 'groups'), '[[0,"-1"]]', 'its offsets went with it')
    } finally {
      await busy.disconnect()
      await admin.disconnect()
    }
  }))
