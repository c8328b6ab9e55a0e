'use strict'
// Public entry of the `rustlog` package: a KafkaJS-shaped Promise API over the native addon.

const { RustLog } = require('./client.js')
const { Producer } = require('./producer.js')
const { Consumer } = require('./consumer.js')
const { Admin } = require('./admin.js')
const { RustLogError, DeleteGroupsError, ErrorCode } = require('./errors.js')
const { CompressionTypes } = require('./compression.js')
const { logLevel } = require('./logging.js')

module.exports = {
  RustLog,
  Producer,
  Consumer,
  Admin,
  RustLogError,
  DeleteGroupsError,
  ErrorCode,
  CompressionTypes,
  logLevel,
}
