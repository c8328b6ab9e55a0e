//! Scenario: every input a fuzz target ever crashed on, replayed through the same checks on
//! stable `cargo test`. The checks live in `fuzz/src/protocol_checks.rs` (one function per
//! target); the inputs in `fuzz/regressions/<target>/`. The golden vectors of
//! `protocol-spec/vectors/` (the fuzzers' seeds) are replayed too, so the checks themselves are
//! known to pass on good input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../fuzz/src/protocol_checks.rs"]
mod checks;

#[path = "../../fuzz/src/replay.rs"]
mod replay;

use replay::{replay, vectors};

#[test]
fn response_frame_inputs_decode_without_panics_and_round_trip() {
    assert!(
        replay(
            "response_frame",
            vectors("response_"),
            checks::response_frame
        ) > 0
    );
}

#[test]
fn record_batch_inputs_parse_validate_and_iterate_consistently() {
    assert!(replay("record_batch", vectors("batch_"), checks::record_batch) > 0);
}

#[test]
fn decompress_inputs_stay_within_the_decompressed_bound() {
    assert!(replay("decompress", Vec::new(), checks::decompress) > 0);
}
