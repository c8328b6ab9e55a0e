//! Fuzz target `decompress`: see [`rustlog_fuzz::protocol_checks::decompress`] for what it decodes and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rustlog_fuzz::protocol_checks::decompress(data));
