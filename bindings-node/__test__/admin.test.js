'use strict'
// Scenario: topic and group administration.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { TEST_TIMEOUT_MS, withBroker, take, rejectionOf } = require('./helpers.js')
const { RustLogError, ErrorCode } = require('..')

test('create, list, describe and delete topics', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    const admin = client.admin()
    await admin.connect()
    assert.equal(
      await admin.createTopics({
        topics: [
          { topic: 'a', numPartitions: 3 },
          { topic: 'b', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        ],
      }),
      true,
    )
    // Like KafkaJS: false when a topic exists already.
    assert.equal(await admin.createTopics({ topics: [{ topic: 'a', numPartitions: 3 }] }), false)
    assert.deepEqual((await admin.listTopics()).sort(), ['a', 'b'])

    const { topics } = await admin.describeTopics({ topics: ['a', 'b'] })
    assert.equal(topics[0].name, 'a')
    assert.deepEqual(topics[0].partitions.map((p) => p.partition), [0, 1, 2])
    for (const p of topics[0].partitions) {
      assert.equal(p.highWatermark, 0n)
      assert.equal(p.logStartOffset, 0n)
    }
    assert.equal(topics[1].config['cleanup.policy'], 'compact')

    await admin.deleteTopics({ topics: ['a'] })
    assert.deepEqual(await admin.listTopics(), ['b'])
    const missing = await rejectionOf(admin.describeTopics({ topics: ['a'] }))
    assert.ok(missing instanceof RustLogError)
    assert.equal(missing.code, ErrorCode.TopicNotFound)

    const bad = await rejectionOf(admin.createTopics({ topics: [{ topic: 'bad/name', numPartitions: 1 }] }))
    assert.equal(bad.code, ErrorCode.InvalidTopicName)
    assert.equal(bad.name, 'InvalidTopicName')
    // PARTITIONS_PER_TOPIC_MAX is 1024.
    const tooMany = await rejectionOf(admin.createTopics({ topics: [{ topic: 'wide', numPartitions: 1025 }] }))
    assert.equal(tooMany.code, ErrorCode.InvalidPartitions)
    const negative = await rejectionOf(admin.createTopics({ topics: [{ topic: 'neg', numPartitions: -5 }] }))
    assert.equal(negative.code, ErrorCode.InvalidArgument)
    // Omitted numPartitions: the broker's default (1).
    assert.equal(await admin.createTopics({ topics: [{ topic: 'default' }] }), true)
    const [described] = (await admin.describeTopics({ topics: ['default'] })).topics
    assert.equal(described.partitions.length, 1)
    await admin.disconnect()
  }))

test('list and describe consumer groups', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    const admin = client.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 2 }] })
    assert.deepEqual((await admin.listGroups()).groups, [])

    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic: 'events', messages: [{ value: 'x', partition: 0 }] })
    await producer.disconnect()

    const consumer = client.consumer({ groupId: 'dashboard' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['events'], fromBeginning: true })
    const [m] = await take(consumer, 1)
    await consumer.commitOffsets([{ topic: 'events', partition: m.partition, offset: m.offset + 1n }])

    const { groups } = await admin.listGroups()
    assert.equal(groups.length, 1)
    assert.equal(groups[0].groupId, 'dashboard')
    assert.equal(groups[0].memberCount, 1)

    const group = await admin.describeGroup('dashboard')
    assert.equal(group.members.length, 1)
    assert.deepEqual(group.members[0].topics, ['events'])
    const assigned = group.members[0].assignment.flatMap((a) => a.partitions.map((p) => `${a.topic}/${p}`)).sort()
    assert.deepEqual(assigned, ['events/0', 'events/1'])
    const p0 = group.offsets.find((o) => o.partition === 0)
    assert.equal(p0.committedOffset, 1n)
    assert.equal(p0.lag, 0n)
    await consumer.disconnect()

    const unknown = await rejectionOf(admin.describeGroup('nobody'))
    assert.equal(unknown.code, ErrorCode.GroupNotFound)
    await admin.disconnect()
  }))
