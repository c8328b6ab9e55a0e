# One entry point for building and testing everything. `make test` is the README's test command
# and what .ci/run calls.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: test test-rust lint

test: lint test-rust

lint:
	$(CARGO) fmt --all -- --check
	RUSTFLAGS="-D warnings" $(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test-rust:
	RUSTFLAGS="-D warnings" $(CARGO) test --workspace --locked
