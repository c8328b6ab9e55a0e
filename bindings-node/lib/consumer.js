'use strict'
// Consumer: KafkaJS-shaped wrapper over NativeConsumer. The native side joins the group, fetches,
// pauses, seeks and commits; this file drives the user's callbacks (`run` with eachMessage or
// eachBatch, or the async iterator) on top of the native `poll`, which waits at most POLL_WAIT_MS
// so `stop()` and `disconnect()` are prompt, and turns the client's events into KafkaJS's.
//
// A poll's messages are split by partition (`PartitionBatch`); `run` hands the batches to up to
// `partitionsConsumedConcurrently` workers, each going through one partition's messages in offset
// order, and polls again once every batch of the poll is done. Messages polled but not handled
// (a stop, a failed handler) stay pending and come first next time. A paused partition's pending
// messages are dropped and the native position is moved back to the first of them, so `resume`
// fetches them again.

const { EventEmitter } = require('node:events')
const { AsyncLocalStorage } = require('node:async_hooks')
const { call, fromNative, invalidArgument, ErrorCode } = require('./errors.js')
const { BatchReader, toOffset } = require('./codec.js')
const { initialRetryTime, nextRetryTime, isRetriable, shouldRestart, mergeRetry } = require('./retry.js')

/** Longest a single native poll waits for data; bounds how long stop() takes. */
const POLL_WAIT_MS = 100
/** Most messages one native poll returns. */
const POLL_MESSAGES_MAX = 10000

/** KafkaJS's consumer event names (those RustLog emits). */
const EVENTS = Object.freeze({
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
})
const EVENT_NAMES = new Set(Object.values(EVENTS))

const RUN_KEYS = ['eachMessage', 'eachBatch', 'autoCommit', 'eachBatchAutoResolve', 'partitionsConsumedConcurrently']
const RUN_NOT_YET = ['autoCommitInterval', 'autoCommitThreshold']

/** KafkaJS's InstrumentationEvent ids. */
let nextEventId = 0

/** Called by the native waker (held weakly, so it never keeps a consumer alive). */
const DRAIN = Symbol('drainEvents')

function waker(ref) {
  return () => ref.deref()?.[DRAIN]()
}

/** Carries an error thrown by the user's handler out of the loop untouched. */
class HandlerFailure {
  constructor(error) {
    this.error = error
  }
}

const partitionKey = (topic, partition) => `${partition}:${topic}`

function logListenerError(eventName, error) {
  console.error(`rustlog: a ${eventName} listener failed:`, error)
}

/** The messages of one partition from one poll, in offset order; `pos..end` are still pending. */
class PartitionBatch {
  constructor(reader, { topic, partition, indexes, highWatermark }) {
    this.reader = reader
    this.topic = topic
    this.partition = partition
    this.indexes = indexes
    this.highWatermark = highWatermark
    this.pos = 0
    this.end = indexes === null ? reader.count : indexes.length
    /** A worker is handling it: a pause takes effect once the handler returns. */
    this.active = false
    this.paused = false
    /** A seek moved the partition: what is left is not handed out. */
    this.stale = false
    /** The offset after the last message eachMessage handled, not in `#resolved` yet. */
    this.resolvedNext = null
  }

  remaining() {
    return this.end - this.pos
  }

  messageAt(i) {
    return this.reader.messageAt(this.indexes === null ? i : this.indexes[i])
  }

  offsetAt(i) {
    return this.reader.offsetAt(this.indexes === null ? i : this.indexes[i])
  }

  matches(topic, partition) {
    return this.topic === topic && this.partition === partition
  }
}

class Consumer extends EventEmitter {
  #native
  #groupId
  #retry
  /** Per partition of the last poll, the messages not handed out yet. */
  #pending = []
  /** Offsets resolved (handled) and not committed yet: key -> { topic, partition, offset }. */
  #resolved = new Map()
  #loop = null
  #run = null
  /**
   * Set inside `run`'s loop (entered once for the whole loop), so that `stop()` called from a
   * handler does not wait for the loop that waits for it. One per consumer and disabled when the
   * loop ends: while any AsyncLocalStorage is enabled, Node 20 runs a hook on every promise of
   * the process.
   */
  #inLoop = new AsyncLocalStorage()
  #stopRequested = false
  #disconnected = false
  #subscribed = false
  /** Ends a retry wait early (stop / disconnect). */
  #wake = null
  #restartTimer = null

  /**
   * @param {import('../index').NativeConsumer} native
   * @param {{ groupId: string, retry: object }} options
   */
  constructor(native, { groupId, retry } = {}) {
    super()
    this.#native = native
    this.#groupId = groupId
    this.#retry = retry ?? mergeRetry()
    this.events = EVENTS
    native.setEventWaker(waker(new WeakRef(this)))
  }

  /**
   * KafkaJS's `consumer.on(eventName, listener)`: returns a function that removes the listener.
   * The listener gets `{ id, type, timestamp, payload }`; a listener that throws or rejects is
   * logged, never left to crash the process. Unknown event names are an InvalidArgument.
   */
  on(eventName, listener) {
    if (!EVENT_NAMES.has(eventName)) {
      throw invalidArgument(`event name should be one of ${Object.keys(EVENTS).map((k) => `consumer.events.${k}`).join(', ')}`)
    }
    if (typeof listener !== 'function') throw invalidArgument('the listener must be a function')
    const wrapped = (event) => {
      try {
        const result = listener(event)
        if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
          result.then(undefined, (err) => logListenerError(eventName, err))
        }
      } catch (err) {
        logListenerError(eventName, err)
      }
    }
    // `off(eventName, listener)` and `once` find the original through `.listener`.
    wrapped.listener = listener
    super.on(eventName, wrapped)
    return () => this.removeListener(eventName, wrapped)
  }

  addListener(eventName, listener) {
    return this.on(eventName, listener)
  }

  #emitEvent(type, payload) {
    if (this.listenerCount(type) === 0) return
    this.emit(type, { id: nextEventId++, type, timestamp: Date.now(), payload })
  }

  /** Emits every event the native consumer has queued, in order. */
  [DRAIN]() {
    let events
    try {
      events = this.#native.takeEvents()
    } catch {
      return
    }
    const groupId = this.#groupId
    for (const e of events) {
      switch (e.kind) {
        case 'group_join': {
          const memberAssignment = {}
          const assigned = new Set()
          for (const { topic, partition } of e.assignment ?? []) {
            ;(memberAssignment[topic] ??= []).push(partition)
            assigned.add(partitionKey(topic, partition))
          }
          // Offsets resolved for partitions this member no longer has are not its to commit.
          for (const key of this.#resolved.keys()) if (!assigned.has(key)) this.#resolved.delete(key)
          this.#emitEvent(EVENTS.GROUP_JOIN, {
            groupId,
            memberId: e.memberId,
            generationId: e.generationId,
            memberAssignment,
          })
          break
        }
        case 'rebalancing':
          this.#emitEvent(EVENTS.REBALANCING, { groupId, memberId: e.memberId ?? null })
          break
        case 'heartbeat':
          this.#emitEvent(EVENTS.HEARTBEAT, { groupId, memberId: e.memberId, groupGenerationId: e.generationId })
          break
        case 'commit_offsets': {
          const byTopic = new Map()
          for (const { topic, partition, offset } of e.offsets ?? []) {
            if (!byTopic.has(topic)) byTopic.set(topic, [])
            byTopic.get(topic).push({ partition, offset })
          }
          this.#emitEvent(EVENTS.COMMIT_OFFSETS, {
            groupId,
            memberId: e.memberId ?? null,
            groupGenerationId: e.generationId ?? null,
            topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
          })
          break
        }
        case 'poll_interval_exceeded':
          // The member left the group (no poll for maxPollIntervalMs): its partitions are lost,
          // and what it polled of them is not to be handed out or committed. The next poll
          // rejoins and starts from the group's committed offsets.
          for (const b of this.#pending) {
            b.stale = true
            b.end = b.pos
            b.resolvedNext = null
          }
          this.#resolved.clear()
          break
        default:
          // 'stop': consumer.stop is emitted when a run() loop ends, as KafkaJS does.
          break
      }
    }
  }

  /** Opens the connection to the broker. Calling it again is harmless. */
  async connect() {
    this.#disconnected = false
    await call(() => this.#native.connect())
    this.#emitEvent(EVENTS.CONNECT)
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
   * Starts handing messages to `eachMessage` (one at a time per partition, in offset order) or
   * `eachBatch` (one partition's polled messages at a time), up to
   * `partitionsConsumedConcurrently` partitions at once, and resolves once the loop joined the
   * group (like KafkaJS). With `autoCommit` (default true) resolved offsets are committed after
   * each poll's batches. A retriable failure is retried with the `retry` backoff; a fatal one, or
   * retries exhausted, ends the loop and emits `consumer.crash` (`{ error, groupId, restart }`),
   * restarting it when `restart` is true. Without a crash listener the crash is logged.
   */
  async run(config = {}) {
    const run = runConfig(config)
    if (this.#loop !== null) throw invalidArgument('the consumer is already running')
    if (!this.#subscribed) throw invalidArgument('call subscribe({ topics }) before run()')
    clearTimeout(this.#restartTimer)
    this.#restartTimer = null
    await this.#start(run)
  }

  /** Starts the loop; resolves after its first poll (the group join) settled. */
  #start(run) {
    this.#stopRequested = false
    this.#run = run
    let started
    const joined = new Promise((resolve) => (started = resolve))
    // The whole loop runs in this consumer's context (entered once, not per message: that cost
    // more than the rest of the per-message work), so `stop()` from inside a handler knows.
    this.#loop = this.#inLoop.run(true, () => this.#runLoop(run, started))
    return joined
  }

  async #runLoop(run, started) {
    let retryCount = 0
    let retryTime = initialRetryTime(this.#retry)
    let crash = null
    try {
      while (!this.#stopRequested && !this.#disconnected) {
        try {
          await this.#round(run, started)
          retryCount = 0
          retryTime = initialRetryTime(this.#retry)
        } catch (err) {
          started()
          const handler = err instanceof HandlerFailure
          if (!handler && (this.#stopRequested || this.#disconnected)) break
          const error = handler ? err.error : fromNative(err)
          if (!this.#stopRequested && isRetriable(error) && retryCount < this.#retry.retries) {
            await this.#sleep(retryTime)
            retryCount += 1
            retryTime = nextRetryTime(this.#retry, retryTime)
            continue
          }
          crash = error
          break
        }
      }
    } finally {
      started()
      this.#loop = null
      this.#inLoop.disable()
      this.#emitEvent(EVENTS.STOP)
    }
    if (crash === null) return
    // KafkaJS restarts after retries ran out on a retriable error, unless restartOnFailure says no.
    const restart = isRetriable(crash) && !this.#stopRequested && !this.#disconnected && (await shouldRestart(this.#retry, crash))
    const payload = { error: crash, groupId: this.#groupId, restart }
    if (this.listenerCount(EVENTS.CRASH) > 0) {
      this.#emitEvent(EVENTS.CRASH, payload)
    } else {
      console.error(`rustlog: consumer of group ${this.#groupId} crashed${restart ? `, restarting in ${retryTime} ms` : ''}:`, crash)
    }
    if (restart && !this.#stopRequested && !this.#disconnected) {
      this.#restartTimer = setTimeout(() => {
        this.#restartTimer = null
        if (this.#loop === null && !this.#stopRequested && !this.#disconnected) this.#start(run)
      }, retryTime)
    }
  }

  /** Waits `ms`, or less if stop() or disconnect() is called. */
  #sleep(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      const self = this
      function done() {
        clearTimeout(timer)
        if (self.#wake === done) self.#wake = null
        resolve()
      }
      this.#wake = done
    })
  }

  /** One poll's worth: poll (unless messages are pending), hand every batch out, commit. */
  async #round(run, started) {
    this.#prunePending()
    if (this.#pending.length === 0) {
      try {
        await this.#poll(run.eachBatch !== null)
      } finally {
        started()
      }
    } else {
      started()
    }
    const batches = this.#pending.filter((b) => b.remaining() > 0 && !b.paused)
    let failure = null
    let next = 0
    const worker = async () => {
      while (failure === null && !this.#stopRequested && !this.#disconnected) {
        const batch = batches[next++]
        if (batch === undefined) return
        if (batch.remaining() === 0 || batch.paused) continue
        try {
          await this.#handleBatch(run, batch)
        } catch (err) {
          failure ??= err
        }
      }
    }
    const workers = Math.min(run.concurrency, batches.length)
    if (workers === 1) await worker()
    else if (workers > 1) await Promise.all(Array.from({ length: workers }, worker))
    this.#prunePending()
    if (run.autoCommit && !this.#disconnected) {
      // As KafkaJS, what was handled before a failure is committed too.
      try {
        await this.#commitResolved()
      } catch (err) {
        if (failure === null) throw err
      }
    }
    if (failure !== null) throw failure
  }

  async #poll(watermarks) {
    const start = Date.now()
    this.#emitEvent(EVENTS.FETCH_START, {})
    const polled = await this.#native.poll(POLL_MESSAGES_MAX, POLL_WAIT_MS, watermarks)
    this.#drain()
    const reader = new BatchReader(polled)
    this.#pending = reader.partitions().map((p) => new PartitionBatch(reader, p))
    this.#emitEvent(EVENTS.FETCH, { numberOfBatches: this.#pending.length, duration: Date.now() - start })
  }

  #drain() {
    this[DRAIN]()
  }

  #prunePending() {
    if (this.#pending.some((b) => b.remaining() === 0)) this.#pending = this.#pending.filter((b) => b.remaining() > 0)
  }

  #resolve(topic, partition, next) {
    this.#resolved.set(partitionKey(topic, partition), { topic, partition, offset: next })
  }

  async #handleBatch(run, b) {
    const { topic, partition } = b
    const process = this.listenerCount(EVENTS.START_BATCH_PROCESS) + this.listenerCount(EVENTS.END_BATCH_PROCESS) > 0
    const started = Date.now()
    const info = process
      ? {
          topic,
          partition,
          highWatermark: b.highWatermark,
          batchSize: b.remaining(),
          firstOffset: b.offsetAt(b.pos),
          lastOffset: b.offsetAt(b.end - 1),
        }
      : null
    if (process) this.#emitEvent(EVENTS.START_BATCH_PROCESS, info)
    b.active = true
    try {
      if (run.eachMessage !== null) await this.#eachMessage(run, b)
      else await this.#eachBatch(run, b)
    } finally {
      b.active = false
      // eachMessage resolves into the batch (no map update per message); one update per batch.
      if (b.resolvedNext !== null) {
        this.#resolve(topic, partition, b.resolvedNext)
        b.resolvedNext = null
      }
      if (b.paused) this.#release(b)
    }
    if (process) this.#emitEvent(EVENTS.END_BATCH_PROCESS, { ...info, duration: Date.now() - started })
  }

  async #eachMessage(run, b) {
    const { topic, partition } = b
    const { eachMessage } = run
    const heartbeat = () => Promise.resolve()
    const pause = this.#pauser(topic, partition)
    while (b.pos < b.end && !b.paused && !b.stale && !this.#stopRequested && !this.#disconnected) {
      const message = b.messageAt(b.pos)
      try {
        await eachMessage({ topic, partition, message, heartbeat, pause })
      } catch (err) {
        throw new HandlerFailure(err)
      }
      // A seek from the handler decides where the partition goes on; this message is not resolved.
      if (b.stale) break
      b.pos += 1
      b.resolvedNext = message.offset + 1n
    }
  }

  async #eachBatch(run, b) {
    const { topic, partition, highWatermark } = b
    const messages = []
    for (let i = b.pos; i < b.end; i++) messages.push(b.messageAt(i))
    const first = messages.length === 0 ? null : messages[0].offset
    const last = messages.length === 0 ? null : messages[messages.length - 1].offset
    const lagFrom = (offset) => (highWatermark === null || offset === null ? null : highWatermark - 1n - offset)
    const batch = {
      topic,
      partition,
      highWatermark,
      messages,
      isEmpty: () => messages.length === 0,
      firstOffset: () => first,
      lastOffset: () => last,
      offsetLag: () => lagFrom(last),
      offsetLagLow: () => lagFrom(first),
    }
    const resolveOffset = (offset) => {
      const o = toOffset(offset, 'resolveOffset(offset)')
      if (b.stale) return
      while (b.pos < b.end && b.offsetAt(b.pos) <= o) b.pos += 1
      this.#resolve(topic, partition, o + 1n)
    }
    try {
      await run.eachBatch({
        batch,
        resolveOffset,
        heartbeat: () => Promise.resolve(),
        pause: this.#pauser(topic, partition),
        commitOffsetsIfNecessary: (offsets) => this.#commitOffsetsIfNecessary(run, offsets),
        uncommittedOffsets: () => this.#uncommittedOffsets(),
        isRunning: () => this.#loop !== null && !this.#stopRequested && !this.#disconnected,
        isStale: () => b.stale,
      })
    } catch (err) {
      throw new HandlerFailure(err)
    }
    if (run.eachBatchAutoResolve && last !== null && !b.stale) resolveOffset(last)
  }

  #pauser(topic, partition) {
    return () => {
      this.pause([{ topic, partitions: [partition] }])
      return () => this.resume([{ topic, partitions: [partition] }])
    }
  }

  async #commitOffsetsIfNecessary(run, offsets) {
    if (offsets !== undefined && offsets !== null) {
      if (!Array.isArray(offsets.topics)) throw invalidArgument('commitOffsetsIfNecessary() takes { topics: [{ topic, partitions: [{ partition, offset }] }] }')
      const list = []
      for (const { topic, partitions } of offsets.topics) {
        if (!Array.isArray(partitions)) throw invalidArgument(`commitOffsetsIfNecessary(): partitions of ${topic} must be an array`)
        for (const { partition, offset } of partitions) list.push({ topic, partition, offset })
      }
      return this.commitOffsets(list)
    }
    if (run.autoCommit) await this.#commitResolved()
  }

  #uncommittedOffsets() {
    const byTopic = new Map()
    for (const { topic, partition, offset } of this.#resolved.values()) {
      if (!byTopic.has(topic)) byTopic.set(topic, [])
      byTopic.get(topic).push({ partition, offset: offset.toString() })
    }
    return { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) }
  }

  /** Commits every resolved offset not committed yet. */
  async #commitResolved() {
    if (this.#resolved.size === 0) return
    const list = [...this.#resolved.values()]
    await call(() => this.#native.commit(list))
    for (const o of list) {
      const key = partitionKey(o.topic, o.partition)
      if (this.#resolved.get(key) === o) this.#resolved.delete(key)
    }
    this.#drain()
  }

  /**
   * Drops what is pending of a paused partition and moves its native position back to the first
   * of those messages, so `resume` fetches them again.
   */
  #release(b) {
    if (b.remaining() > 0) {
      try {
        this.#native.seek(b.topic, b.partition, b.offsetAt(b.pos))
      } catch {
        // No longer assigned (a rebalance): the next owner starts from the committed offset.
      }
      b.end = b.pos
    }
  }

  /**
   * Async iteration: `for await (const m of consumer)` yields messages (with `topic` and
   * `partition`); it ends when `stop()` or `disconnect()` is called. Commit with commitOffsets.
   */
  [Symbol.asyncIterator]() {
    if (this.#loop !== null) throw invalidArgument('the consumer is already running')
    this.#stopRequested = false
    const take = () => {
      while (this.#pending.length > 0) {
        const b = this.#pending[0]
        if (b.remaining() > 0 && !b.paused && !b.stale) {
          const message = b.messageAt(b.pos)
          b.pos += 1
          return message
        }
        this.#pending.shift()
      }
      return null
    }
    const poll = async () => {
      while (!this.#stopRequested && !this.#disconnected) {
        const message = take()
        if (message !== null) return { done: false, value: message }
        try {
          await this.#poll(false)
        } catch (err) {
          if (this.#disconnected) break
          throw fromNative(err)
        }
      }
      return { done: true, value: undefined }
    }
    // A message already polled is handed out without going through the async poll.
    const next = () => {
      if (this.#stopRequested || this.#disconnected) return poll()
      const message = take()
      return message !== null ? Promise.resolve({ done: false, value: message }) : poll()
    }
    return {
      next,
      return: async () => ({ done: true, value: undefined }),
      [Symbol.asyncIterator]() {
        return this
      },
    }
  }

  /**
   * `[{ topic, partitions? }]` as `{ topic, partition }` pairs; no `partitions` means every
   * partition of the topic assigned to this consumer now.
   */
  #topicPartitions(list, what) {
    if (!Array.isArray(list)) throw invalidArgument(`${what}() takes [{ topic, partitions? }]`)
    const out = []
    let assignment = null
    let subscription = null
    list.forEach((entry, i) => {
      if (entry === null || typeof entry !== 'object' || typeof entry.topic !== 'string') {
        throw invalidArgument(`${what}()[${i}] must be { topic: string, partitions?: number[] }`)
      }
      const { topic, partitions } = entry
      if (partitions === undefined) {
        subscription ??= this.#native.subscription()
        if (!subscription.includes(topic)) throw invalidArgument(`cannot ${what} ${topic}: the consumer is not subscribed to it`)
        assignment ??= this.#native.assignment()
        for (const tp of assignment) if (tp.topic === topic) out.push(tp)
        return
      }
      if (!Array.isArray(partitions) || !partitions.every((p) => Number.isInteger(p) && p >= 0 && p <= 0xffffffff)) {
        throw invalidArgument(`${what}()[${i}].partitions must be an array of partition numbers`)
      }
      for (const partition of partitions) out.push({ topic, partition })
    })
    return out
  }

  /**
   * KafkaJS's `pause([{ topic, partitions? }])`: stops fetching those partitions (each must be
   * assigned; without `partitions`, every assigned partition of the topic) without leaving the
   * group. Called from a handler, the partition's remaining messages of the batch are not handed
   * out; `resume` fetches them again.
   */
  pause(topicPartitions) {
    const tps = this.#topicPartitions(topicPartitions, 'pause')
    try {
      this.#native.pause(tps)
    } catch (err) {
      throw fromNative(err)
    }
    for (const b of this.#pending) {
      if (!tps.some((tp) => b.matches(tp.topic, tp.partition))) continue
      b.paused = true
      if (!b.active) this.#release(b)
    }
  }

  /** KafkaJS's `resume([{ topic, partitions? }])`: fetches paused partitions again. */
  resume(topicPartitions) {
    const tps = this.#topicPartitions(topicPartitions, 'resume')
    try {
      this.#native.resume(tps)
    } catch (err) {
      throw fromNative(err)
    }
    for (const b of this.#pending) if (tps.some((tp) => b.matches(tp.topic, tp.partition))) b.paused = false
  }

  /** KafkaJS's `paused()`: `[{ topic, partitions }]` of the paused partitions. */
  paused() {
    const byTopic = new Map()
    for (const { topic, partition } of this.#native.paused()) {
      if (!byTopic.has(topic)) byTopic.set(topic, [])
      byTopic.get(topic).push(partition)
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))
  }

  /**
   * KafkaJS's `seek({ topic, partition, offset })`: the partition (assigned to this consumer)
   * goes on from `offset` (bigint, decimal string or safe integer). The messages of it already
   * polled are not handed out; with a running `run` and autoCommit, the offset is committed
   * with the loop's next commit, as KafkaJS commits a seek.
   */
  seek({ topic, partition, offset } = {}) {
    if (typeof topic !== 'string') throw invalidArgument('seek() takes { topic, partition, offset }')
    if (!Number.isInteger(partition) || partition < 0 || partition > 0xffffffff) {
      throw invalidArgument('seek(): partition must be a partition number')
    }
    const target = toOffset(offset, 'seek(): offset')
    try {
      this.#native.seek(topic, partition, target)
    } catch (err) {
      throw fromNative(err)
    }
    for (const b of this.#pending) {
      if (b.matches(topic, partition)) {
        b.stale = true
        b.end = b.pos
        b.resolvedNext = null
      }
    }
    if (this.#loop !== null && this.#run?.autoCommit) this.#resolve(topic, partition, target)
    else this.#resolved.delete(partitionKey(topic, partition))
  }

  /**
   * Commits offsets for the group: `[{ topic, partition, offset }]` where `offset` (bigint,
   * decimal string or safe integer) is the next offset to read, as in Kafka.
   */
  async commitOffsets(offsets) {
    if (!Array.isArray(offsets)) throw invalidArgument('commitOffsets() takes an array')
    const list = offsets.map((o, i) => {
      if (!o || typeof o.topic !== 'string' || !Number.isInteger(o.partition) || o.partition < 0) {
        throw invalidArgument(`offsets[${i}] must be { topic, partition, offset }`)
      }
      return { topic: o.topic, partition: o.partition, offset: toOffset(o.offset, `offsets[${i}].offset`) }
    })
    await call(() => this.#native.commit(list))
    for (const o of list) {
      const key = partitionKey(o.topic, o.partition)
      const resolved = this.#resolved.get(key)
      if (resolved !== undefined && resolved.offset <= o.offset) this.#resolved.delete(key)
    }
    this.#drain()
  }

  /**
   * Stops `run` (after the current message) and ends iterators; resolves when stopped. Called
   * from inside a handler it resolves at once (the loop stops when the handler returns).
   */
  async stop() {
    this.#stopRequested = true
    clearTimeout(this.#restartTimer)
    this.#restartTimer = null
    this.#wake?.()
    if (this.#loop !== null && this.#inLoop.getStore() !== true) await this.#loop
  }

  /**
   * Stops (as `stop()`: the loop finishes the current message and commits what it handled, as
   * KafkaJS's disconnect does), then leaves the group and closes the connection. Called from
   * inside a handler, it closes at once.
   */
  async disconnect() {
    this.#stopRequested = true
    this.#subscribed = false
    clearTimeout(this.#restartTimer)
    this.#restartTimer = null
    this.#wake?.()
    if (this.#loop !== null && this.#inLoop.getStore() !== true) await this.#loop
    this.#disconnected = true
    try {
      await call(() => this.#native.disconnect())
    } finally {
      this.#pending = []
      this.#resolved.clear()
      this.#drain()
    }
    this.#emitEvent(EVENTS.DISCONNECT)
  }
}

/** Checks `run()`'s options (KafkaJS's names; unknown keys are refused). */
function runConfig(config) {
  if (config === null || typeof config !== 'object') throw invalidArgument('run() takes { eachMessage } or { eachBatch }')
  for (const key of Object.keys(config)) {
    if (RUN_KEYS.includes(key)) continue
    if (RUN_NOT_YET.includes(key)) throw invalidArgument(`run(): ${key} is not supported yet (autoCommit commits after each poll's batches)`)
    throw invalidArgument(`run(): unknown option ${JSON.stringify(key)}; the options are ${RUN_KEYS.join(', ')}`)
  }
  const {
    eachMessage = null,
    eachBatch = null,
    autoCommit = true,
    eachBatchAutoResolve = true,
    partitionsConsumedConcurrently = 1,
  } = config
  if ((eachMessage === null) === (eachBatch === null) || (eachMessage !== null && typeof eachMessage !== 'function') || (eachBatch !== null && typeof eachBatch !== 'function')) {
    throw invalidArgument('run() takes { eachMessage: async fn } or { eachBatch: async fn }')
  }
  if (!Number.isInteger(partitionsConsumedConcurrently) || partitionsConsumedConcurrently < 1) {
    throw invalidArgument('run(): partitionsConsumedConcurrently must be a positive integer')
  }
  for (const [name, v] of [['autoCommit', autoCommit], ['eachBatchAutoResolve', eachBatchAutoResolve]]) {
    if (typeof v !== 'boolean') throw invalidArgument(`run(): ${name} must be a boolean`)
  }
  return Object.freeze({ eachMessage, eachBatch, autoCommit, eachBatchAutoResolve, concurrency: partitionsConsumedConcurrently })
}

module.exports = { Consumer, EVENTS, POLL_WAIT_MS, POLL_MESSAGES_MAX, ErrorCode }
