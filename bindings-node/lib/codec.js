'use strict'
// Conversions between the KafkaJS-shaped JS values and the packed form the native layer takes.
// Packing a whole `send` into one Buffer keeps it to one native call with a handful of
// arguments instead of several napi property reads per message.

const { invalidArgument, RustLogError, ErrorCode } = require('./errors.js')

/** Packed lengths are int32; anything longer is far beyond every protocol limit anyway. */
const PACKED_BYTES_MAX = 0x7fffffff

/** Byte length of a key/value/header value; -1 for null. */
function byteLen(v, what) {
  let len
  if (v === null || v === undefined) return -1
  if (typeof v === 'string') len = Buffer.byteLength(v)
  else if (Buffer.isBuffer(v) || v instanceof Uint8Array) len = v.byteLength
  else throw invalidArgument(`${what} must be a Buffer, a string or null, got ${typeof v}`)
  if (len > PACKED_BYTES_MAX) tooLarge(`${what} is ${len} bytes`)
  return len
}

function tooLarge(message) {
  throw new RustLogError(message, { code: ErrorCode.RecordTooLarge })
}

function put(buf, pos, v) {
  if (typeof v === 'string') return pos + buf.write(v, pos)
  buf.set(v, pos)
  return pos + v.byteLength
}

/**
 * Flattens `headers` ({ name: Buffer | string | null | Array<Buffer | string | null> }) into
 * [name, value] pairs, an array value giving the name once per item in order (KafkaJS's shape
 * for repeated headers); `null` is a null header value, `undefined` is skipped. Null when empty.
 */
function headerPairs(headers, what) {
  if (headers === null || headers === undefined) return null
  if (typeof headers !== 'object') throw invalidArgument(`${what} must be an object`)
  const pairs = []
  for (const [name, v] of Object.entries(headers)) {
    if (v === undefined) continue
    const values = Array.isArray(v) ? v : [v]
    for (const one of values) {
      if (one === undefined) continue
      byteLen(one, `${what}.${name}`)
      pairs.push([name, one])
    }
  }
  return pairs.length === 0 ? null : pairs
}

/** A header value as the native layer takes it: a Buffer (a view, no copy) or null. */
function headerBuffer(value) {
  if (value === null) return null
  if (typeof value === 'string') return Buffer.from(value)
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

/**
 * Packs messages for `NativeProducer.send`: `data` holds every key then value back to back;
 * `lens` holds per message [keyLen, valueLen] (-1 = null); `partitions` -1 = let the client pick;
 * `headers` is null unless a message carries headers; `timestamps` (ms, NaN = "now") is null
 * unless a message sets one.
 */
function packMessages(messages) {
  if (!Array.isArray(messages)) throw invalidArgument('messages must be an array')
  const n = messages.length
  const lens = new Int32Array(n * 2)
  const partitions = new Int32Array(n)
  let total = 0
  let headers = null
  let timestamps = null
  for (let i = 0; i < n; i++) {
    const m = messages[i]
    if (m === null || typeof m !== 'object') throw invalidArgument(`messages[${i}] must be an object`)
    const k = byteLen(m.key, `messages[${i}].key`)
    const v = byteLen(m.value, `messages[${i}].value`)
    lens[i * 2] = k
    lens[i * 2 + 1] = v
    total += (k > 0 ? k : 0) + (v > 0 ? v : 0)
    const p = m.partition
    if (p === undefined || p === null) partitions[i] = -1
    else if (Number.isInteger(p) && p >= 0 && p <= 0x7fffffff) partitions[i] = p
    else throw invalidArgument(`messages[${i}].partition must be a non-negative integer`)
    if (m.timestamp !== undefined && m.timestamp !== null) {
      if (timestamps === null) timestamps = new Float64Array(n).fill(NaN)
      timestamps[i] = toTimestamp(m.timestamp, `messages[${i}].timestamp`)
    }
    const h = headerPairs(m.headers, `messages[${i}].headers`)
    if (h !== null) {
      if (headers === null) headers = new Array(n).fill(null)
      headers[i] = h.map(([name, value]) => ({ name, value: headerBuffer(value) }))
    }
  }
  if (total > PACKED_BYTES_MAX) tooLarge(`one send of ${total} key and value bytes`)
  const data = Buffer.allocUnsafe(total)
  let pos = 0
  for (let i = 0; i < n; i++) {
    const m = messages[i]
    if (lens[i * 2] > 0) pos = put(data, pos, m.key)
    if (lens[i * 2 + 1] > 0) pos = put(data, pos, m.value)
  }
  return { data, lens, partitions, headers, timestamps }
}

/** A create time in ms since the epoch (bigint, decimal string or integer) as an exact double. */
function toTimestamp(v, what) {
  const ms = typeof v === 'bigint' || typeof v === 'string' ? Number(v) : v
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) {
    throw invalidArgument(`${what} must be milliseconds since the epoch (bigint, string or integer)`)
  }
  return ms
}

/** Decodes the packed send result: per message u32 partition, u64 offset, i64 timestamp (LE). */
const RESULT_ENTRY_BYTES = 20

function unpackResults(topic, buf) {
  const n = buf.length / RESULT_ENTRY_BYTES
  const out = new Array(n)
  for (let i = 0, pos = 0; i < n; i++, pos += RESULT_ENTRY_BYTES) {
    out[i] = {
      topic,
      partition: buf.readUInt32LE(pos),
      offset: buf.readBigUInt64LE(pos + 4),
      timestamp: buf.readBigInt64LE(pos + 12),
    }
  }
  return out
}

/** Accepts bigint, a decimal string or a safe integer number; returns bigint. */
function toOffset(v, what) {
  if (typeof v === 'bigint') {
    if (v < 0n) throw invalidArgument(`${what} must not be negative`)
    return v
  }
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v)
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  throw invalidArgument(`${what} must be a bigint, a decimal string or a safe integer`)
}

/** Bytes of one message's entry in a packed batch (`PACKED_ENTRY_BYTES` in src/consumer.rs). */
const PACKED_ENTRY_BYTES = 40

/** The value length of a null header value in a packed batch (`NULL_HEADER_LEN` there). */
const NULL_HEADER_LEN = 0xffffffff

/**
 * Reads a packed batch from `NativeConsumer.poll` (`{ topics, entries, data, watermarks }`,
 * layout in src/consumer.rs) one KafkaJS-shaped message at a time: header values are Buffers or
 * null, and a repeated header name collects its values in an array, in order (KafkaJS's shape).
 * Messages are built only when handed out, so they die young (building a whole batch up front
 * kept thousands alive and made the garbage collector the largest cost). Keys, values and header
 * values are Buffer views into the batch's `data` (no copy per message), so keeping a message
 * keeps its batch's bytes alive, as with KafkaJS. Each entry records where its message's bytes
 * start, so `messageAt(i)` reads any message without walking the ones before it.
 */
class BatchReader {
  constructor({ topics, entries, data, watermarks }) {
    this.topics = topics
    this.view = new DataView(entries.buffer, entries.byteOffset, entries.byteLength)
    this.data = data
    this.watermarks = watermarks ?? null
    this.count = entries.byteLength / PACKED_ENTRY_BYTES
    /** Index of the next message `next` hands out. */
    this.index = 0
    /** The message `peek` built for `index`, until `advance`. */
    this.current = null
  }

  /** Whether a message is left to hand out. */
  hasNext() {
    return this.index < this.count
  }

  /** The next message, without moving past it (the same object until `advance`). */
  peek() {
    if (this.current === null) this.current = this.messageAt(this.index)
    return this.current
  }

  /** Moves past the next message. */
  advance() {
    this.index++
    this.current = null
  }

  /** The next message, moving past it. */
  next() {
    const message = this.peek()
    this.advance()
    return message
  }

  topicAt(i) {
    return this.topics[this.view.getUint32(i * PACKED_ENTRY_BYTES, true)]
  }

  partitionAt(i) {
    return this.view.getUint32(i * PACKED_ENTRY_BYTES + 4, true)
  }

  offsetAt(i) {
    return this.view.getBigUint64(i * PACKED_ENTRY_BYTES + 8, true)
  }

  /** Message `i` of the batch, built afresh. */
  messageAt(i) {
    const { view, data } = this
    const e = i * PACKED_ENTRY_BYTES
    let pos = view.getUint32(e + 36, true)
    let key = null
    const keyLen = view.getInt32(e + 24, true)
    if (keyLen >= 0) {
      key = data.subarray(pos, pos + keyLen)
      pos += keyLen
    }
    let value = null
    const valueLen = view.getInt32(e + 28, true)
    if (valueLen >= 0) {
      value = data.subarray(pos, pos + valueLen)
      pos += valueLen
    }
    const headers = {}
    for (let h = view.getUint32(e + 32, true); h > 0; h--) {
      const nameLen = data.readUInt32LE(pos)
      const name = data.toString('utf8', pos + 4, pos + 4 + nameLen)
      pos += 4 + nameLen
      const len = data.readUInt32LE(pos)
      let headerValue = null
      if (len === NULL_HEADER_LEN) {
        pos += 4
      } else {
        headerValue = data.subarray(pos + 4, pos + 4 + len)
        pos += 4 + len
      }
      const prev = headers[name]
      if (prev === undefined) headers[name] = headerValue
      else if (Array.isArray(prev)) prev.push(headerValue)
      else headers[name] = [prev, headerValue]
    }
    return {
      topic: this.topics[view.getUint32(e, true)],
      partition: view.getUint32(e + 4, true),
      offset: view.getBigUint64(e + 8, true),
      timestamp: view.getBigInt64(e + 16, true),
      key,
      value,
      headers,
    }
  }

  /**
   * `[{ topic, partition, offset }]` to commit after messages `from..to` (indexes) were handled:
   * per partition, the offset after its last handled message (offsets rise within a batch, so
   * the first one met scanning back is the highest).
   */
  nextOffsets(from, to) {
    const seen = new Map()
    const out = []
    for (let i = to - 1; i >= from; i--) {
      const topic = this.topicAt(i)
      const partition = this.partitionAt(i)
      let partitions = seen.get(topic)
      if (partitions === undefined) {
        partitions = new Set()
        seen.set(topic, partitions)
      }
      if (!partitions.has(partition)) {
        partitions.add(partition)
        out.push({ topic, partition, offset: this.offsetAt(i) + 1n })
      }
    }
    return out
  }

  /**
   * The batch split by partition, in the order partitions first appear: `[{ topic, partition,
   * indexes, highWatermark }]`, `indexes` the partition's message indexes in offset order (null
   * when the whole batch is that one partition, the common case: no array per poll).
   */
  partitions() {
    const out = []
    if (this.count === 0) return out
    const byKey = new Map()
    const firstTopic = this.view.getUint32(0, true)
    const firstPartition = this.partitionAt(0)
    let single = true
    for (let i = 1; i < this.count && single; i++) {
      if (this.view.getUint32(i * PACKED_ENTRY_BYTES, true) !== firstTopic || this.partitionAt(i) !== firstPartition) {
        single = false
      }
    }
    if (single) {
      out.push({ topic: this.topics[firstTopic], partition: firstPartition, indexes: null })
    } else {
      for (let i = 0; i < this.count; i++) {
        const t = this.view.getUint32(i * PACKED_ENTRY_BYTES, true)
        const p = this.partitionAt(i)
        const key = t * 0x100000000 + p
        let part = byKey.get(key)
        if (part === undefined) {
          part = { topic: this.topics[t], partition: p, indexes: [] }
          byKey.set(key, part)
          out.push(part)
        }
        part.indexes.push(i)
      }
    }
    for (const part of out) {
      const mark = this.watermarks?.find((w) => w.topic === part.topic && w.partition === part.partition)
      part.highWatermark = mark === undefined ? null : mark.highWatermark
    }
    return out
  }
}

/** An exhausted reader: what a consumer holds before its first poll. */
const EMPTY_BATCH = new BatchReader({ topics: [], entries: Buffer.alloc(0), data: Buffer.alloc(0) })

module.exports = {
  packMessages,
  unpackResults,
  toOffset,
  toTimestamp,
  BatchReader,
  EMPTY_BATCH,
  RESULT_ENTRY_BYTES,
  PACKED_ENTRY_BYTES,
  NULL_HEADER_LEN,
}
