'use strict'
// The top README's Node quick start runs as printed against a fresh broker, and a second time
// against the same broker (the topic exists by then). Only the broker address is the test
// broker's. The Rust and CLI quick starts: tests/tests/docs_readme.rs; Python: test_readme.py.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { withBroker, tempDir, TEST_TIMEOUT_MS } = require('./helpers.js')

const README = path.join(__dirname, '..', '..', 'README.md')
const README_BROKER = '127.0.0.1:7400'

/** The body of the first ```lang block after the "## Quick starts" heading. */
function quickstartBlock(lang) {
  const section = fs.readFileSync(README, 'utf8').split('\n## Quick starts\n')[1]
  const body = section.split('```' + lang + '\n')[1]
  return body.split('\n```')[0]
}

test('the Node quick start runs as printed, and again', { timeout: TEST_TIMEOUT_MS * 2 }, async () => {
  const code = quickstartBlock('js')
  assert.ok(code.includes(README_BROKER))
  await withBroker(async ({ broker, client }) => {
    // The snippet requires 'rustlog', as the installed package is named: this package.
    const modules = tempDir('rustlog-readme-')
    fs.symlinkSync(path.join(__dirname, '..'), path.join(modules, 'rustlog'), 'dir')
    const script = code.replaceAll(README_BROKER, broker.brokers[0])
    for (const run of [1, 2]) {
      const out = execFileSync(process.execPath, ['-e', script], {
        cwd: path.join(__dirname, '..', '..'),
        env: { ...process.env, NODE_PATH: modules },
        encoding: 'utf8',
        timeout: TEST_TIMEOUT_MS,
      })
      assert.match(out, /hello/, `run ${run}: ${out}`)
    }
    fs.rmSync(modules, { recursive: true, force: true })
    const admin = client.admin()
    await admin.connect()
    try {
      const offsets = await admin.fetchOffsets({ groupId: 'billing' })
      const committed = offsets.flatMap((t) => t.partitions).reduce((sum, p) => sum + p.offset, 0n)
      assert.equal(committed, 2n)
    } finally {
      await admin.disconnect()
    }
  })
})
