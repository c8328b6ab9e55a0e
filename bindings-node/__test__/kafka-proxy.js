'use strict'
// A TCP proxy between KafkaJS and the broker's Kafka listener that reads the frames going by
// (an i32 length, then the request header: api key, api version, correlation id; a response
// starts with the correlation id). It counts requests by api key and, when armed, forwards the
// next Produce request but drops the connection when its response comes back: the broker has
// stored the batch, the client never learns it, and so must retry.

const net = require('node:net')

const API_KEY_PRODUCE = 0

/** Splits complete length-prefixed frames off `state.buffer` as `chunk` arrives. */
function takeFrames(state, chunk) {
  state.buffer = state.buffer.length === 0 ? chunk : Buffer.concat([state.buffer, chunk])
  const frames = []
  while (state.buffer.length >= 4) {
    const end = 4 + state.buffer.readInt32BE(0)
    if (state.buffer.length < end) break
    frames.push(state.buffer.subarray(0, end))
    state.buffer = state.buffer.subarray(end)
  }
  return frames
}

class KafkaProxy {
  constructor(server) {
    this.server = server
    this.target = null
    this.sockets = new Set()
    /** api key -> number of requests forwarded. */
    this.requests = new Map()
    this.armed = false
    this.drops = 0
  }

  /** Listens on a free loopback port; set the broker with `forwardTo` before clients connect. */
  static async start() {
    const server = net.createServer()
    const proxy = new KafkaProxy(server)
    server.on('connection', (client) => proxy.accept(client))
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  /** `127.0.0.1:PORT`, to advertise and to bootstrap from. */
  get address() {
    return `127.0.0.1:${this.server.address().port}`
  }

  /** The broker's Kafka address (`host:port`). */
  forwardTo(address) {
    const separator = address.lastIndexOf(':')
    this.target = { host: address.slice(0, separator), port: Number(address.slice(separator + 1)) }
  }

  /** How many requests of `apiKey` went through so far. */
  count(apiKey) {
    return this.requests.get(apiKey) ?? 0
  }

  /** Produce requests forwarded so far. */
  get produceRequests() {
    return this.count(API_KEY_PRODUCE)
  }

  /** The next Produce request is forwarded, and its connection dropped before its response. */
  dropNextProduceResponse() {
    this.armed = true
  }

  accept(client) {
    const upstream = net.connect(this.target)
    this.sockets.add(client).add(upstream)
    const pending = new Set() // correlation ids whose response is to be dropped
    const fromClient = { buffer: Buffer.alloc(0) }
    const fromBroker = { buffer: Buffer.alloc(0) }
    const closeBoth = () => {
      client.destroy()
      upstream.destroy()
      this.sockets.delete(client)
      this.sockets.delete(upstream)
    }
    client.on('data', (chunk) => {
      for (const frame of takeFrames(fromClient, chunk)) {
        const apiKey = frame.readInt16BE(4)
        this.requests.set(apiKey, this.count(apiKey) + 1)
        if (apiKey === API_KEY_PRODUCE && this.armed) {
          this.armed = false
          pending.add(frame.readInt32BE(8))
        }
        upstream.write(frame)
      }
    })
    upstream.on('data', (chunk) => {
      for (const frame of takeFrames(fromBroker, chunk)) {
        if (pending.has(frame.readInt32BE(4))) {
          this.drops += 1
          closeBoth()
          return
        }
        client.write(frame)
      }
    })
    client.on('close', closeBoth)
    upstream.on('close', closeBoth)
    client.on('error', closeBoth)
    upstream.on('error', closeBoth)
  }

  async close() {
    for (const socket of this.sockets) socket.destroy()
    await new Promise((resolve) => this.server.close(resolve))
  }
}

module.exports = { KafkaProxy, API_KEY_PRODUCE }
