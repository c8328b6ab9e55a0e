//! Fuzz target `record_batch`: see [`rustlog_fuzz::protocol_checks::record_batch`] for what it decodes and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rustlog_fuzz::protocol_checks::record_batch(data));
