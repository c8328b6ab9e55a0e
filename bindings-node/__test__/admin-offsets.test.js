'use strict'
// Scenario: growing topics, deleting groups, reading topic and group offsets and moving a
// group's offsets through the KafkaJS-shaped admin, against an embedded broker. Every refusal
// (a shrink, a group with a running member, a bad offset or target) sits next to the call that
// works, and is checked to have changed nothing.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { TEST_TIMEOUT_MS, withBroker, take, rejectionOf } = require('./helpers.js')
const { RustLogError, DeleteGroupsError, ErrorCode } = require('..')

/** Record timestamps of `fill`: record i of a partition has BASE_MS + i. */
const BASE_MS = 1_700_000_000_000

/** Sends `count` records to each partition of `topic`, record i stamped BASE_MS + i. */
async function fill(client, topic, partitions, count) {
  const producer = client.producer()
  await producer.connect()
  const messages = []
  for (let partition = 0; partition < partitions; partition++) {
    for (let i = 0; i < count; i++) messages.push({ value: `${partition}-${i}`, partition, timestamp: BASE_MS + i })
  }
  await producer.send({ topic, messages })
  await producer.disconnect()
}

async function connectedAdmin(client) {
  const admin = client.admin()
  await admin.connect()
  return admin
}

/** Asserts a RustLogError with this code (and, if given, a message matching `pattern`). */
function assertCode(err, code, pattern) {
  assert.ok(err instanceof RustLogError, `expected a RustLogError, got ${err}`)
  assert.equal(err.code, code, `code ${err.name} (${err.message})`)
  if (pattern) assert.match(err.message, pattern)
}

/** `fetchOffsets` of one topic as `[offset of partition 0, ...]`. */
async function committed(admin, groupId, topic) {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
  return entry.partitions.map((p) => p.offset)
}

async function partitionCount(admin, topic) {
  const { topics } = await admin.describeTopics({ topics: [topic] })
  return topics[0].partitions.length
}

test('createPartitions grows a topic and refuses to shrink it', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    const admin = await connectedAdmin(client)
    await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 2 }, { topic: 'other', numPartitions: 1 }] })

    assert.equal(await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 4 }] }), true)
    assert.equal(await partitionCount(admin, 'grow'), 4)
    const producer = client.producer()
    await producer.connect()
    const [meta] = await producer.send({ topic: 'grow', messages: [{ value: 'new', partition: 3 }] })
    assert.equal(meta.partition, 3)
    assert.equal(meta.offset, 0n)
    await producer.disconnect()

    // The same count or fewer: the broker's InvalidPartitions, and the topic keeps 4.
    for (const count of [4, 3]) {
      const err = await rejectionOf(admin.createPartitions({ topicPartitions: [{ topic: 'grow', count }] }))
      assertCode(err, ErrorCode.InvalidPartitions)
    }
    assertCode(await rejectionOf(admin.createPartitions({ topicPartitions: [{ topic: 'nope', count: 3 }] })), ErrorCode.TopicNotFound)
    assert.equal(await partitionCount(admin, 'grow'), 4)

    // Several topics in one call; validateOnly: false is the default and accepted.
    assert.equal(
      await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 5 }, { topic: 'other', count: 2 }], validateOnly: false }),
      true,
    )
    assert.equal(await partitionCount(admin, 'grow'), 5)
    assert.equal(await partitionCount(admin, 'other'), 2)

    // What cannot be honoured or is malformed is refused before anything grows.
    const refused = [
      [{ topicPartitions: [{ topic: 'grow', count: 6 }], validateOnly: true }, /validateOnly true is not supported/],
      [{ topicPartitions: [{ topic: 'grow', count: 6 }], timeout: 5000 }, /timeout 5000 is not supported/],
      [{ topicPartitions: [{ topic: 'grow', count: 6 }], validate: true }, /unknown option 'validate'/],
      [{ topicPartitions: [{ topic: 'grow', count: 6, assignments: [[0]] }] }, /unknown option 'assignments'/],
      [{ topicPartitions: [{ topic: 'grow', count: 6 }, { topic: 'grow', count: 7 }] }, /twice/],
      [{ topicPartitions: [{ topic: 'grow', count: 0 }] }, /count/],
      [{ topicPartitions: [{ topic: 'grow', count: '6' }] }, /count/],
      [{ topicPartitions: [{ count: 6 }] }, /topic/],
      [{ topicPartitions: [] }, /not empty/],
      [undefined, /topicPartitions/],
    ]
    for (const [options, pattern] of refused) {
      assertCode(await rejectionOf(admin.createPartitions(options)), ErrorCode.InvalidArgument, pattern)
    }
    assert.equal(await partitionCount(admin, 'grow'), 5)
    await admin.disconnect()
  }))

test('deleteGroups deletes empty groups and reports the ones with members', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    const admin = await connectedAdmin(client)
    await admin.createTopics({ topics: [{ topic: 't', numPartitions: 1 }] })
    await fill(client, 't', 1, 3)

    const idle = client.consumer({ groupId: 'idle' })
    await idle.connect()
    await idle.subscribe({ topics: ['t'], fromBeginning: true })
    const [m] = await take(idle, 1)
    await idle.commitOffsets([{ topic: 't', partition: 0, offset: m.offset + 1n }])
    await idle.disconnect()

    const busy = client.consumer({ groupId: 'busy' })
    await busy.connect()
    await busy.subscribe({ topics: ['t'], fromBeginning: true })
    const [b] = await take(busy, 1)
    await busy.commitOffsets([{ topic: 't', partition: 0, offset: b.offset + 1n }])

    // The empty group goes, with its committed offsets.
    assert.deepEqual(await admin.deleteGroups(['idle']), [{ groupId: 'idle', errorCode: 0 }])
    assert.deepEqual(await admin.fetchOffsets({ groupId: 'idle' }), [])
    assertCode(await rejectionOf(admin.describeGroup('idle')), ErrorCode.GroupNotFound)

    // A running member: like KafkaJS, a rejection carrying the failed groups; nothing deleted.
    const err = await rejectionOf(admin.deleteGroups(['busy']))
    assert.ok(err instanceof DeleteGroupsError)
    assertCode(err, ErrorCode.NonEmptyGroup)
    assert.equal(err.groups.length, 1)
    assert.equal(err.groups[0].groupId, 'busy')
    assert.equal(err.groups[0].errorCode, ErrorCode.NonEmptyGroup)
    assert.ok(err.groups[0].error instanceof RustLogError)
    assert.deepEqual(await committed(admin, 'busy', 't'), [1n])

    // Mixed: the unknown group fails, the others' outcome is in the error too.
    const mixed = await rejectionOf(admin.deleteGroups(['idle', 'busy']))
    assert.ok(mixed instanceof DeleteGroupsError)
    assertCode(mixed, ErrorCode.GroupNotFound)
    assert.deepEqual(
      mixed.groups.map((g) => [g.groupId, g.errorCode]),
      [
        ['idle', ErrorCode.GroupNotFound],
        ['busy', ErrorCode.NonEmptyGroup],
      ],
    )
    assert.deepEqual(await committed(admin, 'busy', 't'), [1n])

    // Once the member left, the group can go.
    await busy.disconnect()
    assert.deepEqual(await admin.deleteGroups(['busy']), [{ groupId: 'busy', errorCode: 0 }])
    assert.deepEqual(await committed(admin, 'busy', 't'), [-1n])
    assert.deepEqual(await admin.deleteGroups([]), [])

    for (const bad of ['busy', [42], [''], undefined]) {
      assertCode(await rejectionOf(admin.deleteGroups(bad)), ErrorCode.InvalidArgument)
    }
    await admin.disconnect()
  }))

test('fetchTopicOffsets and fetchTopicOffsetsByTimestamp', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    const admin = await connectedAdmin(client)
    await admin.createTopics({ topics: [{ topic: 't', numPartitions: 2 }, { topic: 'empty', numPartitions: 1 }] })
    await fill(client, 't', 2, 10)

    assert.deepEqual(await admin.fetchTopicOffsets('t'), [
      { partition: 0, offset: 10n, high: 10n, low: 0n },
      { partition: 1, offset: 10n, high: 10n, low: 0n },
    ])
    assert.deepEqual(await admin.fetchTopicOffsets('empty'), [{ partition: 0, offset: 0n, high: 0n, low: 0n }])
    assertCode(await rejectionOf(admin.fetchTopicOffsets('nope')), ErrorCode.TopicNotFound)
    assertCode(await rejectionOf(admin.fetchTopicOffsets('')), ErrorCode.InvalidArgument)

    const offsets = (list) => list.map((p) => [p.partition, p.offset])
    assert.deepEqual(offsets(await admin.fetchTopicOffsetsByTimestamp('t', BASE_MS + 4)), [[0, 4n], [1, 4n]])
    assert.deepEqual(offsets(await admin.fetchTopicOffsetsByTimestamp('t', BigInt(BASE_MS + 7))), [[0, 7n], [1, 7n]])
    assert.deepEqual(offsets(await admin.fetchTopicOffsetsByTimestamp('t', String(BASE_MS))), [[0, 0n], [1, 0n]])
    // No record that new: the high watermark, as KafkaJS; no timestamp: the high watermark too.
    assert.deepEqual(offsets(await admin.fetchTopicOffsetsByTimestamp('t', BASE_MS + 100)), [[0, 10n], [1, 10n]])
    assert.deepEqual(offsets(await admin.fetchTopicOffsetsByTimestamp('t')), [[0, 10n], [1, 10n]])
    assert.deepEqual(offsets(await admin.fetchTopicOffsetsByTimestamp('empty', 0)), [[0, 0n]])

    for (const bad of [-1, 1.5, 'soon', {}]) {
      assertCode(await rejectionOf(admin.fetchTopicOffsetsByTimestamp('t', bad)), ErrorCode.InvalidArgument, /timestamp/)
    }
    assertCode(await rejectionOf(admin.fetchTopicOffsetsByTimestamp('nope', BASE_MS)), ErrorCode.TopicNotFound)
    await admin.disconnect()
  }))

test('fetchOffsets, setOffsets and resetOffsets of a group without members', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    const admin = await connectedAdmin(client)
    await admin.createTopics({ topics: [{ topic: 't', numPartitions: 2 }, { topic: 'other', numPartitions: 1 }] })
    await fill(client, 't', 2, 10)

    // A consumer reads and commits everything, then leaves.
    const reader = client.consumer({ groupId: 'g' })
    await reader.connect()
    await reader.subscribe({ topics: ['t'], fromBeginning: true })
    const read = await take(reader, 20)
    const last = new Map(read.map((m) => [m.partition, m.offset]))
    await reader.commitOffsets([...last].map(([partition, offset]) => ({ topic: 't', partition, offset: offset + 1n })))
    await reader.disconnect()

    assert.deepEqual(await admin.fetchOffsets({ groupId: 'g' }), [
      {
        topic: 't',
        partitions: [
          { partition: 0, offset: 10n, metadata: null },
          { partition: 1, offset: 10n, metadata: null },
        ],
      },
    ])
    // By topic: every partition, -1 where the group committed nothing (as KafkaJS).
    assert.deepEqual(await admin.fetchOffsets({ groupId: 'g', topics: ['t', 'other'] }), [
      {
        topic: 't',
        partitions: [
          { partition: 0, offset: 10n, metadata: null },
          { partition: 1, offset: 10n, metadata: null },
        ],
      },
      { topic: 'other', partitions: [{ partition: 0, offset: -1n, metadata: null }] },
    ])
    // An unknown group has committed nothing: not an error (as KafkaJS).
    assert.deepEqual(await admin.fetchOffsets({ groupId: 'nobody' }), [])
    assert.deepEqual(await committed(admin, 'nobody', 't'), [-1n, -1n])
    assertCode(await rejectionOf(admin.fetchOffsets({ groupId: 'g', topics: ['nope'] })), ErrorCode.TopicNotFound)
    for (const [options, pattern] of [
      [{ groupId: 'g', topic: 't' }, /unknown option 'topic'/],
      [{ groupId: 'g', resolveOffsets: true }, /resolveOffsets true is not supported/],
      [{ groupId: 'g', topics: 't' }, /topics must be an array/],
      [{ topics: ['t'] }, /groupId/],
      [undefined, /groupId/],
    ]) {
      assertCode(await rejectionOf(admin.fetchOffsets(options)), ErrorCode.InvalidArgument, pattern)
    }

    // setOffsets: bigint, decimal string, number, and KafkaJS's -2 (earliest) / -1 (latest).
    await admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: 3n }, { partition: 1, offset: '5' }] })
    assert.deepEqual(await committed(admin, 'g', 't'), [3n, 5n])
    await admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 1, offset: 6 }] })
    assert.deepEqual(await committed(admin, 'g', 't'), [3n, 6n])
    await admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: -2 }, { partition: 1, offset: '-1' }] })
    assert.deepEqual(await committed(admin, 'g', 't'), [0n, 10n])
    await admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: 3n }, { partition: 1, offset: 5n }] })

    // Refusals leave the offsets where they are.
    const beyond = await rejectionOf(admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 1, offset: 11n }] }))
    assertCode(beyond, ErrorCode.OffsetOutOfRange, /t\/1/)
    assert.deepEqual(await committed(admin, 'g', 't'), [3n, 5n])
    // One bad partition refuses the whole call: the good one is not committed either.
    const mixed = await rejectionOf(
      admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: 1n }, { partition: 1, offset: 11n }] }),
    )
    assertCode(mixed, ErrorCode.OffsetOutOfRange, /nothing was committed/)
    assert.deepEqual(await committed(admin, 'g', 't'), [3n, 5n])
    assertCode(
      await rejectionOf(admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 7, offset: -1 }] })),
      ErrorCode.PartitionNotFound,
    )
    assertCode(
      await rejectionOf(admin.setOffsets({ groupId: 'g', topic: 'nope', partitions: [{ partition: 0, offset: 0n }] })),
      ErrorCode.TopicNotFound,
    )
    for (const [options, pattern] of [
      [{ groupId: 'g', topic: 't', partitions: [] }, /not empty/],
      [{ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: -5n }] }, /offset/],
      [{ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: 1.5 }] }, /offset/],
      [{ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: 1n, metadata: 'x' }] }, /unknown option 'metadata'/],
      [{ groupId: 'g', topic: 't', partitions: [{ partition: -1, offset: 1n }] }, /partition/],
      [{ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: 1n }, { partition: 0, offset: 2n }] }, /twice/],
      [{ groupId: 'g', topics: ['t'], partitions: [{ partition: 0, offset: 1n }] }, /unknown option 'topics'/],
      [{ topic: 't', partitions: [{ partition: 0, offset: 1n }] }, /groupId/],
    ]) {
      assertCode(await rejectionOf(admin.setOffsets(options)), ErrorCode.InvalidArgument, pattern)
    }
    assert.deepEqual(await committed(admin, 'g', 't'), [3n, 5n])

    // resetOffsets: latest by default, earliest on request (as KafkaJS).
    await admin.resetOffsets({ groupId: 'g', topic: 't' })
    assert.deepEqual(await committed(admin, 'g', 't'), [10n, 10n])
    await admin.resetOffsets({ groupId: 'g', topic: 't', earliest: true })
    assert.deepEqual(await committed(admin, 'g', 't'), [0n, 0n])
    assertCode(await rejectionOf(admin.resetOffsets({ groupId: 'g', topic: 'nope', earliest: true })), ErrorCode.TopicNotFound)
    for (const [options, pattern] of [
      [{ groupId: 'g', topic: 't', fromBeginning: true }, /unknown option 'fromBeginning'/],
      [{ groupId: 'g', topic: 't', earliest: 'yes' }, /earliest must be a boolean/],
      [{ groupId: 'g' }, /topic/],
    ]) {
      assertCode(await rejectionOf(admin.resetOffsets(options)), ErrorCode.InvalidArgument, pattern)
    }
    assert.deepEqual(await committed(admin, 'g', 't'), [0n, 0n])

    // A running member: both refuse with NonEmptyGroup (worded as KafkaJS's), nothing moves.
    const member = client.consumer({ groupId: 'g' })
    await member.connect()
    await member.subscribe({ topics: ['t'] })
    await take(member, 1)
    const setErr = await rejectionOf(admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: 4n }] }))
    assertCode(setErr, ErrorCode.NonEmptyGroup, /must have no running instances/)
    assert.equal(setErr.name, 'NonEmptyGroup')
    const resetErr = await rejectionOf(admin.resetOffsets({ groupId: 'g', topic: 't' }))
    assertCode(resetErr, ErrorCode.NonEmptyGroup, /must have no running instances/)
    assert.deepEqual(await committed(admin, 'g', 't'), [0n, 0n])
    await member.disconnect()

    await admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: 4n }] })
    assert.deepEqual(await committed(admin, 'g', 't'), [4n, 0n])
    await admin.disconnect()
  }))

test('planResetOffsets shows a reset without doing it', { timeout: TEST_TIMEOUT_MS }, () =>
  withBroker(async ({ client }) => {
    const admin = await connectedAdmin(client)
    await admin.createTopics({ topics: [{ topic: 't', numPartitions: 2 }] })
    await fill(client, 't', 2, 10)
    // Partition 0 committed at 5, partition 1 never.
    await admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: 5n }] })
    assert.deepEqual(await committed(admin, 'g', 't'), [5n, -1n])

    const plan = (to, partitions) => admin.planResetOffsets({ groupId: 'g', topic: 't', to, partitions })
    assert.deepEqual(await plan('earliest'), [
      { topic: 't', partition: 0, current: 5n, new: 0n },
      { topic: 't', partition: 1, current: null, new: 0n },
    ])
    const news = async (to, partitions) => (await plan(to, partitions)).map((c) => c.new)
    assert.deepEqual(await news('latest'), [10n, 10n])
    assert.deepEqual(await news({ offset: 7n }), [7n, 7n])
    assert.deepEqual(await news({ offset: '1000' }), [10n, 10n]) // clamped to the log
    assert.deepEqual(await news({ timestamp: BASE_MS + 6 }), [6n, 6n])
    assert.deepEqual(await news({ timestamp: BigInt(BASE_MS + 99) }), [10n, 10n])
    assert.deepEqual(await plan({ shiftBy: -2 }, [0]), [{ topic: 't', partition: 0, current: 5n, new: 3n }])
    assert.deepEqual(await news({ shiftBy: '3' }, [0]), [8n])
    assert.deepEqual(await news({ shiftBy: -100n }, [0]), [0n])
    assert.deepEqual(await committed(admin, 'g', 't'), [5n, -1n])

    // Refusals: shifting where nothing is committed, bad partitions, bad targets.
    assertCode(await rejectionOf(plan({ shiftBy: 1 })), ErrorCode.InvalidArgument, /no committed offset/)
    assertCode(await rejectionOf(plan('earliest', [5])), ErrorCode.PartitionNotFound)
    assertCode(await rejectionOf(admin.planResetOffsets({ groupId: 'g', topic: 'nope', to: 'latest' })), ErrorCode.TopicNotFound)
    for (const [to, pattern] of [
      ['middle', /to must be 'earliest', 'latest', \{ offset \}/],
      [{}, /keys \[\]/],
      [{ offset: 1n, shiftBy: 2n }, /keys \[offset, shiftBy\]/],
      [{ position: 1 }, /keys \[position\]/],
      [{ offset: -1n }, /to\.offset/],
      [{ timestamp: -5 }, /to\.timestamp/],
      [{ shiftBy: 1.5 }, /to\.shiftBy/],
      [{ shiftBy: 2n ** 63n }, /signed 64-bit/],
      [null, /to must be/],
      [undefined, /needs to/],
    ]) {
      assertCode(await rejectionOf(plan(to)), ErrorCode.InvalidArgument, pattern)
    }
    for (const [options, pattern] of [
      [{ groupId: 'g', topic: 't', to: 'latest', execute: true }, /unknown option 'execute'/],
      [{ groupId: 'g', topic: 't', to: 'latest', partitions: [] }, /partitions/],
      [{ groupId: 'g', topic: 't', to: 'latest', partitions: ['0'] }, /partitions\[0\]/],
    ]) {
      assertCode(await rejectionOf(admin.planResetOffsets(options)), ErrorCode.InvalidArgument, pattern)
    }
    assert.deepEqual(await committed(admin, 'g', 't'), [5n, -1n])

    // A plan can be looked at while the group runs, and applied with setOffsets once it stopped.
    const member = client.consumer({ groupId: 'g' })
    await member.connect()
    await member.subscribe({ topics: ['t'], fromBeginning: true })
    await take(member, 1)
    const shift = await plan({ shiftBy: -2 }, [0])
    assert.deepEqual(shift.map((c) => [c.partition, c.current, c.new]), [[0, 5n, 3n]])
    await member.disconnect()
    await admin.setOffsets({ groupId: 'g', topic: 't', partitions: shift.map((c) => ({ partition: c.partition, offset: c.new })) })
    assert.deepEqual(await committed(admin, 'g', 't'), [3n, -1n])
    await admin.disconnect()
  }))
