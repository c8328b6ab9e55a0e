#!/usr/bin/env bash
# Builds the `rustlog` Python package into a virtualenv the way a user installs it
# (`pip install ./bindings-python`, a release build through maturin), then runs the pytest suite
# and `mypy --strict` on the examples against the shipped stubs.
#
# Usage: bindings-python/scripts/test.sh [pytest args...]
# Env:   RUSTLOG_PY_VENV  virtualenv directory (default: bindings-python/.venv)
#        PYTHON           interpreter that creates the venv (default: python3.11, else python3)
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"   # bindings-python/
root="$(cd "$here/.." && pwd)"             # repository root
venv="${RUSTLOG_PY_VENV:-$here/.venv}"
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"

# Test-only tools, pinned to ranges known to work with Python 3.9+. kafka-python and its codec
# libraries (snappy: python-snappy, lz4: lz4, zstd: zstandard; gzip is built in) are the
# independent RecordBatch v2 implementation tests/test_kafka_python_batches.py checks against.
# The Kafka clients nobody here wrote, for tests/test_kafka_*.py against the Kafka listener:
# confluent-kafka (its wheels bundle librdkafka with every codec), kafka-python (above) and
# aiokafka (gzip built in; snappy, lz4 and zstd through cramjam).
test_requirements=("pytest>=7,<10" "pytest-timeout>=2.1,<3" "mypy>=1.8,<2"
                   "kafka-python>=2.0.2,<3" "python-snappy>=0.6,<1" "lz4>=4,<5"
                   "zstandard>=0.21,<1"
                   "confluent-kafka>=2.3,<3" "aiokafka>=0.11,<0.15" "cramjam>=2.8,<3")

if [[ ! -x "$venv/bin/python" ]]; then
    echo "test.sh: creating virtualenv $venv with $python"
    if ! "$python" -m venv "$venv"; then
        # Debian's python without the python3-venv package has no ensurepip: make the venv
        # without pip and let the interpreter's own pip (>= 22.3) install pip into it.
        rm -rf "$venv"
        "$python" -m venv --without-pip "$venv"
        "$python" -m pip --python "$venv/bin/python" install --quiet pip
    fi
fi
py="$venv/bin/python"
"$py" -m pip install --quiet --upgrade pip
"$py" -m pip install --quiet "${test_requirements[@]}"

echo "test.sh: pip install ./bindings-python (release build)"
cd "$root"
# --force-reinstall: the version number does not change between builds, the code does.
"$py" -m pip install --quiet --force-reinstall --no-deps ./bindings-python

# The real-process and Kafka tests run the broker binary; build it if no build of it exists yet
# (`make test` has built it already in test-rust). RUSTLOG_PY_NO_BROKER_BUILD=1 skips this.
export RUSTLOG_WORKSPACE_ROOT="$root"
# The Kafka benchmark's smoke test also runs the `rustlog` CLI from the same directory.
if [[ "${RUSTLOG_PY_NO_BROKER_BUILD:-}" != 1 && -z "${RUSTLOG_BROKER_BIN:-}" ]] \
   && ! { [[ -x "$root/target/debug/rustlog-broker" && -x "$root/target/debug/rustlog" ]] \
          || [[ -x "$root/target/release/rustlog-broker" && -x "$root/target/release/rustlog" ]]; }; then
    echo "test.sh: cargo build -p rustlog-broker -p rustlog (for the real-process tests)"
    cargo build --locked -p rustlog-broker --bin rustlog-broker -p rustlog --bin rustlog
fi

echo "test.sh: pytest"
# Run from a neutral directory so `import rustlog` resolves to the installed package, never to
# the source tree (which has no native module).
(cd "$here/tests" && "$py" -m pytest -q -p no:cacheprovider "$@" .)

echo "test.sh: mypy --strict examples and benchmarks"
(cd "$here" && "$venv/bin/mypy" --strict --no-incremental examples/*.py bench/bench.py \
    ../bench-compare/kafka_vs_native.py)
echo "test.sh: all Python checks passed"
