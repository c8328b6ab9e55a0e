# One entry point for building and testing everything. `make test` is the README's test command
# and what .ci/run calls.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: test test-rust test-node lint

test: lint test-rust test-node

lint:
	$(CARGO) fmt --all -- --check
	RUSTFLAGS="-D warnings" $(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test-rust:
	RUSTFLAGS="-D warnings" $(CARGO) test --workspace --locked

# The Node package: npm ci, release build of the addon, tsc --noEmit, node --test.
test-node:
	bindings-node/scripts/test.sh
