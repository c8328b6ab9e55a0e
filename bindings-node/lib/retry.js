'use strict'
// KafkaJS's `retry` options (`new RustLog({ retry })`, `client.consumer({ retry })`): how a
// consumer's `run()` loop waits between attempts after a retriable error, and whether it restarts
// after a crash. The backoff is KafkaJS's: a randomized initial time, then each wait times
// `multiplier` (randomized by `factor`), capped at `maxRetryTime`.

const { invalidArgument } = require('./errors.js')

/** KafkaJS's defaults (src/retry/defaults.js). */
const RETRY_DEFAULTS = Object.freeze({
  maxRetryTime: 30 * 1000,
  initialRetryTime: 300,
  factor: 0.2,
  multiplier: 2,
  retries: 5,
})

const RETRY_KEYS = ['retries', 'initialRetryTime', 'maxRetryTime', 'factor', 'multiplier', 'restartOnFailure']

/** KafkaJS never retries these: they are bugs, not conditions that pass. */
const UNRECOVERABLE_ERRORS = ['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError']

function nonNegativeNumber(v, what) {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidArgument(`${what} must be a non-negative number of milliseconds`)
  return v
}

/**
 * Checks a `retry` option (undefined is none) and returns the keys it sets. Unknown keys and
 * values of the wrong kind are an InvalidArgument.
 */
function retryOptions(retry, what) {
  if (retry === undefined || retry === null) return {}
  if (typeof retry !== 'object' || Array.isArray(retry)) throw invalidArgument(`${what} must be an object`)
  for (const key of Object.keys(retry)) {
    if (!RETRY_KEYS.includes(key)) {
      throw invalidArgument(`${what}: unknown option ${JSON.stringify(key)}; the options are ${RETRY_KEYS.join(', ')}`)
    }
  }
  const out = {}
  const { retries, initialRetryTime, maxRetryTime, factor, multiplier, restartOnFailure } = retry
  if (retries !== undefined) {
    if (!(retries === Infinity || (Number.isInteger(retries) && retries >= 0))) {
      throw invalidArgument(`${what}.retries must be a non-negative integer`)
    }
    out.retries = retries
  }
  if (initialRetryTime !== undefined) out.initialRetryTime = nonNegativeNumber(initialRetryTime, `${what}.initialRetryTime`)
  if (maxRetryTime !== undefined) out.maxRetryTime = nonNegativeNumber(maxRetryTime, `${what}.maxRetryTime`)
  if (factor !== undefined) {
    if (typeof factor !== 'number' || !(factor >= 0 && factor <= 1)) throw invalidArgument(`${what}.factor must be a number in 0..1`)
    out.factor = factor
  }
  if (multiplier !== undefined) {
    if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1) {
      throw invalidArgument(`${what}.multiplier must be a number of at least 1`)
    }
    out.multiplier = multiplier
  }
  if (restartOnFailure !== undefined) {
    if (typeof restartOnFailure !== 'function') throw invalidArgument(`${what}.restartOnFailure must be an async function (error) => boolean`)
    out.restartOnFailure = restartOnFailure
  }
  return out
}

/** The client's retry options, then the consumer's, over KafkaJS's defaults. */
function mergeRetry(...layers) {
  return Object.freeze(Object.assign({}, RETRY_DEFAULTS, ...layers))
}

function randomized(factor, retryTime) {
  const delta = factor * retryTime
  return Math.ceil(Math.random() * 2 * delta + retryTime - delta)
}

/** The first wait. */
function initialRetryTime(retry) {
  return Math.min(randomized(retry.factor, retry.initialRetryTime), retry.maxRetryTime)
}

/** The wait after `retryTime`. */
function nextRetryTime(retry, retryTime) {
  return Math.min(randomized(retry.factor, retryTime) * retry.multiplier, retry.maxRetryTime)
}

/**
 * KafkaJS's rule: an error is retried unless it says `retriable: false` (every RustLogError says
 * which, from the shared error table) or is a programming error (TypeError and the like). A
 * handler's plain Error is retried, as in KafkaJS.
 */
function isRetriable(error) {
  if (error === null || error === undefined) return false
  if (typeof error !== 'object' && typeof error !== 'function') return true
  return error.retriable !== false && !UNRECOVERABLE_ERRORS.includes(error.name)
}

/** `restartOnFailure(error)` as KafkaJS calls it: a rejection or a throw means restart. */
async function shouldRestart(retry, error) {
  if (retry.restartOnFailure === undefined) return true
  try {
    return Boolean(await retry.restartOnFailure(error))
  } catch (err) {
    console.error('rustlog: retry.restartOnFailure failed, restarting the consumer:', err)
    return true
  }
}

module.exports = {
  RETRY_DEFAULTS,
  retryOptions,
  mergeRetry,
  initialRetryTime,
  nextRetryTime,
  isRetriable,
  shouldRestart,
}
