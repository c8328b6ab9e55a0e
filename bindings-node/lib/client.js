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

/** The client's option table (`rustlog::options`), under the Node names. */
const OPTION_TABLE = native.optionTable()

/** Node names of the table's options of `scopes`. */
function tableNames(scopes) {
  return OPTION_TABLE.filter((row) => scopes.includes(row.scope)).map((row) => row.name)
}

/**
 * Refuses option keys that `what` does not take (its own `jsKeys` and the table's options of
 * `scopes`), so a misspelt or unsupported option is an InvalidArgument instead of being
 * silently dropped. Returns the options ({} for undefined).
 */
function strictOptions(options, what, jsKeys, scopes, notYet = new Map()) {
  if (options === undefined) return {}
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgument(`${what} takes an options object`)
  }
  const allowed = [...jsKeys, ...tableNames(scopes)]
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

/**
 * The table's options among `options` for the native layer, which checks each value (type,
 * range) and names the option in its error; `undefined` and `null` keep the default.
 */
function nativeOptions(options, what, scopes) {
  const out = {}
  for (const key of tableNames(scopes)) {
    const v = options[key]
    if (v === undefined || v === null) continue
    if (typeof v !== 'boolean' && typeof v !== 'number' && typeof v !== 'string') {
      throw invalidArgument(`${what}: ${key} must be a boolean, a number or a string`)
    }
    out[key] = v
  }
  return out
}

/** Runs a native constructor; a refused option becomes a RustLogError with its shared code. */
function construct(fn) {
  try {
    return fn()
  } catch (err) {
    throw fromNative(err)
  }
}

class RustLog {
  #client
  #retry

  /**
   * `brokers`, KafkaJS's `retry`, `logLevel` and `logCreator`, and the client options of the
   * option table (`clientId`, `requestTimeout`, `connectionTimeout`, `metadataMaxAge`; see
   * index.d.ts). Every producer, consumer and admin made here shares one client, which connects
   * on the first `connect()`. `logLevel` / `logCreator`: the client's log is process-wide, so
   * the last RustLog given either sets it (see lib/logging.js).
   */
  constructor(config) {
    const options = strictOptions(config, 'new RustLog()', ['brokers', 'retry', 'logLevel', 'logCreator'], ['client'], NOT_YET)
    const { brokers, retry, logLevel, logCreator } = options
    if (!Array.isArray(brokers) || brokers.length === 0 || !brokers.every((b) => typeof b === 'string')) {
      throw invalidArgument('brokers must be a non-empty array of "host:port" strings')
    }
    const client = nativeOptions(options, 'new RustLog()', ['client'])
    this.#client = construct(() => new native.NativeClient([...brokers], client))
    this.#retry = retryOptions(retry, 'retry')
    configureLogging(logLevel ?? undefined, logCreator ?? undefined)
  }

  /**
   * The producer options of the option table (`acks`, `lingerMs` (0 here: each `send` already
   * is a batch), `compression`, `idempotent`, ...; see index.d.ts), and client options to
   * override the RustLog's for this producer (KafkaJS's `metadataMaxAge`).
   */
  producer(config) {
    const scopes = ['client', 'producer']
    const options = nativeOptions(strictOptions(config, 'producer()', [], scopes), 'producer()', scopes)
    return new Producer(construct(() => new native.NativeProducer(this.#client, options)))
  }

  /**
   * `groupId`, `retry` (KafkaJS's, over the client's) for the `run()` loop, and the consumer
   * options of the option table (`sessionTimeout`, `maxPollIntervalMs`, ...; see index.d.ts).
   */
  consumer(config) {
    const scopes = ['client', 'consumer']
    const given = strictOptions(config, 'consumer()', ['groupId', 'retry'], scopes)
    const { groupId, retry } = given
    if (typeof groupId !== 'string') throw invalidArgument('consumer() takes { groupId: string }')
    const options = nativeOptions(given, 'consumer()', scopes)
    const merged = mergeRetry(this.#retry, retryOptions(retry, 'retry'))
    return new Consumer(construct(() => new native.NativeConsumer(this.#client, groupId, options)), { groupId, retry: merged })
  }

  admin(config) {
    strictOptions(config, 'admin()', [], [])
    return new Admin(new native.NativeAdmin(this.#client))
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
