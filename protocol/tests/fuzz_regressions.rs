//! Scenario: every input a fuzz target ever crashed on, replayed through the same checks on
//! stable `cargo test`. The checks live in `fuzz/src/protocol_checks.rs` (one function per
//! target); the inputs in `fuzz/regressions/<target>/`. The golden vectors of
//! `protocol-spec/vectors/` (the fuzzers' seeds) are replayed too, so the checks themselves are
//! known to pass on good input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../fuzz/src/protocol_checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Files in `dir` (none when it does not exist), sorted, skipping the README.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

/// The golden vectors whose file name starts with `prefix`.
fn vectors(prefix: &str) -> Vec<PathBuf> {
    inputs(&repo().join("protocol-spec/vectors"))
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect()
}

/// Runs `check` over every saved crash input of `target`, its committed seeds and `seeds`;
/// returns how many inputs ran.
fn replay(target: &str, seeds: Vec<PathBuf>, check: fn(&[u8])) -> usize {
    let mut files = inputs(&repo().join("fuzz/regressions").join(target));
    files.extend(inputs(&repo().join("fuzz/corpus").join(target)));
    files.extend(seeds);
    for file in &files {
        eprintln!("{target}: {}", file.display());
        check(&std::fs::read(file).unwrap());
    }
    files.len()
}

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
