//! The replay helpers of the stable fuzz regression tests (`protocol/tests/fuzz_regressions.rs`,
//! `broker/tests/fuzz_regressions.rs`), compiled into both through `#[path]`: saved crash inputs,
//! committed seeds and golden vectors, run through a target's check. Not part of the fuzz crate.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};

/// The repository root (both test crates sit one level below it).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Files in `dir` (none when it does not exist), sorted, skipping the README.
pub fn inputs(dir: &Path) -> Vec<PathBuf> {
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
pub fn vectors(prefix: &str) -> Vec<PathBuf> {
    inputs(&repo().join("protocol-spec/vectors"))
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect()
}

/// Runs `check` over every saved crash input of `target`, its committed seeds and `seeds`;
/// returns how many inputs ran.
pub fn replay(target: &str, seeds: Vec<PathBuf>, check: fn(&[u8])) -> usize {
    let mut files = inputs(&repo().join("fuzz/regressions").join(target));
    files.extend(inputs(&repo().join("fuzz/corpus").join(target)));
    files.extend(seeds);
    for file in &files {
        eprintln!("{target}: {}", file.display());
        check(&std::fs::read(file).unwrap());
    }
    files.len()
}
