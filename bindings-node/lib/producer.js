'use strict'
// Producer: KafkaJS-shaped wrapper over NativeProducer. One native call per `send`.

const { call, invalidArgument } = require('./errors.js')
const { packMessages, unpackResults } = require('./codec.js')

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
   * message, in order, once the broker acknowledged them (per the producer's `acks`).
   */
  async send(record) {
    if (record === null || typeof record !== 'object') throw invalidArgument('send() takes { topic, messages }')
    const { topic, messages } = record
    if (typeof topic !== 'string') throw invalidArgument('topic must be a string')
    const packed = packMessages(messages)
    const results = await call(() =>
      this.#native.send(topic, packed.data, packed.lens, packed.partitions, packed.headers, packed.timestamps),
    )
    return unpackResults(topic, results)
  }

  /** Sends to several topics at once; resolves to the results of every message, topic by topic. */
  async sendBatch({ topicMessages } = {}) {
    if (!Array.isArray(topicMessages)) throw invalidArgument('sendBatch() takes { topicMessages: [...] }')
    const all = await Promise.all(topicMessages.map((tm) => this.send(tm)))
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
