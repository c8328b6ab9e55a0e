'use strict'
// Producer: KafkaJS-shaped wrapper over NativeProducer. One native call per `send`.

const { call, invalidArgument } = require('./errors.js')
const { packMessages, unpackResults } = require('./codec.js')

class Producer {
  #native
  /** `{ id, name }` of the codec every batch of this producer is compressed with. */
  #compression

  /** @param {import('../index').NativeProducer} native */
  constructor(native) {
    this.#native = native
    this.#compression = native.compression
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
    const { topic, messages, compression } = record
    if (typeof topic !== 'string') throw invalidArgument('topic must be a string')
    if (compression !== undefined && compression !== null) this.#checkCompression(compression)
    const packed = packMessages(messages)
    const results = await call(() =>
      this.#native.send(topic, packed.data, packed.lens, packed.partitions, packed.headers, packed.timestamps),
    )
    return unpackResults(topic, results)
  }

  /**
   * KafkaJS takes `compression` per send; here the codec is the producer's (its batches mix
   * sends). A send may repeat the producer's codec; asking for another one is refused rather
   * than ignored.
   */
  #checkCompression(compression) {
    const { id, name } = this.#compression
    if (compression === id || compression === name) return
    throw invalidArgument(
      `compression is set per producer: client.producer({ compression }); this producer uses ${name}, ` +
        `not ${JSON.stringify(compression)}`,
    )
  }

  /** Sends to several topics at once; resolves to the results of every message, topic by topic. */
  async sendBatch({ topicMessages, compression } = {}) {
    if (!Array.isArray(topicMessages)) throw invalidArgument('sendBatch() takes { topicMessages: [...] }')
    if (compression !== undefined && compression !== null) this.#checkCompression(compression)
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
