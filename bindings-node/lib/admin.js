'use strict'
// Admin: KafkaJS-shaped wrapper over NativeAdmin (topics, consumer groups and their offsets).

const { call, invalidArgument, ErrorCode, RustLogError, DeleteGroupsError } = require('./errors.js')
const { toOffset, toTimestamp } = require('./codec.js')

/** KafkaJS's sentinel offsets in `setOffsets`: the log start and the high watermark. */
const EARLIEST_OFFSET = -2n
const LATEST_OFFSET = -1n

/** KafkaJS reports -1 for a partition the group never committed (`fetchOffsets` with topics). */
const NO_OFFSET = -1n

const I64_MIN = -(2n ** 63n)
const I64_MAX = 2n ** 63n - 1n

/**
 * Checks that `options` is a plain object whose keys are all in `allowed`: a misspelt or
 * unsupported option is an error, never silently dropped.
 */
function checkOptions(options, allowed, what) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgument(`${what} takes an object { ${allowed.join(', ')} }`)
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw invalidArgument(`${what}: unknown option '${key}' (it takes ${allowed.join(', ')})`)
    }
  }
  return options
}

/** A value for an error message (JSON.stringify alone throws on bigint). */
function show(v) {
  if (typeof v === 'bigint') return `${v}n`
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}

/**
 * A KafkaJS option RustLog cannot honour: refused when set to anything but `harmless` values
 * (those that ask for nothing different), rather than ignored.
 */
function refuseOption(options, key, harmless, what, why) {
  if (options[key] !== undefined && !harmless.includes(options[key])) {
    throw invalidArgument(`${what}: ${key} ${show(options[key])} is not supported: ${why}`)
  }
}

function checkName(v, what) {
  if (typeof v !== 'string' || v === '') throw invalidArgument(`${what} must be a non-empty string`)
  return v
}

function checkPartition(v, what) {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw invalidArgument(`${what} must be a partition number (an integer from 0)`)
  }
  return v
}

/** A signed 64-bit amount: bigint, a decimal string (maybe negative) or a safe integer. */
function toSigned(v, what) {
  let n
  if (typeof v === 'bigint') n = v
  else if (typeof v === 'string' && /^-?\d+$/.test(v)) n = BigInt(v)
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v)
  else throw invalidArgument(`${what} must be a bigint, a decimal string or a safe integer`)
  if (n < I64_MIN || n > I64_MAX) throw invalidArgument(`${what} must fit a signed 64-bit integer`)
  return n
}

/** A setOffsets offset: an offset (see toOffset), or KafkaJS's -2 (earliest) / -1 (latest). */
function seekOffset(v, what) {
  if (v === -1 || v === -2 || v === '-1' || v === '-2' || v === -1n || v === -2n) return BigInt(v)
  try {
    return toOffset(v, what)
  } catch {
    throw invalidArgument(`${what} must be a bigint, a decimal string or a safe integer (or -2 earliest, -1 latest)`)
  }
}

/** `to` of planResetOffsets as NativeAdmin's `{ kind, value }`. */
function resetTarget(to) {
  const forms = "'earliest', 'latest', { offset }, { timestamp } or { shiftBy }"
  if (to === 'earliest' || to === 'latest') return { kind: to }
  if (to === null || typeof to !== 'object' || Array.isArray(to)) {
    throw invalidArgument(`to must be ${forms}, not ${show(to)}`)
  }
  const keys = Object.keys(to)
  if (keys.length !== 1 || !['offset', 'timestamp', 'shiftBy'].includes(keys[0])) {
    throw invalidArgument(`to must be ${forms}, not an object with keys [${keys.join(', ')}]`)
  }
  const [kind] = keys
  if (kind === 'offset') return { kind, value: toOffset(to.offset, 'to.offset') }
  if (kind === 'timestamp') return { kind, value: BigInt(toTimestamp(to.timestamp, 'to.timestamp')) }
  return { kind, value: toSigned(to.shiftBy, 'to.shiftBy') }
}

/**
 * A NonEmptyGroup refusal of an offset change, worded as KafkaJS's (the group's consumers
 * must stop first); code and retriable stay the broker's.
 */
function groupMustBeEmpty(err, groupId) {
  if (!(err instanceof RustLogError) || err.code !== ErrorCode.NonEmptyGroup) return err
  return new RustLogError(
    `The consumer group must have no running instances: ${groupId} has members (${err.message})`,
    { code: err.code, retriable: err.retriable, cause: err },
  )
}

/** A native offset that is always present for earliest/latest; -1 (KafkaJS) if it were not. */
function offsetOrNone(offset) {
  return offset ?? NO_OFFSET
}

function configEntries(entries, what) {
  if (entries === undefined || entries === null) return []
  if (!Array.isArray(entries)) throw invalidArgument(`${what} must be an array of { name, value }`)
  return entries.map((e, i) => {
    if (!e || typeof e.name !== 'string' || e.value === undefined || e.value === null) {
      throw invalidArgument(`${what}[${i}] must be { name: string, value: string }`)
    }
    return { name: e.name, value: String(e.value) }
  })
}

class Admin {
  #native

  /** @param {import('../index').NativeAdmin} native */
  constructor(native) {
    this.#native = native
  }

  connect() {
    return call(() => this.#native.connect())
  }

  disconnect() {
    return call(() => this.#native.disconnect())
  }

  /**
   * Creates topics. Like KafkaJS, resolves to `true` when every topic was created and `false`
   * when some already existed; any other failure rejects.
   */
  async createTopics({ topics } = {}) {
    if (!Array.isArray(topics)) throw invalidArgument('createTopics() takes { topics: [...] }')
    let allCreated = true
    for (const [i, t] of topics.entries()) {
      if (!t || typeof t.topic !== 'string') throw invalidArgument(`topics[${i}].topic must be a string`)
      // Omitted or -1 (KafkaJS's "broker default") asks the broker for its default count (0).
      const requested = t.numPartitions ?? -1
      if (!Number.isInteger(requested) || requested < -1 || requested > 0xffffffff) {
        throw invalidArgument(`topics[${i}].numPartitions must be a positive integer or -1`)
      }
      const partitions = requested === -1 ? 0 : requested
      const config = configEntries(t.configEntries, `topics[${i}].configEntries`)
      try {
        await call(() => this.#native.createTopic(t.topic, partitions, config))
      } catch (err) {
        if (err instanceof RustLogError && err.code === ErrorCode.TopicAlreadyExists) allCreated = false
        else throw err
      }
    }
    return allCreated
  }

  async deleteTopics({ topics } = {}) {
    if (!Array.isArray(topics)) throw invalidArgument('deleteTopics() takes { topics: [...] }')
    for (const name of topics) {
      if (typeof name !== 'string') throw invalidArgument('topic names must be strings')
      await call(() => this.#native.deleteTopic(name))
    }
  }

  /** Resolves to the topic names. */
  listTopics() {
    return call(() => this.#native.listTopics())
  }

  /** Resolves to `{ topics: [{ name, config, partitions: [...] }] }`. */
  async describeTopics({ topics } = {}) {
    if (!Array.isArray(topics)) throw invalidArgument('describeTopics() takes { topics: [...] }')
    const out = []
    for (const name of topics) {
      if (typeof name !== 'string') throw invalidArgument('topic names must be strings')
      out.push(await call(() => this.#native.describeTopic(name)))
    }
    return { topics: out }
  }

  /** Resolves to `{ groups: [{ groupId, state, generationId, memberCount }] }`. */
  async listGroups() {
    return { groups: await call(() => this.#native.listGroups()) }
  }

  /** Resolves to the group's state, members and per-partition committed offsets and lag. */
  describeGroup(groupId) {
    if (typeof groupId !== 'string') return Promise.reject(invalidArgument('groupId must be a string'))
    return call(() => this.#native.describeGroup(groupId))
  }

  /**
   * Grows topics: `{ topicPartitions: [{ topic, count }] }` where `count` is the new total.
   * Resolves to true (KafkaJS's declared result); a count not above the current one rejects
   * with InvalidPartitions, an unknown topic with TopicNotFound. Topics are grown in order:
   * when one fails, those before it stay grown.
   */
  async createPartitions(options) {
    const what = 'createPartitions()'
    const opts = checkOptions(options ?? {}, ['topicPartitions', 'validateOnly', 'timeout'], what)
    const { topicPartitions } = opts
    refuseOption(opts, 'validateOnly', [false], what, "the Rust client's create_partitions has no validate-only mode")
    refuseOption(opts, 'timeout', [], what, 'the broker answers once the partitions exist; set requestTimeout on new RustLog()')
    if (!Array.isArray(topicPartitions) || topicPartitions.length === 0) {
      throw invalidArgument(`${what} takes { topicPartitions: [{ topic, count }, ...] } (not empty)`)
    }
    const seen = new Set()
    const grow = topicPartitions.map((t, i) => {
      checkOptions(t, ['topic', 'count'], `topicPartitions[${i}]`)
      checkName(t.topic, `topicPartitions[${i}].topic`)
      if (seen.has(t.topic)) throw invalidArgument(`topicPartitions lists topic '${t.topic}' twice`)
      seen.add(t.topic)
      if (!Number.isInteger(t.count) || t.count < 1 || t.count > 0xffffffff) {
        throw invalidArgument(`topicPartitions[${i}].count must be the new partition count (a positive integer)`)
      }
      return t
    })
    for (const { topic, count } of grow) {
      await call(() => this.#native.createPartitions(topic, count))
    }
    return true
  }

  /**
   * Deletes groups that have no members, with their committed offsets. Resolves to
   * `[{ groupId, errorCode: 0 }]`; like KafkaJS, when some group fails (NonEmptyGroup,
   * GroupNotFound, ...) it rejects with a DeleteGroupsError whose `.groups` lists the failed
   * ones as `{ groupId, errorCode, error }` (the others were deleted).
   */
  async deleteGroups(groupIds) {
    if (!Array.isArray(groupIds)) throw invalidArgument('deleteGroups() takes an array of group ids')
    groupIds.forEach((g, i) => checkName(g, `groupIds[${i}]`))
    const results = []
    const failed = []
    for (const groupId of groupIds) {
      try {
        await call(() => this.#native.deleteGroup(groupId))
        results.push({ groupId, errorCode: 0 })
      } catch (err) {
        // The broker's answer about this group; a client-side failure (2000 and up:
        // Disconnected, TimedOut, ...) is not about the group and rejects at once.
        if (!(err instanceof RustLogError) || err.code >= ErrorCode.Disconnected) throw err
        failed.push({ groupId, errorCode: err.code, error: err })
      }
    }
    if (failed.length > 0) {
      const which = failed.map((f) => `${f.groupId}: ${f.error.name}`).join(', ')
      throw new DeleteGroupsError(`Error in DeleteGroups (${which})`, { groups: failed })
    }
    return results
  }

  /**
   * `[{ partition, offset, high, low }]` of every partition: `high` the high watermark (also
   * `offset`, as KafkaJS), `low` the log start offset; bigint.
   */
  async fetchTopicOffsets(topic) {
    checkName(topic, 'topic')
    const [high, low] = await Promise.all([
      call(() => this.#native.topicOffsets(topic, 'latest')),
      call(() => this.#native.topicOffsets(topic, 'earliest')),
    ])
    return high.map(({ partition, offset }) => {
      const h = offsetOrNone(offset)
      return { partition, offset: h, high: h, low: offsetOrNone(low.find((l) => l.partition === partition)?.offset) }
    })
  }

  /**
   * `[{ partition, offset }]`: the first offset whose record is at or after `timestamp` (ms
   * since the epoch), or the high watermark where no record is that new (as KafkaJS); without
   * a timestamp, the high watermark.
   */
  async fetchTopicOffsetsByTimestamp(topic, timestamp) {
    checkName(topic, 'topic')
    const ms = timestamp === undefined || timestamp === null ? null : toTimestamp(timestamp, 'timestamp')
    const latest = call(() => this.#native.topicOffsets(topic, 'latest'))
    if (ms === null) {
      return (await latest).map(({ partition, offset }) => ({ partition, offset: offsetOrNone(offset) }))
    }
    const [high, at] = await Promise.all([latest, call(() => this.#native.topicOffsets(topic, 'timestamp', ms))])
    return at.map(({ partition, offset }) => ({
      partition,
      offset: offset ?? offsetOrNone(high.find((h) => h.partition === partition)?.offset),
    }))
  }

  /**
   * A group's committed offsets, `[{ topic, partitions: [{ partition, offset, metadata }] }]`
   * (offset bigint, the next one the group reads). Without `topics`: every topic the group
   * committed on (none for an unknown group). With `topics`: every partition of those, -1 where
   * the group committed nothing (as KafkaJS).
   */
  async fetchOffsets(options) {
    const what = 'fetchOffsets()'
    const opts = checkOptions(options ?? {}, ['groupId', 'topics', 'resolveOffsets'], what)
    const { groupId, topics } = opts
    checkName(groupId, 'groupId')
    refuseOption(opts, 'resolveOffsets', [false], what, 'it commits offsets; use resetOffsets() or setOffsets()')
    if (topics !== undefined && topics !== null && !Array.isArray(topics)) {
      throw invalidArgument(`${what}: topics must be an array of topic names`)
    }
    const wanted = topics ?? []
    wanted.forEach((t, i) => checkName(t, `topics[${i}]`))
    const committed = await call(() => this.#native.groupOffsets(groupId))
    const entry = (c) => ({ partition: c.partition, offset: c.offset, metadata: c.metadata || null })
    if (wanted.length === 0) {
      const byTopic = new Map()
      for (const c of committed) {
        if (!byTopic.has(c.topic)) byTopic.set(c.topic, [])
        byTopic.get(c.topic).push(entry(c))
      }
      return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))
    }
    const out = []
    for (const topic of wanted) {
      const described = await call(() => this.#native.describeTopic(topic))
      out.push({
        topic,
        partitions: described.partitions.map(({ partition }) => {
          const c = committed.find((o) => o.topic === topic && o.partition === partition)
          return c ? entry(c) : { partition, offset: NO_OFFSET, metadata: null }
        }),
      })
    }
    return out
  }

  /**
   * Commits `partitions: [{ partition, offset }]` of `topic` for a group without running
   * consumers, in one request. `offset` is bigint, a decimal string or a safe integer, or
   * KafkaJS's -2 (earliest) / -1 (latest). A group with members rejects with NonEmptyGroup, an
   * offset above its high watermark with OffsetOutOfRange; either way nothing is committed.
   */
  async setOffsets(options) {
    const what = 'setOffsets()'
    const { groupId, topic, partitions } = checkOptions(options ?? {}, ['groupId', 'topic', 'partitions'], what)
    checkName(groupId, 'groupId')
    checkName(topic, 'topic')
    if (!Array.isArray(partitions) || partitions.length === 0) {
      throw invalidArgument(`${what} takes partitions: [{ partition, offset }, ...] (not empty)`)
    }
    const seen = new Set()
    const wanted = partitions.map((p, i) => {
      checkOptions(p, ['partition', 'offset'], `partitions[${i}]`)
      const partition = checkPartition(p.partition, `partitions[${i}].partition`)
      if (seen.has(partition)) throw invalidArgument(`partitions lists partition ${partition} twice`)
      seen.add(partition)
      return { partition, offset: seekOffset(p.offset, `partitions[${i}].offset`) }
    })
    if (wanted.some((p) => p.offset < 0n)) {
      // KafkaJS's sentinels, resolved as KafkaJS's consumer resolves them: one ListOffsets.
      const bounds = await this.fetchTopicOffsets(topic)
      for (const p of wanted.filter((w) => w.offset < 0n)) {
        const b = bounds.find((o) => o.partition === p.partition)
        if (b === undefined) {
          throw new RustLogError(`topic '${topic}' has ${bounds.length} partitions, not partition ${p.partition}`, {
            code: ErrorCode.PartitionNotFound,
          })
        }
        p.offset = p.offset === EARLIEST_OFFSET ? b.low : b.high
      }
    }
    const offsets = wanted.map((p) => ({ topic, partition: p.partition, offset: p.offset }))
    try {
      await call(() => this.#native.setGroupOffsets(groupId, offsets))
    } catch (err) {
      throw groupMustBeEmpty(err, groupId)
    }
  }

  /**
   * Moves the group's offsets on every partition of `topic` to the latest offset, or the
   * earliest with `earliest: true` (as KafkaJS). The group must have no running consumers.
   */
  async resetOffsets(options) {
    const what = 'resetOffsets()'
    const { groupId, topic, earliest = false } = checkOptions(options ?? {}, ['groupId', 'topic', 'earliest'], what)
    checkName(groupId, 'groupId')
    checkName(topic, 'topic')
    if (typeof earliest !== 'boolean') throw invalidArgument(`${what}: earliest must be a boolean`)
    const to = { kind: earliest ? 'earliest' : 'latest' }
    try {
      await call(() => this.#native.resetGroupOffsets(groupId, topic, null, to, true))
    } catch (err) {
      throw groupMustBeEmpty(err, groupId)
    }
  }

  /**
   * RustLog's own (not in KafkaJS): what a reset of the group's offsets on `topic` (the given
   * `partitions`, or all) to `to` would do, changing nothing. `to` is 'earliest', 'latest',
   * `{ offset }`, `{ timestamp }` (first record at or after it, else the high watermark) or
   * `{ shiftBy }` (from the committed offset; negative goes back), each clamped to the log.
   * Resolves to `[{ topic, partition, current, new }]`, `current` null where nothing is
   * committed. Apply a plan with `setOffsets`.
   */
  async planResetOffsets(options) {
    const what = 'planResetOffsets()'
    const { groupId, topic, partitions, to } = checkOptions(options ?? {}, ['groupId', 'topic', 'partitions', 'to'], what)
    checkName(groupId, 'groupId')
    checkName(topic, 'topic')
    let chosen = null
    if (partitions !== undefined && partitions !== null) {
      if (!Array.isArray(partitions) || partitions.length === 0) {
        throw invalidArgument(`${what}: partitions must be a non-empty array of partition numbers (omit it for all)`)
      }
      chosen = partitions.map((p, i) => checkPartition(p, `partitions[${i}]`))
    }
    if (to === undefined) throw invalidArgument(`${what} needs to: 'earliest', 'latest', { offset }, { timestamp } or { shiftBy }`)
    const target = resetTarget(to)
    const plan = await call(() => this.#native.resetGroupOffsets(groupId, topic, chosen, target, false))
    return plan.map((c) => ({ topic: c.topic, partition: c.partition, current: c.current ?? null, new: c.newOffset }))
  }
}

module.exports = { Admin }
