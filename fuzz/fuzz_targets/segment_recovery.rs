//! Fuzz target `segment_recovery`: see [`rustlog_fuzz::broker_checks::segment_recovery`] for what it decodes and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rustlog_fuzz::broker_checks::segment_recovery(data));
