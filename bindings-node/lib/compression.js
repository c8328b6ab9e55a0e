'use strict'
// CompressionTypes: KafkaJS's enum of batch codecs. The numbers are Kafka's codec ids (bits 0-2
// of a RecordBatch's attributes), which the native layer reads with the protocol crate's own
// table, so JS keeps no second copy of what they mean.

/** `client.producer({ compression: CompressionTypes.GZIP })`; the names ('gzip') work too. */
const CompressionTypes = Object.freeze({
  None: 0,
  GZIP: 1,
  Snappy: 2,
  LZ4: 3,
  ZSTD: 4,
})

module.exports = { CompressionTypes }
