'use strict'
// Consumer: KafkaJS-shaped wrapper over NativeConsumer. The native side joins the group, fetches
// and commits; this file only drives the user's callback (`run`) or the async iterator on top of
// the native `poll`, which waits at most POLL_WAIT_MS so `stop()` and `disconnect()` are prompt.

const { EventEmitter } = require('node:events')
const { AsyncLocalStorage } = require('node:async_hooks')
const { call, fromNative, invalidArgument, ErrorCode } = require('./errors.js')
const { BatchReader, EMPTY_BATCH, toOffset } = require('./codec.js')

/** Longest a single native poll waits for data; bounds how long stop() takes. */
const POLL_WAIT_MS = 100
/** Most messages one native poll returns. */
const POLL_MESSAGES_MAX = 10000

const EVENTS = Object.freeze({ CRASH: 'consumer.crash', STOP: 'consumer.stop' })

/** Carries an error thrown by the user's `eachMessage` out of the loop untouched. */
class HandlerFailure {
  constructor(error) {
    this.error = error
  }
}

class Consumer extends EventEmitter {
  #native
  /** The polled batch; what it has not handed out yet is kept across stop/run so none is skipped. */
  #batch = EMPTY_BATCH
  #loop = null
  /**
   * Set inside `run`'s loop (entered once for the whole loop), so that `stop()` called from
   * `eachMessage` does not wait for the loop that waits for it. One per consumer and disabled
   * when the loop ends: while any AsyncLocalStorage is enabled, Node 20 runs a hook on every
   * promise of the process.
   */
  #inLoop = new AsyncLocalStorage()
  #stopRequested = false
  #disconnected = false
  #subscribed = false

  /** @param {import('../index').NativeConsumer} native */
  constructor(native) {
    super()
    this.#native = native
    this.events = EVENTS
  }

  /** Opens the connection to the broker. Calling it again is harmless. */
  connect() {
    this.#disconnected = false
    return call(() => this.#native.connect())
  }

  /**
   * Subscribes to topics (joins the group on the next poll). `fromBeginning` picks where a
   * partition without a committed offset starts: earliest (true) or latest (false, default).
   */
  subscribe({ topics, topic, fromBeginning = false } = {}) {
    const list = topics ?? (topic === undefined ? undefined : [topic])
    if (!Array.isArray(list) || list.length === 0 || !list.every((t) => typeof t === 'string')) {
      return Promise.reject(invalidArgument('subscribe() takes { topics: string[], fromBeginning? }'))
    }
    return call(() => this.#native.subscribe(list, Boolean(fromBeginning))).then(() => {
      this.#subscribed = true
    })
  }

  /**
   * Starts handing messages to `eachMessage` one at a time, in offset order per partition, and
   * resolves once the loop runs (like KafkaJS). With `autoCommit` (default true) the offsets of
   * messages whose `eachMessage` resolved are committed after each polled batch. If the loop
   * fails (a rejected `eachMessage`, a broker error) it stops and emits `consumer.crash`
   * with `{ payload: { error } }`; without a listener the error becomes an unhandled rejection.
   */
  async run({ eachMessage, autoCommit = true } = {}) {
    if (typeof eachMessage !== 'function') throw invalidArgument('run() takes { eachMessage: async fn }')
    if (this.#loop !== null) throw invalidArgument('the consumer is already running')
    if (!this.#subscribed) throw invalidArgument('call subscribe({ topics }) before run()')
    this.#stopRequested = false
    // The whole loop runs in this consumer's context (entered once, not per message: that cost
    // more than the rest of the per-message work), so `stop()` from inside `eachMessage` knows.
    this.#loop = this.#inLoop.run(true, () => this.#runLoop(eachMessage, Boolean(autoCommit)))
  }

  async #runLoop(eachMessage, autoCommit) {
    try {
      while (await this.#fill()) {
        const batch = this.#batch
        const first = batch.index
        try {
          while (batch.hasNext() && !this.#stopRequested) {
            const message = batch.peek()
            try {
              await eachMessage({ topic: message.topic, partition: message.partition, message })
            } catch (err) {
              throw new HandlerFailure(err)
            }
            // Only a handled message counts as consumed: a rejected one stays pending.
            batch.advance()
          }
        } finally {
          if (autoCommit && batch.index > first && !this.#disconnected) {
            const handled = batch.nextOffsets(first, batch.index)
            await call(() => this.#native.commit(handled))
          }
        }
      }
    } catch (err) {
      if (err instanceof HandlerFailure) this.#crash(err.error)
      else if (!this.#disconnected) this.#crash(fromNative(err))
    } finally {
      this.#loop = null
      this.#inLoop.disable()
      this.emit(EVENTS.STOP, { type: EVENTS.STOP, payload: {} })
    }
  }

  /**
   * Makes sure a not-yet-handed-out message is pending (leftovers of a stopped loop first, else
   * a fresh poll). Resolves false once the consumer is stopping or disconnected.
   */
  async #fill() {
    while (!this.#stopRequested && !this.#disconnected) {
      if (this.#batch.hasNext()) return true
      let polled
      try {
        polled = await this.#native.poll(POLL_MESSAGES_MAX, POLL_WAIT_MS)
      } catch (err) {
        if (this.#disconnected) return false
        throw err
      }
      this.#batch = new BatchReader(polled)
    }
    return false
  }

  #crash(error) {
    const event = { type: EVENTS.CRASH, payload: { error } }
    if (this.listenerCount(EVENTS.CRASH) > 0) this.emit(EVENTS.CRASH, event)
    else Promise.reject(error)
  }

  /**
   * Async iteration: `for await (const m of consumer)` yields messages (with `topic` and
   * `partition`); it ends when `stop()` or `disconnect()` is called. Commit with commitOffsets.
   */
  [Symbol.asyncIterator]() {
    if (this.#loop !== null) throw invalidArgument('the consumer is already running')
    this.#stopRequested = false
    const poll = async () => {
      let more
      try {
        more = await this.#fill()
      } catch (err) {
        throw fromNative(err)
      }
      if (!more) return { done: true, value: undefined }
      return { done: false, value: this.#batch.next() }
    }
    // A message already polled is handed out without going through the async #fill.
    const next = () =>
      this.#batch.hasNext() && !this.#stopRequested && !this.#disconnected
        ? Promise.resolve({ done: false, value: this.#batch.next() })
        : poll()
    return {
      next,
      return: async () => ({ done: true, value: undefined }),
      [Symbol.asyncIterator]() {
        return this
      },
    }
  }

  /**
   * Commits offsets for the group: `[{ topic, partition, offset }]` where `offset` (bigint,
   * decimal string or safe integer) is the next offset to read, as in Kafka.
   */
  commitOffsets(offsets) {
    if (!Array.isArray(offsets)) return Promise.reject(invalidArgument('commitOffsets() takes an array'))
    let list
    try {
      list = offsets.map((o, i) => {
        if (!o || typeof o.topic !== 'string' || !Number.isInteger(o.partition) || o.partition < 0) {
          throw invalidArgument(`offsets[${i}] must be { topic, partition, offset }`)
        }
        return { topic: o.topic, partition: o.partition, offset: toOffset(o.offset, `offsets[${i}].offset`) }
      })
    } catch (err) {
      return Promise.reject(err)
    }
    return call(() => this.#native.commit(list))
  }

  /**
   * Stops `run` (after the current message) and ends iterators; resolves when stopped. Called
   * from inside `eachMessage` it resolves at once (the loop stops when the handler returns).
   */
  async stop() {
    this.#stopRequested = true
    if (this.#loop !== null && this.#inLoop.getStore() !== true) await this.#loop
  }

  /** Stops, leaves the group and closes the connection. */
  async disconnect() {
    this.#stopRequested = true
    this.#disconnected = true
    this.#subscribed = false
    const closing = call(() => this.#native.disconnect())
    if (this.#loop !== null && this.#inLoop.getStore() !== true) await this.#loop
    await closing
  }
}

module.exports = { Consumer, POLL_WAIT_MS, POLL_MESSAGES_MAX, ErrorCode }
