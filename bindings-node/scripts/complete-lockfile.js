'use strict'
// Adds the lockfile records of platform-specific optional packages that npm could not record.
//
// Why: the npm mirror of the build machines serves only the packages of its own platform, so
// `npm install` leaves the other platforms' optional binaries (e.g. `@napi-rs/lzma-darwin-arm64`,
// dependencies of @napi-rs/cli) out of package-lock.json, and `npm ci` then refuses the lockfile
// ("Missing: ... from lock file"). Each missing record gets its version and the os/cpu/libc its
// name encodes, so npm skips it on other platforms exactly as it would with the registry's record.
// Run after regenerating the lockfile: `node scripts/complete-lockfile.js`.

const fs = require('node:fs')
const path = require('node:path')

const LOCK = path.join(__dirname, '..', 'package-lock.json')

/** Platform suffix of a napi-rs binary package -> its os/cpu/libc fields. */
const PLATFORMS = {
  'android-arm-eabi': { os: ['android'], cpu: ['arm'] },
  'android-arm64': { os: ['android'], cpu: ['arm64'] },
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  'darwin-universal': { os: ['darwin'] },
  'freebsd-x64': { os: ['freebsd'], cpu: ['x64'] },
  'linux-arm-gnueabihf': { os: ['linux'], cpu: ['arm'], libc: ['glibc'] },
  'linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  'linux-arm64-musl': { os: ['linux'], cpu: ['arm64'], libc: ['musl'] },
  'linux-ppc64-gnu': { os: ['linux'], cpu: ['ppc64'], libc: ['glibc'] },
  'linux-riscv64-gnu': { os: ['linux'], cpu: ['riscv64'], libc: ['glibc'] },
  'linux-s390x-gnu': { os: ['linux'], cpu: ['s390x'], libc: ['glibc'] },
  'linux-x64-gnu': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
  'linux-x64-musl': { os: ['linux'], cpu: ['x64'], libc: ['musl'] },
  'wasm32-wasi': { cpu: ['wasm32'] },
  'win32-arm64-msvc': { os: ['win32'], cpu: ['arm64'] },
  'win32-ia32-msvc': { os: ['win32'], cpu: ['ia32'] },
  'win32-x64-msvc': { os: ['win32'], cpu: ['x64'] },
}

const lock = JSON.parse(fs.readFileSync(LOCK, 'utf8'))
const packages = lock.packages
let added = 0
for (const [where, record] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(record.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`
    if (packages[key] !== undefined) continue
    const suffix = Object.keys(PLATFORMS).find((s) => name.endsWith(`-${s}`))
    if (suffix === undefined) {
      console.warn(`${where}: optional ${name} is not a platform binary; left alone`)
      continue
    }
    packages[key] = { version, dev: record.dev, optional: true, ...PLATFORMS[suffix] }
    added++
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
)
lock.packages = sorted
fs.writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`added ${added} platform records to package-lock.json`)
