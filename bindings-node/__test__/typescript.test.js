'use strict'
// Scenario: a TypeScript program using the API type-checks against the declarations
// (`tsc --noEmit`). The example also holds `@ts-expect-error` lines for wrong uses, so loose
// (`any`) types would fail this test too.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
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

test('examples/quickstart.ts compiled by tsc runs against an embedded broker', { timeout: 120_000 }, () => {
  // Inside the package directory, so `import ... from 'rustlog'` resolves to this package.
  const outDir = fs.mkdtempSync(path.join(PACKAGE_DIR, '.example-build-'))
  try {
    const tsc = spawnSync(
      process.execPath,
      [TSC, '-p', path.join(PACKAGE_DIR, 'tsconfig.json'), '--noEmit', 'false', '--rootDir', path.join(PACKAGE_DIR, 'examples'), '--outDir', outDir],
      { cwd: PACKAGE_DIR, encoding: 'utf8', timeout: 110_000 },
    )
    assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}\n${tsc.stderr}`)
    const run = spawnSync(process.execPath, [path.join(outDir, 'quickstart.js')], {
      cwd: PACKAGE_DIR,
      encoding: 'utf8',
      timeout: 30_000,
    })
    assert.equal(run.status, 0, `example failed:\n${run.stdout}\n${run.stderr}`)
    assert.match(run.stdout, /iterated one more/)
    assert.match(run.stdout, /TopicNotFound false/)
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true })
  }
})
