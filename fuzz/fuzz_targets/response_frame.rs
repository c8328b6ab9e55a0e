//! Fuzz target `response_frame`: see [`rustlog_fuzz::protocol_checks::response_frame`] for what it decodes and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rustlog_fuzz::protocol_checks::response_frame(data));
