#!/usr/bin/env bash
# `make dist`: the packages a user installs without a Rust toolchain, for this platform, in dist/.
#   - Python: the abi3 wheel (one wheel for CPython 3.9+) and the sdist, built by maturin.
#   - Node: napi-rs's per-platform layout: `rustlog-<platform>` holds the prebuilt addon, and
#     `rustlog` (the JavaScript) lists it as an optional dependency, so npm installs the one that
#     matches the machine.
# scripts/dist-test.sh installs each into a fresh project with no cargo on PATH and runs it.
#
# Env: RUSTLOG_DIST_VENV  the venv holding maturin (default: target/dist-venv)
#      PYTHON             interpreter that creates it (default: python3.11, else python3)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dist="$root/dist"
venv="${RUSTLOG_DIST_VENV:-$root/target/dist-venv}"
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
rm -rf "$dist"
mkdir -p "$dist"

echo "dist.sh: Python wheel and sdist (maturin)"
if [[ ! -x "$venv/bin/maturin" ]]; then
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "maturin>=1.9,<2"
fi
(cd "$root/bindings-python" \
    && "$venv/bin/maturin" build --release --locked --out "$dist" \
    && "$venv/bin/maturin" sdist --out "$dist")

echo "dist.sh: Node addon (napi-rs, release)"
cd "$root/bindings-node"
[[ -d node_modules ]] || npm ci --no-audit --no-fund
npm run build
node "$root/scripts/dist-npm.js" "$root/bindings-node" "$dist"
ls -l "$dist"
