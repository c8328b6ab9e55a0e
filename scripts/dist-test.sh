#!/usr/bin/env bash
# Installs what `make dist` built the way a user without a Rust toolchain would, and runs it: the
# wheel into a fresh venv, both npm tarballs into a fresh npm project (offline: only local files),
# each with a PATH that has no cargo or rustc, then a produce and a consume against the package's
# own embedded broker. Also checks the sdist holds the sources a build from it needs.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dist="$root/dist"
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
python="$(cd "$(dirname "$python")" && pwd -P)/$(basename "$python")"
# pyenv's shim is a script that needs pyenv on PATH: use the interpreter it points at.
python="$("$python" -c 'import sys; print(sys.executable)')"
node="$(command -v node)"
npm="$(command -v npm)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A PATH with node and python but no Rust toolchain.
mkdir -p "$work/bin"
ln -s "$node" "$work/bin/node"
ln -s "$npm" "$work/bin/npm"
clean_path="$work/bin:/usr/bin:/bin"
if PATH="$clean_path" command -v cargo >/dev/null || PATH="$clean_path" command -v rustc >/dev/null; then
    echo "dist-test.sh: a Rust toolchain is on the clean PATH ($clean_path)" >&2
    exit 1
fi

echo "dist-test.sh: the wheel in a fresh venv"
wheel=("$dist"/rustlog-*-abi3-*.whl)
[[ -f "${wheel[0]}" ]] || { echo "dist-test.sh: no abi3 wheel in $dist (run make dist)" >&2; exit 1; }
"$python" -m venv "$work/venv"
PATH="$clean_path" "$work/venv/bin/python" -m pip install --quiet --no-index "${wheel[0]}"
PATH="$clean_path" "$work/venv/bin/python" - <<'PY'
import importlib.metadata as md
import tempfile

import rustlog

meta = md.metadata("rustlog")
assert meta["License-Expression"] == "MIT OR Apache-2.0", meta["License-Expression"]
assert any(f.name == "LICENSE-APACHE" for f in md.files("rustlog") or []), "license file missing"
with tempfile.TemporaryDirectory() as data, rustlog.EmbeddedBroker(data) as broker:
    with rustlog.Admin(broker.bootstrap) as admin:
        admin.create_topic("dist", partitions=1)
    with rustlog.Producer(broker.bootstrap) as producer:
        producer.send("dist", b"from the wheel").result()
    with rustlog.Consumer(
        broker.bootstrap, group_id="g", topics=["dist"], auto_offset_reset="earliest"
    ) as consumer:
        msg = consumer.poll(timeout=10)
        assert msg is not None and msg.value == b"from the wheel", msg
print("dist-test.sh: wheel ok")
PY

echo "dist-test.sh: the sdist holds the workspace sources"
sdist=("$dist"/rustlog-*.tar.gz)
listing="$(tar tzf "${sdist[0]}")"
for needed in pyproject.toml Cargo.toml client-rs/src/lib.rs protocol/src/lib.rs bindings-python/src/lib.rs LICENSE-APACHE; do
    grep -q "/$needed\$" <<<"$listing" || { echo "dist-test.sh: sdist lacks $needed" >&2; exit 1; }
done

echo "dist-test.sh: the npm tarballs in a fresh project"
mkdir "$work/app"
cd "$work/app"
echo '{ "name": "app", "version": "1.0.0", "private": true }' > package.json
addon=("$dist"/rustlog-*-*.tgz)
main="$dist/rustlog-$(node -p "require('$root/bindings-node/package.json').version").tgz"
PATH="$clean_path" npm install --offline --no-audit --no-fund --silent "${addon[0]}" "$main"
cat > smoke.mjs <<'JS'
import { RustLog } from 'rustlog'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const cjs = createRequire(import.meta.url)('rustlog')
if (cjs.RustLog !== RustLog) throw new Error('ESM and CommonJS entries differ')
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rustlog-dist-'))
const broker = await RustLog.startEmbeddedBroker({ dataDir, port: 0 })
try {
  const client = new RustLog({ brokers: broker.brokers })
  const admin = client.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'dist', numPartitions: 1 }] })
  await admin.disconnect()
  const producer = client.producer()
  await producer.connect()
  await producer.send({ topic: 'dist', messages: [{ value: 'from the tarball' }] })
  await producer.disconnect()
  const consumer = client.consumer({ groupId: 'g' })
  await consumer.connect()
  await consumer.subscribe({ topics: ['dist'], fromBeginning: true })
  for await (const message of consumer) {
    if (message.value.toString() !== 'from the tarball') throw new Error(`got ${message.value}`)
    break
  }
  await consumer.disconnect()
} finally {
  await broker.stop()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
console.log('dist-test.sh: npm packages ok')
JS
PATH="$clean_path" node smoke.mjs
# The addon came from the platform package, not from a file beside the JavaScript.
[[ -z "$(find node_modules/rustlog -name '*.node')" ]] || { echo "dist-test.sh: the main package ships an addon" >&2; exit 1; }
echo "dist-test.sh: all packages install and run without a Rust toolchain"
