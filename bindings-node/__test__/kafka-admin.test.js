'use strict'
// Scenario: KafkaJS's admin manages topics on RustLog: createTopics (with configs, validateOnly,
// an existing name), createPartitions, describeConfigs, alterConfigs, deleteTopics, and
// describeCluster after all that; each bad request gets Kafka's error for it next to the good one.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { ConfigResourceTypes } = require('kafkajs')
const { TEST_TIMEOUT_MS, rejectionOf } = require('./helpers.js')
const { withKafkaBroker, kafkajs, errorTypes } = require('./kafka-helpers.js')

/** Few fast retries: KafkaJS retries some of these errors before it reports them. */
const quickRetries = { retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 } }

/** Runs `fn(admin)` with a connected KafkaJS admin of the broker's Kafka listener. */
function withAdmin(fn) {
  return withKafkaBroker(async ({ broker }) => {
    const kafka = kafkajs(broker.kafka, 'admin-test', quickRetries)
    const admin = kafka.admin()
    await admin.connect()
    try {
      return await fn(admin, kafka)
    } finally {
      await admin.disconnect()
    }
  })
}

async function topicConfig(admin, topic, configNames) {
  const { resources } = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames }],
    includeSynonyms: false,
  })
  assert.equal(resources.length, 1)
  assert.equal(resources[0].errorCode, 0, resources[0].errorMessage)
  return Object.fromEntries(resources[0].configEntries.map((e) => [e.configName, e.configValue]))
}

async function partitionCount(admin, topic) {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
  return topics[0].partitions.length
}

test('createTopics creates with configs, validateOnly creates nothing, an existing name answers false', { timeout: TEST_TIMEOUT_MS }, () =>
  withAdmin(async (admin) => {
    const configEntries = [
      { name: 'retention.ms', value: '3600000' },
      { name: 'cleanup.policy', value: 'compact' },
    ]
    assert.equal(await admin.createTopics({ topics: [{ topic: 'configured', numPartitions: 3, configEntries }] }), true)
    // (No waiting for the leaders of a topic that validateOnly did not create.)
    const dryRun = { topics: [{ topic: 'dry-run', numPartitions: 1 }], validateOnly: true, waitForLeaders: false }
    assert.equal(await admin.createTopics(dryRun), true)
    assert.equal(await admin.createTopics({ topics: [{ topic: 'configured', numPartitions: 1 }] }), false)
    assert.deepEqual(await admin.listTopics(), ['configured'])
    assert.equal(await partitionCount(admin, 'configured'), 3)
    assert.deepEqual(await topicConfig(admin, 'configured', ['retention.ms', 'cleanup.policy']), {
      'retention.ms': '3600000',
      'cleanup.policy': 'compact',
    })

    const badConfig = await rejectionOf(
      admin.createTopics({ topics: [{ topic: 'bad-config', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }),
    )
    assert.deepEqual(errorTypes(badConfig), ['INVALID_CONFIG'], badConfig.message)
    const badName = await rejectionOf(admin.createTopics({ topics: [{ topic: 'no/slashes', numPartitions: 1 }] }))
    assert.deepEqual(errorTypes(badName), ['INVALID_TOPIC_EXCEPTION'], badName.message)
    assert.deepEqual(await admin.listTopics(), ['configured'])
  }))

test('createPartitions grows a topic that producers then use; shrinking is refused', { timeout: TEST_TIMEOUT_MS }, () =>
  withAdmin(async (admin, kafka) => {
    await admin.createTopics({ topics: [{ topic: 'growing', numPartitions: 2 }] })
    await admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 4 }] })
    assert.equal(await partitionCount(admin, 'growing'), 4)
    const producer = kafka.producer()
    await producer.connect()
    const [meta] = await producer.send({ topic: 'growing', messages: [{ partition: 3, value: 'in a new partition' }] })
    await producer.disconnect()
    assert.deepEqual([meta.partition, meta.errorCode, meta.baseOffset], [3, 0, '0'])

    const shrink = await rejectionOf(admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 2 }] }))
    assert.deepEqual(errorTypes(shrink), ['INVALID_PARTITIONS'], shrink.message)
    const missing = await rejectionOf(admin.createPartitions({ topicPartitions: [{ topic: 'missing', count: 2 }] }))
    assert.ok(errorTypes(missing).includes('UNKNOWN_TOPIC_OR_PARTITION'), missing.message)
    assert.equal(await partitionCount(admin, 'growing'), 4)
  }))

test('describeConfigs and alterConfigs read and replace topic configs', { timeout: TEST_TIMEOUT_MS }, () =>
  withAdmin(async (admin) => {
    const configEntries = [
      { name: 'retention.ms', value: '3600000' },
      { name: 'cleanup.policy', value: 'compact' },
    ]
    await admin.createTopics({ topics: [{ topic: 'tuned', numPartitions: 1, configEntries }] })
    const all = await topicConfig(admin, 'tuned')
    assert.equal(all['retention.ms'], '3600000')
    assert.equal(all['cleanup.policy'], 'compact')

    await admin.alterConfigs({
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: 'tuned', configEntries: [{ name: 'retention.ms', value: '7200000' }] },
      ],
    })
    // AlterConfigs replaces the topic's whole config (Kafka's semantics): what it omits reverts
    // to the default.
    assert.deepEqual(await topicConfig(admin, 'tuned', ['retention.ms', 'cleanup.policy']), {
      'retention.ms': '7200000',
      'cleanup.policy': 'delete',
    })

    await admin.alterConfigs({
      validateOnly: true,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: 'tuned', configEntries: [{ name: 'retention.ms', value: '1000' }] },
      ],
    })
    assert.equal((await topicConfig(admin, 'tuned', ['retention.ms']))['retention.ms'], '7200000')

    const bad = await rejectionOf(
      admin.alterConfigs({
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: 'tuned', configEntries: [{ name: 'retention.ms', value: 'never' }] },
        ],
      }),
    )
    assert.deepEqual(errorTypes(bad), ['INVALID_CONFIG'], bad.message)
    const unknown = await rejectionOf(topicConfig(admin, 'missing', ['retention.ms']))
    assert.deepEqual(errorTypes(unknown), ['UNKNOWN_TOPIC_OR_PARTITION'], unknown.message)
  }))

test('deleteTopics removes a topic; a missing one answers UNKNOWN_TOPIC_OR_PARTITION; describeCluster after', { timeout: TEST_TIMEOUT_MS }, () =>
  withAdmin(async (admin) => {
    await admin.createTopics({ topics: [{ topic: 'short-lived', numPartitions: 1 }, { topic: 'kept', numPartitions: 1 }] })
    await admin.deleteTopics({ topics: ['short-lived'] })
    assert.deepEqual(await admin.listTopics(), ['kept'])
    const missing = await rejectionOf(admin.deleteTopics({ topics: ['short-lived'] }))
    assert.ok(errorTypes(missing).includes('UNKNOWN_TOPIC_OR_PARTITION'), missing.message)
    assert.deepEqual(await admin.listTopics(), ['kept'])
    const cluster = await admin.describeCluster()
    assert.deepEqual([cluster.controller, cluster.clusterId, cluster.brokers.length], [0, 'rustlog', 1])
  }))
