#!/usr/bin/env bash
# Renders every Graphviz source docs/diagrams/*.dot to the SVG beside it. Run it after editing a
# .dot and commit both files: tests/tests/docs_diagrams.rs fails when an SVG is missing or is not
# the current render of its source. Needs `dot` (Debian package graphviz; `make test-deps`).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v dot >/dev/null; then
    echo "render.sh: dot not found; run 'make test-deps' (installs graphviz)" >&2
    exit 1
fi
for source in *.dot; do
    dot -Tsvg "$source" -o "${source%.dot}.svg"
    echo "rendered ${source%.dot}.svg"
done
