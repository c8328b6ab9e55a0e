// Type-checked against the package's declarations by `npm run typecheck` (tsc --noEmit).
// Wrong uses marked @ts-expect-error must stay errors: if the types were loose, tsc fails here.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  RustLog,
  RustLogError,
  DeleteGroupsError,
  ErrorCode,
  CompressionTypes,
  logLevel,
  type LogEntry,
  type KafkaMessage,
  type RecordMetadata,
  type OffsetChange,
  type PartitionWatermarks,
  type EachBatchPayload,
} from 'rustlog'

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rustlog-quickstart-'))
  const broker = await RustLog.startEmbeddedBroker({ dataDir, port: 0 })
  const client = new RustLog({ brokers: broker.brokers, clientId: 'quickstart', metadataMaxAge: 60_000, retry: { retries: 3 } })
  // KafkaJS's logging: the Rust client's events as logCreator entries.
  const logged: LogEntry[] = []
  const quiet = new RustLog({
    brokers: broker.brokers,
    logLevel: logLevel.WARN,
    logCreator: (level: logLevel) => (entry: LogEntry) => {
      if (entry.level <= level) logged.push(entry)
    },
  })
  void quiet
  // @ts-expect-error log levels are logLevel values
  void (() => new RustLog({ brokers: broker.brokers, logLevel: 3 }))
  // A bootstrap list: the client tries each address in turn (here the second one answers).
  const fallback = new RustLog({ brokers: ['127.0.0.1:1', ...broker.brokers] })
  void fallback
  // @ts-expect-error TLS is not supported yet
  void (() => new RustLog({ brokers: broker.brokers, ssl: true }))

  const admin = client.admin()
  await admin.connect()
  const created: boolean = await admin.createTopics({ topics: [{ topic: 'greetings', numPartitions: 2 }] })
  const { topics } = await admin.describeTopics({ topics: ['greetings'] })
  const hw: bigint = topics[0].partitions[0].highWatermark
  console.log(created, hw, await admin.listTopics(), (await admin.listGroups()).groups)

  const producer = client.producer({ lingerMs: 1, acks: 'leader', compression: CompressionTypes.GZIP })
  // @ts-expect-error codecs are CompressionTypes values or Kafka's names
  void (() => client.producer({ compression: 'brotli' }))
  await producer.connect()
  const sent: RecordMetadata[] = await producer.send({
    topic: 'greetings',
    messages: [
      { key: 'user-1', value: 'hello', headers: { trace: 'abc', hop: ['a', Buffer.from('b')], none: null } },
      { key: Buffer.from([1, 2]), value: Buffer.from('bytes') },
      { key: null, value: null, partition: 1 },
    ],
  })
  // KafkaJS's per-send acks, timeout (ms) and codec, over the producer's own.
  // (Type-checked only: the messages read below are the ones sent above.)
  void (() => producer.send({ topic: 'greetings', messages: [{ value: 'fast' }], acks: 0, timeout: 5_000, compression: CompressionTypes.ZSTD }))
  void (() => producer.sendBatch({ topicMessages: [{ topic: 'greetings', messages: [{ value: 'all' }] }], acks: -1, compression: 'lz4' }))
  // @ts-expect-error acks is -1, 0, 1 (or a name), not any number
  void (() => producer.send({ topic: 'greetings', messages: [], acks: 3 }))
  const firstOffset: bigint = sent[0].offset
  console.log(firstOffset + 1n, sent[0].timestamp)
  // @ts-expect-error values are Buffer | string | null, not numbers
  await producer.send({ topic: 'greetings', messages: [{ value: 42 }] }).catch(() => undefined)
  // @ts-expect-error offsets are bigint, never a lossy number
  const lossy: number = sent[0].offset
  void lossy

  const consumer = client.consumer({
    groupId: 'quickstart',
    maxPollIntervalMs: 60_000,
    retry: { initialRetryTime: 100, restartOnFailure: async (error) => !(error instanceof TypeError) },
  })
  // @ts-expect-error the broker sets the heartbeat interval: KafkaJS's heartbeatInterval is no option
  void (() => client.consumer({ groupId: 'x', heartbeatInterval: 3000 }))
  await consumer.connect()
  await consumer.subscribe({ topics: ['greetings'], fromBeginning: true })
  consumer.on(consumer.events.CRASH, (e) => console.error(e.payload.error, e.payload.restart))
  const removeJoin = consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned: Record<string, number[]> = payload.memberAssignment
    console.log('joined', payload.memberId, assigned)
  })
  consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
    console.log('committed', payload.topics.map((t) => t.partitions.map((p) => `${t.topic}/${p.partition}@${p.offset}`)))
  })
  // @ts-expect-error KafkaJS's network events are not emitted
  void (() => consumer.on('consumer.network.request', () => undefined))
  let handled = 0
  let allHandled = (): void => undefined
  const done = new Promise<void>((resolve) => (allHandled = resolve))
  await consumer.run({
    partitionsConsumedConcurrently: 2,
    eachMessage: async ({ topic, partition, message, pause }) => {
      const value: Buffer | null = message.value
      const hop: Buffer | null | Array<Buffer | null> | undefined = message.headers.hop
      console.log(topic, partition, message.offset, value?.toString(), Array.isArray(hop) ? hop.length : hop)
      if (value === null) {
        // Pause this partition for a moment (KafkaJS's payload pause returns its resume).
        const resume = pause()
        console.log('paused', consumer.paused())
        resume()
      }
      if (++handled === sent.length) allHandled()
    },
  })
  removeJoin()
  // @ts-expect-error pause takes [{ topic, partitions? }]
  void (() => consumer.pause([{ partitions: [0] }]))
  // @ts-expect-error eachMessage or eachBatch, not both
  void (() => consumer.run({ eachMessage: async () => undefined, eachBatch: async () => undefined }))
  await done
  await consumer.stop()

  await producer.send({ topic: 'greetings', messages: [{ value: 'one more' }] })
  for await (const m of consumer) {
    const msg: KafkaMessage = m
    await consumer.commitOffsets([{ topic: msg.topic, partition: msg.partition, offset: msg.offset + 1n }])
    console.log('iterated', msg.value?.toString())
    break
  }
  // eachBatch: one partition's messages at a time; a seek sends partition 0 back to its start.
  let replayed = (): void => undefined
  const replay = new Promise<void>((resolve) => (replayed = resolve))
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, isStale }: EachBatchPayload) => {
      const last: bigint | null = batch.lastOffset()
      const high: bigint | null = batch.highWatermark
      for (const m of batch.messages) {
        if (isStale()) break
        resolveOffset(m.offset)
      }
      console.log('batch', batch.topic, batch.partition, batch.messages.length, last, high)
      if (batch.partition === 0) replayed()
    },
  })
  consumer.seek({ topic: 'greetings', partition: 0, offset: 0 })
  await replay
  await consumer.stop()
  await consumer.disconnect()
  await producer.disconnect()

  // The group has no members now, so its offsets can be read, planned, set and reset.
  const grown: boolean = await admin.createPartitions({ topicPartitions: [{ topic: 'greetings', count: 3 }] })
  // @ts-expect-error validateOnly cannot be honoured, so only false is typed
  void (() => admin.createPartitions({ topicPartitions: [{ topic: 'greetings', count: 4 }], validateOnly: true }))
  const bounds: PartitionWatermarks[] = await admin.fetchTopicOffsets('greetings')
  const low: bigint = bounds[0].low
  const atTime = await admin.fetchTopicOffsetsByTimestamp('greetings', Date.now() - 60_000)
  const [groupTopic] = await admin.fetchOffsets({ groupId: 'quickstart', topics: ['greetings'] })
  const metadata: string | null = groupTopic.partitions[0].metadata
  const plan: OffsetChange[] = await admin.planResetOffsets({ groupId: 'quickstart', topic: 'greetings', to: 'earliest' })
  const current: bigint | null = plan[0].current
  // @ts-expect-error a reset target is one of earliest, latest, offset, timestamp, shiftBy
  void (() => admin.planResetOffsets({ groupId: 'quickstart', topic: 'greetings', to: 'middle' }))
  // @ts-expect-error only one form at a time
  void (() => admin.planResetOffsets({ groupId: 'quickstart', topic: 'greetings', to: { offset: 1n, shiftBy: 2 } }))
  await admin.setOffsets({ groupId: 'quickstart', topic: 'greetings', partitions: [{ partition: 0, offset: 0n }] })
  await admin.resetOffsets({ groupId: 'quickstart', topic: 'greetings', earliest: true })
  console.log('offsets', grown, low, atTime.length, metadata, current, plan.length)
  try {
    await admin.deleteGroups(['quickstart', 'never-existed'])
  } catch (err) {
    if (!(err instanceof DeleteGroupsError)) throw err
    console.log('not deleted', err.groups.map((g) => `${g.groupId} ${g.error.name}`))
  }

  try {
    await admin.deleteTopics({ topics: ['missing'] })
  } catch (err) {
    if (err instanceof RustLogError && err.code === ErrorCode.TopicNotFound) {
      const retriable: boolean = err.retriable
      console.log(err.name, retriable)
    } else {
      throw err
    }
  }
  await admin.disconnect()
  await broker.stop()
  rmSync(dataDir, { recursive: true, force: true })
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
