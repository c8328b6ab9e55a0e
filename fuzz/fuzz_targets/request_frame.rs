//! Fuzz target `request_frame`: see [`rustlog_fuzz::broker_checks::request_frame`] for what it decodes and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rustlog_fuzz::broker_checks::request_frame(data));
