# One entry point for building and testing everything. `make test` is the README's test command
# and what .ci/run calls.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: test test-rust test-python lint

test: lint test-rust test-python

lint:
	$(CARGO) fmt --all -- --check
	RUSTFLAGS="-D warnings" $(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test-rust:
	RUSTFLAGS="-D warnings" $(CARGO) test --workspace --locked

# Builds the Python package into bindings-python/.venv the way a user would (pip), then runs
# pytest and mypy --strict on the examples.
test-python:
	bindings-python/scripts/test.sh
