// Types of the public `rustlog` API (the KafkaJS-shaped layer in lib/). Result shapes of the
// admin calls are the napi-rs generated types of ../index.d.ts, re-exported here.

import type {
  TopicInfo,
  PartitionInfo,
  GroupInfo,
  GroupDescriptionInfo,
  MemberInfo,
  PartitionLagInfo,
  TopicPartitionsInfo,
} from '../index'

export type {
  TopicInfo,
  PartitionInfo,
  GroupInfo,
  GroupDescriptionInfo,
  MemberInfo,
  PartitionLagInfo,
  TopicPartitionsInfo,
}

/** What a key, value or header value may be when sending. */
export type Payload = Buffer | Uint8Array | string

/** An offset as accepted from users: bigint, a decimal string, or a safe integer. */
export type OffsetLike = bigint | string | number

/**
 * KafkaJS's retry options, for a consumer's `run()` loop: a retriable failure waits
 * `initialRetryTime` (randomized by `factor`), then each wait is `multiplier` times the last, up
 * to `maxRetryTime`, for at most `retries` retries; then the loop crashes (`consumer.crash`).
 */
export interface RetryOptions {
  /** Default 5. */
  retries?: number
  /** Milliseconds, default 300. */
  initialRetryTime?: number
  /** Milliseconds, default 30000. */
  maxRetryTime?: number
  /** Randomization factor, 0..1, default 0.2. */
  factor?: number
  /** Exponential factor, at least 1, default 2. */
  multiplier?: number
  /** After a crash on a retriable error: restart the loop? (default: always). A rejection means yes. */
  restartOnFailure?: (error: Error) => Promise<boolean>
}

/** KafkaJS's log levels: an entry is logged when its level is at most the logger's. */
export declare const logLevel: {
  readonly NOTHING: 0
  readonly ERROR: 1
  readonly WARN: 2
  readonly INFO: 4
  readonly DEBUG: 5
}
export type logLevel = (typeof logLevel)[keyof typeof logLevel]

/** One log entry, KafkaJS's shape. `namespace` is the Rust module (`rustlog::consumer`). */
export interface LogEntry {
  namespace: string
  level: logLevel
  label: 'ERROR' | 'WARN' | 'INFO' | 'DEBUG'
  log: { message: string; timestamp: string; logger: 'rustlog'; [key: string]: unknown }
}

/** KafkaJS's `logCreator`: called once with the level, returns the function given each entry. */
export type logCreator = (logLevel: logLevel) => (entry: LogEntry) => void

export interface RustLogConfig {
  /**
   * Bootstrap list: one `host:port` per entry, e.g. `['127.0.0.1:7400']`; the client tries each
   * in turn (when connecting and reconnecting) and uses whichever answers.
   */
  brokers: string[]
  /**
   * KafkaJS's `logLevel` (default WARN). The client's log is process-wide: the last RustLog
   * given `logLevel` or `logCreator` sets it.
   */
  logLevel?: logLevel
  /** KafkaJS's `logCreator` (default: JSON lines on the console, as KafkaJS's). */
  logCreator?: logCreator
  // options(node client): rendered from rustlog::options, see tests/tests/docs_options.rs
  /** Sent to the broker, shown in its logs and group descriptions. Default: 'rustlog-rs'. */
  clientId?: string
  /** How long one request may wait for its response. Default: 30000. */
  requestTimeout?: number
  /** How long opening a connection may take, reconnect attempts included. Default: 10000. */
  connectionTimeout?: number
  /** How often cached partition counts are looked up again (Kafka's metadata.max.age.ms). Default: 300000. */
  metadataMaxAge?: number
  // end options
  /** Retry options of every consumer's `run()` loop (a consumer's own `retry` goes over them). */
  retry?: RetryOptions
  /** TLS is not supported yet: anything but `false` is refused. */
  ssl?: false
  /** SASL is not supported yet: setting it is refused. */
  sasl?: undefined
}

/** KafkaJS's codec enum; the numbers are Kafka's codec ids. */
export declare const CompressionTypes: {
  readonly None: 0
  readonly GZIP: 1
  readonly Snappy: 2
  readonly LZ4: 3
  readonly ZSTD: 4
}
export type CompressionTypes = (typeof CompressionTypes)[keyof typeof CompressionTypes]

/** Kafka's codec names (`compression.type`). */
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

/** `acks`: 'none' | 'leader' | 'durable' (fsynced) | 'all', or KafkaJS's 0 | 1 | -1 (all). */
export type Acks = 'none' | 'leader' | 'durable' | 'all' | 0 | 1 | 2 | -1

/**
 * A producer's options; the client options given here override the RustLog's for this
 * producer. `idempotent` defaults to true here (false in KafkaJS); it applies only with acks
 * other than 'none'.
 */
export interface ProducerConfig {
  // options(node producer): rendered from rustlog::options, see tests/tests/docs_options.rs
  /** Sent to the broker, shown in its logs and group descriptions. Default: 'rustlog-rs'. */
  clientId?: string
  /** How long one request may wait for its response. Default: 30000. */
  requestTimeout?: number
  /** How long opening a connection may take, reconnect attempts included. Default: 10000. */
  connectionTimeout?: number
  /** How often cached partition counts are looked up again (Kafka's metadata.max.age.ms). Default: 300000. */
  metadataMaxAge?: number
  /** How long a batch waits for more records before it is sent. Default: 0. */
  lingerMs?: number
  /** A batch is sent once it holds this many (uncompressed) bytes. Default: 262144. */
  batchBytesMax?: number
  /** When the broker acknowledges: none, leader (appended) or durable (fsynced; also all, -1). Default: 'leader'. */
  acks?: Acks
  /** Produce requests in flight at once. Default: 8. */
  maxInFlightRequests?: number
  /** Bytes the producer may buffer; send waits beyond it. Default: 67108864. */
  bufferBytesMax?: number
  /** Time a record may take from send to acknowledgement, retries included. Default: 30000. */
  deliveryTimeoutMs?: number
  /** Pause before a batch that failed with a retriable error is sent again. Default: 100. */
  retryBackoffMs?: number
  /** Codec of every batch (Kafka's compression.type; codec ids 0-4 also parse). Default: 'none'. */
  compression?: CompressionTypes | CompressionName
  /** Codec level: gzip 0..9, zstd -7..22; unset takes the codec's default. Default: unset. */
  compressionLevel?: number
  /** Batches carry a producer id and sequences, so a retried batch is stored once. Default: true. */
  idempotent?: boolean
  // end options
}

/** A consumer's options; the client options given here override the RustLog's for it. */
export interface ConsumerConfig {
  groupId: string
  /** Retry options of `run()`, over the client's. */
  retry?: RetryOptions
  // options(node consumer): rendered from rustlog::options, see tests/tests/docs_options.rs
  /** Sent to the broker, shown in its logs and group descriptions. Default: 'rustlog-rs'. */
  clientId?: string
  /** How long one request may wait for its response. Default: 30000. */
  requestTimeout?: number
  /** How long opening a connection may take, reconnect attempts included. Default: 10000. */
  connectionTimeout?: number
  /** How often cached partition counts are looked up again (Kafka's metadata.max.age.ms). Default: 300000. */
  metadataMaxAge?: number
  /** The broker drops a member after this long without a heartbeat. Default: 10000. */
  sessionTimeout?: number
  /** How long a rebalance waits for members to rejoin. Default: 10000. */
  rebalanceTimeout?: number
  /** Longest time between polls before the member leaves the group. Default: 300000. */
  maxPollIntervalMs?: number
  /** Long-poll wait of one fetch. Default: 500. */
  maxWaitTimeInMs?: number
  /** Bytes per fetch response. Default: 8388608. */
  maxBytes?: number
  /** Bytes per partition in one fetch. Default: 1048576. */
  maxBytesPerPartition?: number
  // end options
}

/** A header value: `null` is a null value (Kafka tells it apart from an empty one). */
export type HeaderValue = Payload | null

export interface Message {
  key?: Payload | null
  value: Payload | null
  /** An array value sends the header once per item, in order (KafkaJS's repeated headers). */
  headers?: Record<string, HeaderValue | HeaderValue[] | undefined>
  /** Explicit partition; otherwise by key hash, else a sticky partition (moves on after a batch's worth). */
  partition?: number
  /** Create time in ms since the epoch; default: the send time. */
  timestamp?: bigint | string | number
}

/** KafkaJS's per-send settings, over the producer's own (a bad value is InvalidArgument). */
export interface SendSettings {
  /** -1 / 'all' (as the producer's: 'durable'), 1 / 'leader', 0 / 'none', or 'durable' / 2. */
  acks?: Acks
  /** Milliseconds these records may take to be acknowledged, retries included. */
  timeout?: number
  /** Codec of these records' batches. */
  compression?: CompressionTypes | CompressionName
}

export interface ProducerRecord extends SendSettings {
  topic: string
  messages: Message[]
}

export interface RecordMetadata {
  topic: string
  partition: number
  offset: bigint
  /** Milliseconds since the Unix epoch. */
  timestamp: bigint
}

export interface KafkaMessage {
  topic: string
  partition: number
  offset: bigint
  /** Milliseconds since the Unix epoch. */
  timestamp: bigint
  key: Buffer | null
  value: Buffer | null
  /**
   * Header values are Buffers, or null for a null value; a repeated header name collects its
   * values in an array, in the order produced (KafkaJS's shape).
   */
  headers: Record<string, Buffer | null | Array<Buffer | null>>
}

export interface EachMessagePayload {
  topic: string
  partition: number
  message: KafkaMessage
  /** Resolves at once: the client heartbeats in the background. */
  heartbeat(): Promise<void>
  /** Pauses this partition; returns the function that resumes it. */
  pause(): () => void
}

/** One partition's polled messages (KafkaJS's `Batch`; offsets are bigints here). */
export interface Batch {
  topic: string
  partition: number
  /** The partition's high watermark when the batch was polled. */
  highWatermark: bigint | null
  messages: KafkaMessage[]
  isEmpty(): boolean
  firstOffset(): bigint | null
  lastOffset(): bigint | null
  /** `highWatermark - 1 - lastOffset()`. */
  offsetLag(): bigint | null
  /** `highWatermark - 1 - firstOffset()`. */
  offsetLagLow(): bigint | null
}

/** Offsets as KafkaJS's `OffsetsByTopicPartition` (decimal strings, the next offset to read). */
export interface OffsetsByTopicPartition {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>
}

export interface EachBatchPayload {
  batch: Batch
  /** Marks `offset` (and every message before it in the batch) as handled. */
  resolveOffset(offset: OffsetLike): void
  /** Resolves at once: the client heartbeats in the background. */
  heartbeat(): Promise<void>
  /** Pauses this partition; returns the function that resumes it. */
  pause(): () => void
  /** Commits `offsets`, or (with autoCommit) every resolved offset not committed yet. */
  commitOffsetsIfNecessary(offsets?: { topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: OffsetLike }> }> }): Promise<void>
  uncommittedOffsets(): OffsetsByTopicPartition
  isRunning(): boolean
  /** True once `seek` moved this partition: the rest of the batch is not to be handled. */
  isStale(): boolean
}

interface ConsumerRunCommon {
  /** Commit resolved offsets after each poll's batches (default true). */
  autoCommit?: boolean
  /** How many partitions are handled at once (default 1); one partition's messages stay in order. */
  partitionsConsumedConcurrently?: number
}

export type ConsumerRunConfig =
  | (ConsumerRunCommon & { eachMessage: (payload: EachMessagePayload) => Promise<void>; eachBatch?: never })
  | (ConsumerRunCommon & {
      eachBatch: (payload: EachBatchPayload) => Promise<void>
      /** Resolve the batch's last offset when eachBatch returns (default true). */
      eachBatchAutoResolve?: boolean
      eachMessage?: never
    })

/** KafkaJS's `consumer.pause` / `resume` entries: no `partitions` = every assigned one of the topic. */
export interface TopicPartitions {
  topic: string
  partitions?: number[]
}

export interface ConsumerSubscribeTopics {
  topics?: string[]
  topic?: string
  /** Where partitions without a committed offset start: earliest (true) or latest (default). */
  fromBeginning?: boolean
}

export interface TopicPartitionOffset {
  topic: string
  partition: number
  /** The next offset to read (Kafka semantics: last handled offset + 1). */
  offset: OffsetLike
}

/** KafkaJS's consumer event names (the ones RustLog emits). */
export interface ConsumerEvents {
  readonly HEARTBEAT: 'consumer.heartbeat'
  readonly COMMIT_OFFSETS: 'consumer.commit_offsets'
  readonly GROUP_JOIN: 'consumer.group_join'
  readonly FETCH_START: 'consumer.fetch_start'
  readonly FETCH: 'consumer.fetch'
  readonly START_BATCH_PROCESS: 'consumer.start_batch_process'
  readonly END_BATCH_PROCESS: 'consumer.end_batch_process'
  readonly CONNECT: 'consumer.connect'
  readonly DISCONNECT: 'consumer.disconnect'
  readonly STOP: 'consumer.stop'
  readonly CRASH: 'consumer.crash'
  readonly REBALANCING: 'consumer.rebalancing'
}

/** KafkaJS's InstrumentationEvent. */
export interface InstrumentationEvent<T> {
  id: number
  type: string
  timestamp: number
  payload: T
}

export interface ConsumerEventPayloads {
  'consumer.group_join': {
    groupId: string
    memberId: string
    /** RustLog's own (KafkaJS has no generation here). The broker assigns: no leader fields. */
    generationId: number
    memberAssignment: Record<string, number[]>
  }
  'consumer.rebalancing': { groupId: string; memberId: string | null }
  'consumer.heartbeat': { groupId: string; memberId: string; groupGenerationId: number }
  'consumer.commit_offsets': {
    groupId: string
    memberId: string | null
    groupGenerationId: number | null
    topics: OffsetsByTopicPartition['topics']
  }
  'consumer.crash': { error: unknown; groupId: string; restart: boolean }
  'consumer.stop': undefined
  'consumer.connect': undefined
  'consumer.disconnect': undefined
  'consumer.fetch_start': Record<string, never>
  'consumer.fetch': { numberOfBatches: number; duration: number }
  'consumer.start_batch_process': BatchProcessPayload
  'consumer.end_batch_process': BatchProcessPayload & { duration: number }
}

export interface BatchProcessPayload {
  topic: string
  partition: number
  highWatermark: bigint | null
  batchSize: number
  firstOffset: bigint
  lastOffset: bigint
}

export type ConsumerCrashEvent = InstrumentationEvent<ConsumerEventPayloads['consumer.crash']>

/** Removes the listener `on` added. */
export type RemoveInstrumentationEventListener = () => void

export interface ITopicConfig {
  topic: string
  numPartitions?: number
  configEntries?: Array<{ name: string; value: string }>
}

/** One topic of `createPartitions`: `count` is the new total (more than the topic has). */
export interface ITopicPartitionConfig {
  topic: string
  count: number
}

/** One deleted group of `deleteGroups` (`errorCode` 0). */
export interface DeleteGroupsResult {
  groupId: string
  errorCode: number
}

/** One group `deleteGroups` could not delete, in `DeleteGroupsError.groups`. */
export interface DeleteGroupsFailure {
  groupId: string
  /** The shared error code, e.g. `ErrorCode.NonEmptyGroup`. */
  errorCode: number
  error: RustLogError
}

/** One partition's offset (`fetchTopicOffsetsByTimestamp`). */
export interface PartitionOffset {
  partition: number
  offset: bigint
}

/** One partition of `fetchTopicOffsets`: `offset` and `high` the high watermark, `low` the log start. */
export interface PartitionWatermarks extends PartitionOffset {
  high: bigint
  low: bigint
}

/** A group's committed offset of one partition: -1n where it committed nothing (asked by topic). */
export interface FetchOffsetsPartition {
  partition: number
  /** The next offset the group reads. */
  offset: bigint
  metadata: string | null
}

/** One topic of `fetchOffsets`. */
export interface GroupTopicOffsets {
  topic: string
  partitions: FetchOffsetsPartition[]
}

/** One partition of `setOffsets`: the next offset to read, or KafkaJS's -2 (earliest) / -1 (latest). */
export interface SeekEntry {
  partition: number
  offset: OffsetLike
}

/** Milliseconds since the Unix epoch. */
export type TimestampLike = bigint | string | number

/** Where `planResetOffsets` moves a group's offsets; every target is clamped to the log. */
export type ResetTarget =
  | 'earliest'
  | 'latest'
  | { offset: OffsetLike; timestamp?: never; shiftBy?: never }
  /** The first record at or after it; the high watermark where no record is that new. */
  | { timestamp: TimestampLike; offset?: never; shiftBy?: never }
  /** From the committed offset (negative goes back); refused where nothing is committed. */
  | { shiftBy: bigint | string | number; offset?: never; timestamp?: never }

/** One partition of a reset plan. */
export interface OffsetChange {
  topic: string
  partition: number
  /** The committed offset now; null when the group committed nothing there. */
  current: bigint | null
  /** The offset after the reset. */
  new: bigint
}

/**
 * The shared error-code table by name (`rustlog_protocol::ErrorCode::ALL`): Kafka's numbers below
 * 1000 (`Unknown` is Kafka's -1 as 65535), RustLog-only broker codes 1000-1999, client-only 2000+.
 */
export declare const ErrorCode: Readonly<Record<string, number>> & {
  readonly None: 0
  readonly Unknown: 65535
  readonly OffsetOutOfRange: 1
  readonly CorruptRecord: 2
  readonly TopicNotFound: 3
  readonly RequestTimedOut: 7
  readonly RecordTooLarge: 10
  readonly OffsetMetadataTooLarge: 12
  readonly CoordinatorNotAvailable: 15
  readonly NotCoordinator: 16
  readonly InvalidTopicName: 17
  readonly InvalidRequiredAcks: 21
  readonly IllegalGeneration: 22
  readonly InconsistentGroupProtocol: 23
  readonly InvalidGroupId: 24
  readonly UnknownMemberId: 25
  readonly InvalidSessionTimeout: 26
  readonly RebalanceInProgress: 27
  readonly UnsupportedVersion: 35
  readonly TopicAlreadyExists: 36
  readonly InvalidPartitions: 37
  readonly InvalidReplicationFactor: 38
  readonly InvalidConfig: 40
  readonly InvalidRequest: 42
  readonly OutOfOrderSequenceNumber: 45
  readonly InvalidProducerEpoch: 47
  readonly StorageError: 56
  readonly UnknownProducerId: 59
  readonly NonEmptyGroup: 68
  readonly GroupNotFound: 69
  readonly UnsupportedCompressionType: 76
  readonly MemberIdRequired: 79
  readonly GroupMaxSizeReached: 81
  readonly FencedInstanceId: 82
  readonly GroupSubscribedToTopic: 86
  readonly InvalidRecord: 87
  readonly PartitionNotFound: 1000
  readonly UnknownApiKey: 1001
  readonly DiskFull: 1002
  readonly BrokerShuttingDown: 1003
  readonly TooManyConnections: 1004
  readonly Throttled: 1005
  readonly Disconnected: 2000
  readonly TimedOut: 2001
  readonly Closed: 2002
  readonly InvalidArgument: 2003
  readonly ProtocolViolation: 2004
}

/** Every failure of the package: `.code` is the shared protocol code, `.name` its name. */
export declare class RustLogError extends Error {
  constructor(message: string, options: { code: number; retriable?: boolean; cause?: unknown })
  readonly code: number
  readonly name: string
  readonly retriable: boolean
}

/**
 * `deleteGroups` rejects with it when some group could not be deleted (KafkaJS's
 * `KafkaJSDeleteGroupsError`); `.code` and `.name` are the first failed group's.
 */
export declare class DeleteGroupsError extends RustLogError {
  /** The groups that were not deleted; the others were. */
  readonly groups: DeleteGroupsFailure[]
}

export declare class Producer {
  connect(): Promise<void>
  send(record: ProducerRecord): Promise<RecordMetadata[]>
  sendBatch(batch: SendSettings & { topicMessages: Array<{ topic: string; messages: Message[] }> }): Promise<RecordMetadata[]>
  flush(): Promise<void>
  disconnect(): Promise<void>
}

export declare class Consumer {
  readonly events: ConsumerEvents
  connect(): Promise<void>
  subscribe(subscription: ConsumerSubscribeTopics): Promise<void>
  /** Resolves once the loop joined the group. */
  run(config: ConsumerRunConfig): Promise<void>
  commitOffsets(offsets: TopicPartitionOffset[]): Promise<void>
  /** Assigned partitions only; works while `run()` is going (e.g. from eachMessage). */
  pause(topicPartitions: TopicPartitions[]): void
  resume(topicPartitions: TopicPartitions[]): void
  paused(): Array<{ topic: string; partitions: number[] }>
  /** An assigned partition goes on from `offset` (the next one to read). */
  seek(target: { topic: string; partition: number; offset: OffsetLike }): void
  stop(): Promise<void>
  disconnect(): Promise<void>
  [Symbol.asyncIterator](): AsyncIterator<KafkaMessage>
  /** KafkaJS's `on`: returns the remover; a listener that throws or rejects is logged. */
  on<E extends keyof ConsumerEventPayloads>(
    event: E,
    listener: (event: InstrumentationEvent<ConsumerEventPayloads[E]>) => void | Promise<void>,
  ): RemoveInstrumentationEventListener
  once<E extends keyof ConsumerEventPayloads>(
    event: E,
    listener: (event: InstrumentationEvent<ConsumerEventPayloads[E]>) => void | Promise<void>,
  ): this
  off(event: keyof ConsumerEventPayloads, listener: (...args: any[]) => void): this
  removeListener(event: keyof ConsumerEventPayloads, listener: (...args: any[]) => void): this
}

export declare class Admin {
  connect(): Promise<void>
  disconnect(): Promise<void>
  /** True when every topic was created, false when some already existed. */
  createTopics(options: { topics: ITopicConfig[] }): Promise<boolean>
  deleteTopics(options: { topics: string[] }): Promise<void>
  listTopics(): Promise<string[]>
  describeTopics(options: { topics: string[] }): Promise<{ topics: TopicInfo[] }>
  listGroups(): Promise<{ groups: GroupInfo[] }>
  describeGroup(groupId: string): Promise<GroupDescriptionInfo>
  /** Grows topics; true when done. `validateOnly` (no dry run here) may only be false. */
  createPartitions(options: { topicPartitions: ITopicPartitionConfig[]; validateOnly?: false }): Promise<boolean>
  /** Deletes groups without members; rejects with `DeleteGroupsError` when some fail. */
  deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]>
  fetchTopicOffsets(topic: string): Promise<PartitionWatermarks[]>
  /** Without a timestamp, or where no record is that new: the high watermark. */
  fetchTopicOffsetsByTimestamp(topic: string, timestamp?: TimestampLike): Promise<PartitionOffset[]>
  /** Without `topics`: every topic the group committed on (none for an unknown group). */
  fetchOffsets(options: { groupId: string; topics?: string[]; resolveOffsets?: false }): Promise<GroupTopicOffsets[]>
  /** For a group without running consumers (else NonEmptyGroup), in one commit. */
  setOffsets(options: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void>
  /** Every partition of `topic` to the latest offset, or the earliest with `earliest: true`. */
  resetOffsets(options: { groupId: string; topic: string; earliest?: boolean }): Promise<void>
  /** RustLog's own: the plan of a reset, changing nothing (apply it with `setOffsets`). */
  planResetOffsets(options: {
    groupId: string
    topic: string
    partitions?: number[]
    to: ResetTarget
  }): Promise<OffsetChange[]>
}

export interface EmbeddedBroker {
  /** `['127.0.0.1:<port>']`, ready for `new RustLog({ brokers })`. */
  brokers: string[]
  /** Stops the broker after flushing every partition. Harmless twice. */
  stop(): Promise<void>
}

export declare class RustLog {
  constructor(config: RustLogConfig)
  producer(config?: ProducerConfig): Producer
  consumer(config: ConsumerConfig): Consumer
  admin(config?: Record<string, never>): Admin
  /** A broker inside this process; `port` 0 picks a free port. */
  static startEmbeddedBroker(options: { dataDir: string; port?: number; host?: string }): Promise<EmbeddedBroker>
}

