//! Scenario: every input a broker fuzz target ever crashed on, replayed through the same checks
//! on stable `cargo test`. The checks live in `fuzz/src/broker_checks.rs` (one function per
//! target); the inputs in `fuzz/regressions/<target>/`. The fuzzers' seeds (golden vectors and
//! `fuzz/corpus/<target>/`) are replayed too, so the checks are known to pass on good input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../fuzz/src/broker_checks.rs"]
mod checks;

#[path = "../../fuzz/src/replay.rs"]
mod replay;

use replay::{replay, vectors};

#[test]
fn request_frame_inputs_decode_without_panics_and_round_trip() {
    assert!(replay("request_frame", vectors("request_"), checks::request_frame) > 0);
}

#[test]
fn kafka_request_inputs_decode_without_panics() {
    assert!(replay("kafka_request", Vec::new(), checks::kafka_request) > 0);
}

#[test]
fn segment_recovery_inputs_open_or_fail_typed_and_read_back_consistently() {
    assert!(
        replay(
            "segment_recovery",
            vectors("batch_"),
            checks::segment_recovery
        ) > 0
    );
}
