'use strict'
// RustLogError: the one error class of the package. Every native failure arrives as a plain
// Error whose message starts with `RUSTLOG[<code>;<retriable>] `; `fromNative` turns it into a
// RustLogError carrying the shared protocol code (`rustlog_protocol::ErrorCode`).

const native = require('../index.js')

/** code number -> { code, name, retriable, message }, from the Rust table (one source of truth). */
const CODE_TABLE = new Map(native.errorCodes().map((c) => [c.code, c]))

/** Name -> number, e.g. `ErrorCode.TopicNotFound === 7`. */
const ErrorCode = Object.freeze(
  Object.fromEntries([...CODE_TABLE.values()].map((c) => [c.name, c.code])),
)

const NATIVE_PREFIX = /^RUSTLOG\[(\d+);([01])\] ([\s\S]*)$/

class RustLogError extends Error {
  /**
   * @param {string} message
   * @param {{ code: number, retriable?: boolean, cause?: unknown }} options
   */
  constructor(message, { code, retriable, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause })
    const entry = CODE_TABLE.get(code) ?? CODE_TABLE.get(ErrorCode.Unknown)
    this.code = entry.code
    this.name = entry.name
    this.retriable = retriable ?? entry.retriable
  }
}

/**
 * KafkaJS's `KafkaJSDeleteGroupsError`: `deleteGroups` rejects with it when some groups could
 * not be deleted. `.groups` lists those, `{ groupId, errorCode, error }` (as KafkaJS); `.code`
 * and `.name` are the first failed group's.
 */
class DeleteGroupsError extends RustLogError {
  /**
   * @param {string} message
   * @param {{ groups: Array<{ groupId: string, errorCode: number, error: RustLogError }> }} options
   */
  constructor(message, { groups }) {
    const first = groups[0]?.error
    super(message, { code: first?.code ?? ErrorCode.Unknown, retriable: first?.retriable, cause: first })
    this.groups = groups
  }
}

/** Converts anything a native call threw into a RustLogError (idempotent). */
function fromNative(err) {
  if (err instanceof RustLogError) return err
  const text = err instanceof Error ? err.message : String(err)
  const m = NATIVE_PREFIX.exec(text)
  if (m) {
    return new RustLogError(m[3], { code: Number(m[1]), retriable: m[2] === '1', cause: err })
  }
  // napi argument conversion failures (status `InvalidArg`, `StringExpected`, ...) are the
  // caller's mistake: InvalidArgument with napi's own explanation. Anything else is Unknown.
  const status = err && typeof err.code === 'string' ? err.code : ''
  const code = /^InvalidArg$|Expected$/.test(status) ? ErrorCode.InvalidArgument : ErrorCode.Unknown
  return new RustLogError(text, { code, cause: err })
}

/** Runs `fn` and rethrows any failure as a RustLogError. */
async function call(fn) {
  try {
    return await fn()
  } catch (err) {
    throw fromNative(err)
  }
}

function invalidArgument(message) {
  return new RustLogError(message, { code: ErrorCode.InvalidArgument })
}

module.exports = { RustLogError, DeleteGroupsError, ErrorCode, fromNative, call, invalidArgument }
