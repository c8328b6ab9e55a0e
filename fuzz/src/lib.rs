//! What each fuzz target runs, one function per target. The same files are compiled into the
//! stable regression tests (`protocol/tests/fuzz_regressions.rs`, `broker/tests/fuzz_regressions.rs`)
//! through `#[path]`, so every saved crash input replays the exact checks that found it.

pub mod broker_checks;
pub mod protocol_checks;
