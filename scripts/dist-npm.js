'use strict'
// Packs the Node package in napi-rs's per-platform layout (called by scripts/dist.sh):
//   rustlog-<platform>-<version>.tgz  the prebuilt addon for this machine (os/cpu/libc set, so
//                                      npm installs it only where it runs);
//   rustlog-<version>.tgz             the JavaScript and types, with that package as an optional
//                                      dependency (index.js loads it when no local addon is there).
// Only this platform is built here, so only it is listed; a release lists every target of
// package.json's `napi.targets`, each built on its own machine.
// Usage: node scripts/dist-npm.js <bindings-node dir> <dist dir>

const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const [pkgDir, distDir] = process.argv.slice(2).map((p) => path.resolve(p))
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
const root = path.dirname(pkgDir)

/** napi-rs's platform name: linux-x64-gnu, darwin-arm64, win32-x64-msvc, ... */
function platformName() {
  const base = `${process.platform}-${process.arch}`
  if (process.platform === 'linux') {
    const glibc = process.report.getReport().header.glibcVersionRuntime
    return `${base}-${glibc ? 'gnu' : 'musl'}`
  }
  return process.platform === 'win32' ? `${base}-msvc` : base
}

function stage(name, files, manifest) {
  const dir = path.join(distDir, 'npm', name)
  fs.mkdirSync(dir, { recursive: true })
  for (const [from, to] of files) fs.cpSync(from, path.join(dir, to), { recursive: true })
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n')
  execFileSync('npm', ['pack', '--pack-destination', distDir, '--silent'], { cwd: dir, stdio: 'inherit' })
}

const platform = platformName()
const addon = `${pkg.napi.binaryName}.${platform}.node`
if (!fs.existsSync(path.join(pkgDir, addon))) {
  throw new Error(`${addon} is missing: run \`npm run build\` in ${pkgDir} first`)
}
const licenses = ['LICENSE-MIT', 'LICENSE-APACHE'].map((f) => [path.join(root, f), f])
const shared = {
  version: pkg.version,
  license: pkg.license,
  repository: pkg.repository,
  homepage: pkg.homepage,
  bugs: pkg.bugs,
  engines: pkg.engines,
}
const platformPkg = `${pkg.name}-${platform}`
stage(platformPkg, [[path.join(pkgDir, addon), addon], ...licenses], {
  name: platformPkg,
  description: `${pkg.name}'s prebuilt addon for ${platform}`,
  ...shared,
  os: [process.platform],
  cpu: [process.arch],
  ...(platform.endsWith('-gnu') ? { libc: ['glibc'] } : platform.endsWith('-musl') ? { libc: ['musl'] } : {}),
  main: addon,
  files: [addon, 'LICENSE-MIT', 'LICENSE-APACHE'],
})
const { devDependencies, scripts, ...published } = pkg
stage(
  pkg.name,
  [...pkg.files.filter((f) => !f.includes('*')).map((f) => [path.join(pkgDir, f), f]), ...licenses],
  {
    ...published,
    files: [...pkg.files.filter((f) => !f.includes('*')), 'LICENSE-MIT', 'LICENSE-APACHE'],
    optionalDependencies: { [platformPkg]: pkg.version },
  },
)
