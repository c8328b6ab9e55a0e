'use strict'
// Scenario: KafkaJS learns the one-node cluster from Metadata (node 0 at the advertised address,
// controller and only replica of every partition) and lists the topics both protocols created.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { TEST_TIMEOUT_MS, createTopic } = require('./helpers.js')
const { withKafkaBroker, createTopics } = require('./kafka-helpers.js')

const API_KEY_METADATA = 3

function hostPort(address) {
  const separator = address.lastIndexOf(':')
  return { host: address.slice(0, separator), port: Number(address.slice(separator + 1)) }
}

test('describeCluster names node 0 at the Kafka listener, controller 0, cluster id rustlog', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ broker, kafka }) => {
    const admin = kafka.admin()
    await admin.connect()
    try {
      const cluster = await admin.describeCluster()
      assert.deepEqual(cluster.brokers, [{ nodeId: 0, ...hostPort(broker.kafka) }])
      assert.equal(cluster.controller, 0)
      assert.equal(cluster.clusterId, 'rustlog')
    } finally {
      await admin.disconnect()
    }
  }))

test('listTopics and fetchTopicMetadata see topics created natively and through Kafka', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ kafka, rustlog }) => {
    await createTopic(rustlog, 'native-made', 3)
    await createTopics(kafka, [{ topic: 'kafka-made', numPartitions: 2 }])
    const admin = kafka.admin()
    await admin.connect()
    try {
      assert.deepEqual((await admin.listTopics()).sort(), ['kafka-made', 'native-made'])
      const { topics } = await admin.fetchTopicMetadata({ topics: ['native-made', 'kafka-made'] })
      const byName = Object.fromEntries(topics.map((t) => [t.name, t]))
      for (const [name, count] of [['native-made', 3], ['kafka-made', 2]]) {
        const partitions = byName[name].partitions.sort((a, b) => a.partitionId - b.partitionId)
        assert.deepEqual(partitions.map((p) => p.partitionId), [...Array(count).keys()], name)
        for (const p of partitions) {
          assert.equal(p.partitionErrorCode, 0)
          assert.equal(p.leader, 0)
          assert.deepEqual(p.replicas, [0])
          assert.deepEqual(p.isr, [0])
        }
      }
    } finally {
      await admin.disconnect()
    }
    // The native side sees the Kafka-made topic as the same thing.
    const native = rustlog.admin()
    await native.connect()
    try {
      assert.deepEqual((await native.listTopics()).sort(), ['kafka-made', 'native-made'])
    } finally {
      await native.disconnect()
    }
  }))

test('KafkaJS follows the advertised listener: every request after bootstrap goes through it', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(
    async ({ broker, kafka, proxy }) => {
      const admin = kafka.admin()
      await admin.connect()
      try {
        const cluster = await admin.describeCluster()
        assert.deepEqual(cluster.brokers, [{ nodeId: 0, ...hostPort(proxy.address) }])
        assert.notEqual(proxy.address, broker.kafka)
        await admin.createTopics({ topics: [{ topic: 'advertised', numPartitions: 1 }] })
        assert.deepEqual(await admin.listTopics(), ['advertised'])
      } finally {
        await admin.disconnect()
      }
      const producer = kafka.producer()
      await producer.connect()
      const [meta] = await producer.send({ topic: 'advertised', messages: [{ value: 'via the proxy' }] })
      await producer.disconnect()
      assert.equal(meta.baseOffset, '0')
      assert.ok(proxy.count(API_KEY_METADATA) >= 1)
      assert.equal(proxy.produceRequests, 1, 'the produce went to the advertised address')
    },
    { proxy: true },
  ))
