'use strict'
// Scenario: the README's KafkaJS quick start (examples/kafkajs-quickstart.js) runs as written
// against a broker process: it creates a topic, produces two records, consumes them in a group
// and exits 0. The group's committed offsets show it really consumed through the group.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { promisify } = require('node:util')
const { TEST_TIMEOUT_MS } = require('./helpers.js')
const { withKafkaBroker } = require('./kafka-helpers.js')

const EXAMPLE = path.join(__dirname, '..', 'examples', 'kafkajs-quickstart.js')

test('examples/kafkajs-quickstart.js creates, produces, consumes in a group and exits 0', { timeout: TEST_TIMEOUT_MS }, () =>
  withKafkaBroker(async ({ broker, kafka }) => {
    const { stdout } = await promisify(execFile)(process.execPath, [EXAMPLE, broker.kafka, 'greetings'], {
      timeout: TEST_TIMEOUT_MS - 5_000,
    })
    const lines = stdout.trim().split('\n')
    const records = lines.map((line) => line.match(/^greetings\/([01])@(\d+) (user-\d=\w+)$/))
    assert.ok(records.every(Boolean), stdout)
    assert.deepEqual(records.map((r) => r[3]).sort(), ['user-1=hello', 'user-2=world'])
    // The next offset to read, per partition, after what the example consumed.
    const expected = { 0: '-1', 1: '-1' }
    for (const [, partition, offset] of records) {
      expected[partition] = String(Math.max(Number(expected[partition]), Number(offset) + 1))
    }

    const admin = kafka.admin()
    await admin.connect()
    try {
      const offsets = await admin.fetchOffsets({ groupId: 'quickstart-group', topics: ['greetings'] })
      const committed = Object.fromEntries(offsets[0].partitions.map((p) => [p.partition, p.offset]))
      assert.deepEqual(committed, expected, 'the group committed after every record it consumed')
    } finally {
      await admin.disconnect()
    }
  }))
