'use strict'
// Logging: KafkaJS's `logLevel` and `logCreator`. The Rust client logs through `tracing`; the
// native layer forwards its events (process-wide, through a weak threadsafe function that never
// keeps the process alive) to one sink here, which hands them to the logger as KafkaJS entries.

const native = require('../index.js')
const { invalidArgument } = require('./errors.js')

/** KafkaJS's levels: an entry is logged when its level is at most the logger's. */
const logLevel = Object.freeze({ NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 })
const LABELS = new Map([
  [logLevel.ERROR, 'ERROR'],
  [logLevel.WARN, 'WARN'],
  [logLevel.INFO, 'INFO'],
  [logLevel.DEBUG, 'DEBUG'],
])
const DEFAULT_LEVEL = logLevel.WARN

/** KafkaJS's default logger: one JSON line per entry on the console. */
function defaultLogCreator() {
  return ({ namespace, level, label, log }) => {
    const prefix = namespace ? `[${namespace}] ` : ''
    const line = JSON.stringify({ level: label, ...log, message: `${prefix}${log.message}` })
    if (level === logLevel.ERROR) console.error(line)
    else if (level === logLevel.WARN) console.warn(line)
    else if (level === logLevel.INFO) console.info(line)
    else console.log(line)
  }
}

let configured = false

/**
 * Sets the process's logger from `new RustLog({ logLevel, logCreator })`. The client's log is
 * process-wide (its events name no client), so the last RustLog given either option sets it; one
 * given neither installs the default (console, WARN and above) only if no logger is set yet.
 */
function configureLogging(level, logCreator) {
  const explicit = level !== undefined || logCreator !== undefined
  if (level !== undefined && ![...Object.values(logLevel)].includes(level)) {
    throw invalidArgument(`logLevel must be one of logLevel.NOTHING, ERROR, WARN, INFO, DEBUG (${Object.values(logLevel).join(', ')})`)
  }
  if (logCreator !== undefined && typeof logCreator !== 'function') throw invalidArgument('logCreator must be a function')
  if (!explicit && configured) return
  const max = level === undefined ? DEFAULT_LEVEL : level
  const log = (logCreator ?? defaultLogCreator)(max)
  if (typeof log !== 'function') throw invalidArgument('logCreator(logLevel) must return a function')
  const sink = (record) => {
    if (record.level > max) return
    try {
      log({
        namespace: record.target,
        level: record.level,
        label: LABELS.get(record.level) ?? 'DEBUG',
        log: { timestamp: new Date().toISOString(), logger: 'rustlog', message: record.message },
      })
    } catch {
      // A failing logger must not take the process down from a native callback.
    }
  }
  try {
    native.forwardLogsTo(max, sink)
  } catch (err) {
    throw require('./errors.js').fromNative(err)
  }
  configured = true
}

module.exports = { logLevel, configureLogging }
