# One entry point for building and testing everything. `make test` is the README's test command
# and what .ci/run calls.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: test test-rust lint

test: lint test-rust

# Warnings are errors: clippy checks every target (tests and benches included) with -D warnings,
# so the test build below need not rebuild everything under different RUSTFLAGS.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test-rust:
	$(CARGO) test --workspace --locked
