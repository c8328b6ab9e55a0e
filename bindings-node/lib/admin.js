'use strict'
// Admin: KafkaJS-shaped wrapper over NativeAdmin (topics and consumer groups).

const { call, invalidArgument, ErrorCode, RustLogError } = require('./errors.js')

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
}

module.exports = { Admin }
