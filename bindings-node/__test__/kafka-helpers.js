'use strict'
// Shared set-up of the kafka-*.test.js scenarios: a real `rustlog-broker` process (the built
// binary, not the embedded broker) in a fresh temp dir, with its native and Kafka listeners on
// free loopback ports, learnt from the line it prints once it listens. KafkaJS clients talk to
// the Kafka listener, the RustLog Node SDK to the native one.

const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const readline = require('node:readline')
const { Kafka, logLevel, CompressionCodecs, CompressionTypes } = require('kafkajs')
const SnappyCodec = require('kafkajs-snappy')
const { RustLog } = require('..')
const { tempDir, take } = require('./helpers.js')
const { KafkaProxy } = require('./kafka-proxy.js')

// KafkaJS has gzip built in; snappy comes from a pure-JS codec package.
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec

/** How long a broker may take to print its listening line. */
const BROKER_START_TIMEOUT_MS = 30_000
/** How long a broker may take to exit after SIGTERM before it is killed. */
const BROKER_STOP_TIMEOUT_MS = 20_000
/** The line prefix the broker prints on stdout once it listens. */
const LISTENING_PREFIX = 'rustlog-broker listening on '

const WORKSPACE_ROOT = path.resolve(__dirname, '..', '..')

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK)
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}

/**
 * The broker binary: `RUSTLOG_BROKER_BIN`, else the newest of target/{release,debug} (a stale
 * release build must not shadow the debug build `make test` has just made), else a debug build
 * made now with cargo.
 */
function brokerBinary() {
  if (process.env.RUSTLOG_BROKER_BIN) return process.env.RUSTLOG_BROKER_BIN
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(WORKSPACE_ROOT, 'target')
  const built = ['release', 'debug']
    .map((profile) => path.join(targetDir, profile, 'rustlog-broker'))
    .filter(isExecutable)
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)
  if (built.length > 0) return built[0]
  execFileSync(process.env.CARGO || 'cargo', ['build', '-p', 'rustlog-broker', '--bin', 'rustlog-broker'], {
    cwd: WORKSPACE_ROOT,
    stdio: 'inherit',
  })
  return path.join(targetDir, 'debug', 'rustlog-broker')
}

// Resolved when a test file is loaded, outside any per-test timeout (a first build takes minutes).
const BROKER_BIN = brokerBinary()

/** Parses `ADDR metrics ADDR|off kafka ADDR|off` (the listening line after its prefix). */
function parseListeningLine(rest) {
  const [native, ...pairs] = rest.trim().split(/\s+/)
  const addrs = { native, metrics: null, kafka: null }
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    addrs[pairs[i]] = pairs[i + 1] === 'off' ? null : pairs[i + 1]
  }
  return addrs
}

/** A `rustlog-broker` process on free loopback ports with a data dir. */
class BrokerProcess {
  /**
   * @param {string} dataDir
   * @param {string[]} args extra flags, e.g. `['--kafka-advertised-listener', '127.0.0.1:1234']`
   */
  constructor(dataDir, args) {
    this.dataDir = dataDir
    this.args = args
    this.child = null
    this.native = null
    this.kafka = null
    this.runs = 0
  }

  /** Starts a broker on `127.0.0.1:0` (native and Kafka listeners, metrics off). */
  static async start(dataDir, args = []) {
    const broker = new BrokerProcess(dataDir, args)
    await broker.spawn(['--listen', '127.0.0.1:0', '--kafka-listen', '127.0.0.1:0'])
    return broker
  }

  /** The file the broker's stderr (its logs) goes to in its current run. */
  get logPath() {
    return `${this.dataDir}.broker-${this.runs}.log`
  }

  logs() {
    try {
      return fs.readFileSync(this.logPath, 'utf8')
    } catch {
      return ''
    }
  }

  async spawn(listenArgs) {
    this.runs += 1
    const log = fs.openSync(this.logPath, 'w')
    const child = spawn(
      BROKER_BIN,
      ['--data-dir', this.dataDir, '--metrics-listen', 'off', ...listenArgs, ...this.args],
      { stdio: ['ignore', 'pipe', log], env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info' } },
    )
    fs.closeSync(log)
    this.child = child
    const line = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no listening line in time')), BROKER_START_TIMEOUT_MS)
      const lines = readline.createInterface({ input: child.stdout })
      lines.on('line', (text) => {
        if (!text.startsWith(LISTENING_PREFIX)) return
        clearTimeout(timer)
        resolve(text.slice(LISTENING_PREFIX.length))
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`broker exited (${code ?? signal}) before listening`))
      })
    }).catch((err) => {
      child.kill('SIGKILL')
      throw new Error(`${err.message}; broker logs:\n${this.logs()}`)
    })
    const addrs = parseListeningLine(line)
    if (!addrs.kafka) throw new Error(`the Kafka listener is off: ${line}`)
    this.native = addrs.native
    this.kafka = addrs.kafka
  }

  /** The broker's process id (for kill -9 by PID). */
  get pid() {
    return this.child?.pid ?? null
  }

  /** SIGKILL by PID: nothing is flushed or closed gracefully. Resolves once the process is gone. */
  async kill9() {
    await this.signal('SIGKILL', Infinity)
  }

  /** SIGTERM (graceful: flush and fsync), SIGKILL if it has not exited in time. */
  async stop() {
    await this.signal('SIGTERM', BROKER_STOP_TIMEOUT_MS)
  }

  async signal(name, timeoutMs) {
    const child = this.child
    if (!child) return
    this.child = null
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    process.kill(child.pid, name)
    let timer
    const late = new Promise((resolve) => {
      if (timeoutMs !== Infinity) timer = setTimeout(() => resolve('late'), timeoutMs)
    })
    if ((await Promise.race([exited, late])) === 'late') {
      process.kill(child.pid, 'SIGKILL')
      await exited
    }
    clearTimeout(timer)
  }

  /**
   * kill -9, then the same data dir and flags on the same ports, so clients that reconnect to the
   * addresses they know find the new process.
   */
  async restartAfterKill9() {
    await this.kill9()
    await this.spawn(['--listen', this.native, '--kafka-listen', this.kafka])
  }
}

/** A KafkaJS client for `bootstrap`; quiet unless KAFKAJS_LOG_LEVEL (e.g. `DEBUG`) is set. */
function kafkajs(bootstrap, clientId = 'kafkajs-test', options = {}) {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel[process.env.KAFKAJS_LOG_LEVEL ?? 'NOTHING'] ?? logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
    ...options,
  })
}

/**
 * Runs `fn({ broker, kafka, rustlog, proxy, dataDir })` against a fresh broker process and always
 * stops it: `broker.kafka` is the Kafka listener's address and `broker.native` the native one,
 * `kafka` a KafkaJS client, `rustlog` a RustLog Node SDK client of the native listener. With
 * `proxy: true` a {@link KafkaProxy} sits in front of the Kafka listener, the broker advertises
 * the proxy's address, and `kafka` bootstraps from it (so every KafkaJS connection goes through it).
 */
async function withKafkaBroker(fn, { args = [], proxy: withProxy = false } = {}) {
  const root = tempDir('rustlog-kafkajs-')
  const dataDir = path.join(root, 'data')
  const proxy = withProxy ? await KafkaProxy.start() : null
  const advertised = proxy ? ['--kafka-advertised-listener', proxy.address] : []
  const broker = await BrokerProcess.start(dataDir, [...advertised, ...args])
  proxy?.forwardTo(broker.kafka)
  const rustlog = new RustLog({ brokers: [broker.native], clientId: 'node-sdk', requestTimeout: 5_000 })
  try {
    const kafka = kafkajs(proxy ? proxy.address : broker.kafka)
    return await fn({ broker, kafka, rustlog, proxy, dataDir })
  } catch (err) {
    err.message += `\n--- broker logs (${broker.logPath}) ---\n${broker.logs().slice(-4_000)}`
    throw err
  } finally {
    await proxy?.close()
    await broker.stop()
    fs.rmSync(root, { recursive: true, force: true })
  }
}

/** Creates topics through KafkaJS's admin (CreateTopics on the Kafka listener). */
async function createTopics(kafka, topics) {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const created = await admin.createTopics({ topics, waitForLeaders: true })
    if (!created) throw new Error(`topics already existed: ${topics.map((t) => t.topic)}`)
  } finally {
    await admin.disconnect()
  }
}

/**
 * Resolves with `condition()`'s value once it is truthy, polling every `intervalMs`; rejects
 * after `timeoutMs` naming `what` (a string, or a function called then for the latest state).
 */
async function waitFor(what, condition, { timeoutMs = 15_000, intervalMs = 25 } = {}) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await condition()
    if (value) return value
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

let names = 0
/** A name no other call of this process returns. */
function uniqueName(prefix) {
  names += 1
  return `${prefix}-${process.pid}-${names}`
}

/**
 * Consumes `count` messages of `topics` with a KafkaJS consumer in group `groupId` (a fresh one
 * by default), then disconnects it. Returns `{ topic, partition, message }` in arrival order.
 */
async function consumeWithKafkajs(kafka, { topics, count, groupId, fromBeginning = true, timeoutMs = 20_000 }) {
  // A short long-poll: disconnect waits for the fetch in flight.
  const consumer = kafka.consumer({ groupId: groupId ?? uniqueName('kafkajs-group'), maxWaitTimeInMs: 100 })
  const received = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topics, fromBeginning })
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        received.push({ topic, partition, message })
      },
    })
    await waitFor(() => `${count} messages (got ${received.length})`, () => received.length >= count, { timeoutMs })
  } finally {
    await consumer.disconnect()
  }
  return received
}

/**
 * The first `count` messages of `topic` read by the RustLog Node SDK over the native listener in
 * a fresh group, from the beginning.
 */
async function consumeWithRustlog(rustlog, topic, count, timeoutMs = 15_000) {
  const consumer = rustlog.consumer({ groupId: uniqueName('sdk-group') })
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    return await take(consumer, count, timeoutMs)
  } finally {
    await consumer.disconnect()
  }
}

/**
 * Five KafkaJS messages with every key, value and header flavour and explicit create times
 * `timestampMs + i` (KafkaJS spells timestamps as decimal strings).
 */
function sampleMessages(timestampMs = Date.now() - 60_000) {
  const messages = [
    { key: 'user-1', value: 'hello', headers: { trace: 'abc', bin: Buffer.from([0, 1, 2]) } },
    { key: Buffer.from([0xde, 0xad]), value: Buffer.from([0xbe, 0xef, 0x00]), headers: { hop: ['a', 'b'] } },
    { key: null, value: 'no key' },
    { key: 'tombstone', value: null },
    { key: 'unicode', value: 'ünïcødé ✓', headers: { 'ünï': 'çødé' } },
  ]
  return messages.map((m, i) => ({ ...m, timestamp: String(timestampMs + i) }))
}

/** A header value as bytes, whatever the sender spelled it as (string, Buffer, or an array). */
function headerBytes(value) {
  if (Array.isArray(value)) return value.map(headerBytes)
  return value === null || value === undefined ? null : Buffer.from(value)
}

/** `message` (KafkaJS's or the Node SDK's received shape) has the key, value, headers of `sent`. */
function assertSameRecord(assert, received, sent, what) {
  const bytes = (v) => (v === null || v === undefined ? null : Buffer.from(v))
  assert.deepEqual(received.key, bytes(sent.key), `${what}: key`)
  assert.deepEqual(received.value, bytes(sent.value), `${what}: value`)
  const headers = Object.fromEntries(Object.entries(sent.headers ?? {}).map(([k, v]) => [k, headerBytes(v)]))
  assert.deepEqual({ ...received.headers }, headers, `${what}: headers`)
  assert.equal(String(received.timestamp), sent.timestamp, `${what}: timestamp`)
}

/**
 * Every Kafka error type a KafkaJS error carries: its own, its causes' (exhausted retries wrap
 * the last error) and an aggregate's members', e.g. `['UNKNOWN_TOPIC_OR_PARTITION']`.
 */
function errorTypes(err) {
  const types = []
  for (let e = err; e; e = e.cause) {
    if (e.type) types.push(e.type)
    for (const inner of e.errors ?? []) types.push(...errorTypes(inner))
  }
  return types
}

module.exports = {
  errorTypes,
  sampleMessages,
  assertSameRecord,
  BrokerProcess,
  kafkajs,
  withKafkaBroker,
  createTopics,
  waitFor,
  consumeWithKafkajs,
  consumeWithRustlog,
  parseListeningLine,
}
