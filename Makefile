# One entry point for building and testing everything. `make test` is the README's test command
# and what .ci/run calls.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: test test-rust test-python test-node lint test-deps bench-kafka soak fuzz fuzz-ci dist test-dist

# fuzz-ci last: the bounded fuzz run (20 s per target) after every scenario passed. test-dist
# after the bindings' suites, whose release builds it reuses.
test: lint test-rust test-python test-node test-dist fuzz-ci

# Warnings are errors: clippy checks every target (tests and benches included) with -D warnings,
# so the test build below need not rebuild everything under different RUSTFLAGS.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test-rust: test-deps
	$(CARGO) test --workspace --locked

# Clients nobody here wrote, for the kafka_* scenarios: kcat (Debian package; the tests also
# install it themselves when run alone). Graphviz's dot, for docs_diagrams (it re-renders
# docs/diagrams/*.dot and compares; it installs nothing itself). Idempotent: installs only what
# is missing.
test-deps:
	@missing=""; \
	command -v kcat >/dev/null || missing="$$missing kcat"; \
	command -v dot >/dev/null || missing="$$missing graphviz"; \
	[ -z "$$missing" ] || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; }

# Builds the Python package into bindings-python/.venv the way a user would (pip), then runs
# pytest and mypy --strict on the examples.
test-python:
	bindings-python/scripts/test.sh

# The Node package: npm ci, release build of the addon, tsc --noEmit, node --test.
test-node:
	bindings-node/scripts/test.sh

# The packages a user installs without a Rust toolchain, for this platform, into dist/: the abi3
# wheel and the sdist (maturin), and the npm package with its prebuilt addon in napi-rs's
# per-platform layout (scripts/dist.sh). test-dist installs each into a fresh venv / npm project
# with no cargo on PATH and runs a produce and a consume (scripts/dist-test.sh).
dist:
	scripts/dist.sh

test-dist: dist
	scripts/dist-test.sh

# Kafka listener vs native protocol on one release broker, same run (bench-compare/README.md,
# "Kafka listener vs native"): confluent-kafka (librdkafka) against `rustlog bench`. Needs
# confluent-kafka in $(BENCH_PYTHON) (test-python's venv has it). BENCH_ARGS="--smoke" for 100k.
BENCH_PYTHON ?= bindings-python/.venv/bin/python
bench-kafka:
	$(CARGO) build --release --locked -p rustlog-broker -p rustlog
	$(BENCH_PYTHON) bench-compare/kafka_vs_native.py $(BENCH_ARGS)

# The long runs CI keeps short: the kill -9 crash harness (tests/tests/crash_kill9.rs) for 1,000
# cycles (CI: 20) and the storage model on fault-injecting I/O (broker/tests/model.rs) for 2,000
# cases (CI: 24), on a release build. RUSTLOG_CRASH_SEED=N replays a run's kill moments;
# SOAK_CYCLES=N and SOAK_MODEL_CASES=N change the counts.
SOAK_CYCLES ?= 1000
SOAK_MODEL_CASES ?= 2000
soak:
	PROPTEST_CASES=$(SOAK_MODEL_CASES) $(CARGO) test --release --locked -p rustlog-broker --test model
	RUSTLOG_CRASH_CYCLES=$(SOAK_CYCLES) $(CARGO) test --release --locked -p rustlog-tests --test crash_kill9 -- --nocapture

# Coverage-guided fuzzing (fuzz/, cargo-fuzz + libFuzzer; scripts/fuzz.sh). `make fuzz` runs each
# target FUZZ_SECONDS (default 600); `make fuzz-ci` is the bounded run, 20 s each. Both fail on
# a crash and leave its input in fuzz/artifacts/<target>/.
fuzz:
	scripts/fuzz.sh

fuzz-ci:
	CI=true scripts/fuzz.sh
