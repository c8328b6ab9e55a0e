'use strict'
// RustLog: the entry object, like KafkaJS's `new Kafka({ brokers, clientId })`. It only holds
// the settings; every producer, consumer and admin opens its own connection on `connect()`.

const native = require('../index.js')
const { call, fromNative, invalidArgument } = require('./errors.js')
const { Producer } = require('./producer.js')
const { Consumer } = require('./consumer.js')
const { Admin } = require('./admin.js')
const { retryOptions, mergeRetry } = require('./retry.js')
const { configureLogging } = require('./logging.js')

/** Options KafkaJS has that RustLog refuses rather than ignores (set to anything but off). */
const NOT_YET = new Map([
  ['ssl', 'TLS: the broker listens in plain TCP'],
  ['sasl', 'authentication: the broker has none'],
])

/**
 * Refuses option keys that `what` does not take, so a misspelt or unsupported option is an
 * InvalidArgument instead of being silently dropped. Returns the options ({} for undefined).
 */
function strictOptions(options, what, allowed, notYet = new Map()) {
  if (options === undefined) return {}
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgument(`${what} takes an options object`)
  }
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue
    if (notYet.has(key)) {
      const v = options[key]
      if (v === undefined || v === null || v === false) continue
      throw invalidArgument(`${what}: ${key} is not supported yet (${notYet.get(key)})`)
    }
    throw invalidArgument(`${what}: unknown option ${JSON.stringify(key)}; the options are ${allowed.join(', ')}`)
  }
  return options
}

const CLIENT_KEYS = ['brokers', 'clientId', 'requestTimeoutMs', 'metadataMaxAge', 'retry', 'logLevel', 'logCreator']
const PRODUCER_KEYS = [
  'lingerMs',
  'acks',
  'batchBytesMax',
  'deliveryTimeoutMs',
  'compression',
  'compressionLevel',
  'idempotent',
  'metadataMaxAge',
]
const CONSUMER_KEYS = ['groupId', 'sessionTimeout', 'maxPollIntervalMs', 'metadataMaxAge', 'retry']

function optionalUint(v, what) {
  if (v === undefined || v === null) return undefined
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw invalidArgument(`${what} must be a non-negative integer`)
  return v
}

/** Runs a native constructor; a refused option becomes a RustLogError with its shared code. */
function construct(fn) {
  try {
    return fn()
  } catch (err) {
    throw fromNative(err)
  }
}

/** KafkaJS's `CompressionTypes` number or a codec name; the native layer resolves both. */
function compressionOption(v) {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'string' || (Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) return v
  throw invalidArgument('compression must be a CompressionTypes value or a codec name')
}

/** KafkaJS's `metadataMaxAge` (ms): above zero. */
function metadataMaxAgeMs(v) {
  const ms = optionalUint(v, 'metadataMaxAge')
  if (ms === 0) throw invalidArgument('metadataMaxAge must be above zero')
  return ms
}

function optionalInt32(v, what) {
  if (v === undefined || v === null) return undefined
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw invalidArgument(`${what} must be an integer`)
  return v
}

function optionalBool(v, what) {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'boolean') throw invalidArgument(`${what} must be a boolean`)
  return v
}

function acksName(acks) {
  if (acks === undefined || acks === null) return undefined
  if (acks === -1) return 'all'
  if (typeof acks === 'number' || typeof acks === 'string') return String(acks)
  throw invalidArgument('acks must be a number or a string')
}

class RustLog {
  #config
  #retry

  /**
   * @param {{ brokers: string[], clientId?: string, requestTimeoutMs?: number,
   *   metadataMaxAge?: number, retry?: object, logLevel?: number, logCreator?: Function }} config
   * `logLevel` / `logCreator`: KafkaJS's; the client's log is process-wide, so the last RustLog
   * given either sets it (see lib/logging.js).
   */
  constructor(config) {
    const { brokers, clientId, requestTimeoutMs, metadataMaxAge, retry, logLevel, logCreator } = strictOptions(
      config,
      'new RustLog()',
      CLIENT_KEYS,
      NOT_YET,
    )
    if (!Array.isArray(brokers) || brokers.length === 0 || !brokers.every((b) => typeof b === 'string')) {
      throw invalidArgument('brokers must be a non-empty array of "host:port" strings')
    }
    if (clientId !== undefined && typeof clientId !== 'string') throw invalidArgument('clientId must be a string')
    this.#config = {
      brokers: [...brokers],
      clientId,
      requestTimeoutMs: optionalUint(requestTimeoutMs, 'requestTimeoutMs'),
      metadataMaxAgeMs: metadataMaxAgeMs(metadataMaxAge),
    }
    this.#retry = retryOptions(retry, 'retry')
    configureLogging(logLevel ?? undefined, logCreator ?? undefined)
  }

  /** The client's settings with a producer's or consumer's own `metadataMaxAge`. */
  #configWith(metadataMaxAge) {
    const ms = metadataMaxAgeMs(metadataMaxAge)
    return ms === undefined ? this.#config : { ...this.#config, metadataMaxAgeMs: ms }
  }

  /**
   * `acks`: 'none' | 'leader' | 'durable' (fsynced), or KafkaJS's 0 | 1 | -1 ('all' = durable).
   * `lingerMs` defaults to 0 here: each `send` already is a batch.
   * `compression`: a `CompressionTypes` value or 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd', for
   * every batch of this producer; `compressionLevel` its level (gzip 0..9, zstd -7..22).
   * `idempotent` (default true): batches carry a producer id and sequence numbers, so a retried
   * batch is stored once; it applies only with acks other than 'none'.
   * `metadataMaxAge` (ms): how often cached partition counts are refreshed (default the client's).
   */
  producer(config) {
    const { lingerMs, acks, batchBytesMax, deliveryTimeoutMs, compression, compressionLevel, idempotent, metadataMaxAge } =
      strictOptions(config, 'producer()', PRODUCER_KEYS)
    const client = this.#configWith(metadataMaxAge)
    const options = {
      lingerMs: optionalUint(lingerMs, 'lingerMs'),
      acks: acksName(acks),
      batchBytesMax: optionalUint(batchBytesMax, 'batchBytesMax'),
      deliveryTimeoutMs: optionalUint(deliveryTimeoutMs, 'deliveryTimeoutMs'),
      compression: compressionOption(compression),
      compressionLevel: optionalInt32(compressionLevel, 'compressionLevel'),
      idempotent: optionalBool(idempotent, 'idempotent'),
    }
    return new Producer(construct(() => new native.NativeProducer(client, options)))
  }

  /**
   * `groupId`; `sessionTimeout` (ms without a heartbeat before the broker drops the member);
   * `maxPollIntervalMs` (ms between polls before the member leaves the group, default 300000);
   * `metadataMaxAge`; `retry` (KafkaJS's, over the client's) for the `run()` loop.
   * @param {{ groupId: string, sessionTimeout?: number, maxPollIntervalMs?: number,
   *   metadataMaxAge?: number, retry?: object }} config
   */
  consumer(config) {
    const { groupId, sessionTimeout, maxPollIntervalMs, metadataMaxAge, retry } = strictOptions(config, 'consumer()', CONSUMER_KEYS)
    if (typeof groupId !== 'string') throw invalidArgument('consumer() takes { groupId: string }')
    const options = {
      groupId,
      sessionTimeoutMs: optionalUint(sessionTimeout, 'sessionTimeout'),
      maxPollIntervalMs: optionalUint(maxPollIntervalMs, 'maxPollIntervalMs'),
    }
    const client = this.#configWith(metadataMaxAge)
    const merged = mergeRetry(this.#retry, retryOptions(retry, 'retry'))
    return new Consumer(construct(() => new native.NativeConsumer(client, options)), { groupId, retry: merged })
  }

  admin(config) {
    strictOptions(config, 'admin()', [])
    return new Admin(new native.NativeAdmin(this.#config))
  }

  /**
   * Starts a broker inside this process (for tests and small apps). `port` 0 picks a free port.
   * Resolves to `{ brokers: ['127.0.0.1:<port>'], stop() }`.
   */
  static async startEmbeddedBroker({ dataDir, port = 0, host = '127.0.0.1' } = {}) {
    if (typeof dataDir !== 'string' || dataDir.length === 0) throw invalidArgument('dataDir must be a path')
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidArgument('port must be 0..65535')
    if (typeof host !== 'string') throw invalidArgument('host must be a string')
    const broker = await call(() => native.NativeEmbeddedBroker.start(dataDir, host, port))
    return {
      brokers: [broker.address],
      stop: () => call(() => broker.stop()),
    }
  }
}

module.exports = { RustLog }
