//! Scenario: every input a broker fuzz target ever crashed on, replayed through the same checks
//! on stable `cargo test`. The checks live in `fuzz/src/broker_checks.rs` (one function per
//! target); the inputs in `fuzz/regressions/<target>/`. The fuzzers' seeds (golden vectors and
//! `fuzz/corpus/<target>/`) are replayed too, so the checks are known to pass on good input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../fuzz/src/broker_checks.rs"]
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
