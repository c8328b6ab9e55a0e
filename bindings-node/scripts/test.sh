#!/usr/bin/env bash
# Builds and tests the Node package from a fresh clone: install the locked dev dependencies,
# build the release addon, type-check the TypeScript example against the declarations, then run
# the node --test suite (each test starts its own embedded broker in a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
npm run build
npm run typecheck
npm test
