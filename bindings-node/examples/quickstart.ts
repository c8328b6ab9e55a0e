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
  type KafkaMessage,
  type RecordMetadata,
  type OffsetChange,
  type PartitionWatermarks,
} from 'rustlog'

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rustlog-quickstart-'))
  const broker = await RustLog.startEmbeddedBroker({ dataDir, port: 0 })
  const client = new RustLog({ brokers: broker.brokers, clientId: 'quickstart' })

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
  const firstOffset: bigint = sent[0].offset
  console.log(firstOffset + 1n, sent[0].timestamp)
  // @ts-expect-error values are Buffer | string | null, not numbers
  await producer.send({ topic: 'greetings', messages: [{ value: 42 }] }).catch(() => undefined)
  // @ts-expect-error offsets are bigint, never a lossy number
  const lossy: number = sent[0].offset
  void lossy

  const consumer = client.consumer({ groupId: 'quickstart' })
  await consumer.connect()
  await consumer.subscribe({ topics: ['greetings'], fromBeginning: true })
  consumer.on(consumer.events.CRASH, (e) => console.error(e.payload.error))
  let handled = 0
  let allHandled = (): void => undefined
  const done = new Promise<void>((resolve) => (allHandled = resolve))
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const value: Buffer | null = message.value
      const hop: Buffer | null | Array<Buffer | null> | undefined = message.headers.hop
      console.log(topic, partition, message.offset, value?.toString(), Array.isArray(hop) ? hop.length : hop)
      if (++handled === sent.length) allHandled()
    },
  })
  await done
  await consumer.stop()

  await producer.send({ topic: 'greetings', messages: [{ value: 'one more' }] })
  for await (const m of consumer) {
    const msg: KafkaMessage = m
    await consumer.commitOffsets([{ topic: msg.topic, partition: msg.partition, offset: msg.offset + 1n }])
    console.log('iterated', msg.value?.toString())
    break
  }
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
