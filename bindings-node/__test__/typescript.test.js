'use strict'
// Scenario: a TypeScript program using the API type-checks against the declarations
// (`tsc --noEmit`). The example also holds `@ts-expect-error` lines for wrong uses, so loose
// (`any`) types would fail this test too.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const PACKAGE_DIR = path.resolve(__dirname, '..')
const TSC = require.resolve('typescript/bin/tsc', { paths: [PACKAGE_DIR] })

test('examples/quickstart.ts type-checks with tsc --noEmit', { timeout: 120_000 }, () => {
  const r = spawnSync(process.execPath, [TSC, '--noEmit', '-p', path.join(PACKAGE_DIR, 'tsconfig.json')], {
    cwd: PACKAGE_DIR,
    encoding: 'utf8',
    timeout: 110_000,
  })
  assert.equal(r.status, 0, `tsc failed:\n${r.stdout}\n${r.stderr}`)
})
