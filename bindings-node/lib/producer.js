'use strict'
// Producer: KafkaJS-shaped wrapper over NativeProducer. One native call per `send`.

const { call, invalidArgument } = require('./errors.js')
const { packMessages, unpackResults } = require('./codec.js')

/**
 * KafkaJS's per-send `{ acks, timeout, compression }` for the native send (undefined when none
 * is set); the native layer parses them with the client's option table, as the producer's own
 * (acks -1 is "all", compression a CompressionTypes value or a name).
 */
function sendOptions(given) {
  const options = {}
  let any = false
  for (const key of ['acks', 'timeout', 'compression']) {
    const v = given[key]
    if (v === undefined || v === null) continue
    const ok = typeof v === 'number' || (typeof v === 'string' && key !== 'timeout')
    if (!ok) throw invalidArgument(`${key} must be a ${key === 'timeout' ? 'number of ms' : 'number or a name'}`)
    options[key] = v
    any = true
  }
  return any ? options : undefined
}

class Producer {
  #native

  /** @param {import('../index').NativeProducer} native */
  constructor(native) {
    this.#native = native
  }

  /** Opens the connection to the broker. Calling it again is harmless. */
  connect() {
    return call(() => this.#native.connect())
  }

  /**
   * Sends messages to one topic; resolves to one `{ topic, partition, offset, timestamp }` per
   * message, in order, once the broker acknowledged them. `acks`, `timeout` (ms) and
   * `compression` are KafkaJS's per-send settings over the producer's own.
   */
  async send(record) {
    if (record === null || typeof record !== 'object') throw invalidArgument('send() takes { topic, messages }')
    const { topic, messages } = record
    if (typeof topic !== 'string') throw invalidArgument('topic must be a string')
    const options = sendOptions(record)
    const packed = packMessages(messages)
    const results = await call(() =>
      this.#native.send(topic, packed.data, packed.lens, packed.partitions, packed.headers, packed.timestamps, options),
    )
    return unpackResults(topic, results)
  }

  /** Sends to several topics at once; resolves to the results of every message, topic by topic. */
  async sendBatch(batch) {
    if (batch === null || typeof batch !== 'object' || !Array.isArray(batch.topicMessages)) {
      throw invalidArgument('sendBatch() takes { topicMessages: [...] }')
    }
    const { topicMessages, acks, timeout, compression } = batch
    sendOptions({ acks, timeout, compression })
    for (const tm of topicMessages) {
      if (tm === null || typeof tm !== 'object') throw invalidArgument('topicMessages takes { topic, messages } items')
    }
    const all = await Promise.all(
      topicMessages.map((tm) => this.send({ topic: tm.topic, messages: tm.messages, acks, timeout, compression })),
    )
    return all.flat()
  }

  /** Resolves when every message handed to `send` so far has been acknowledged. */
  flush() {
    return call(() => this.#native.flush())
  }

  /** Flushes, then closes the connection; pending sends settle (or fail with `Closed`). */
  disconnect() {
    return call(() => this.#native.disconnect())
  }
}

module.exports = { Producer }
