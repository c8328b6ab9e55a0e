//! Fuzz target `kafka_request`: see [`rustlog_fuzz::broker_checks::kafka_request`] for what it decodes and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rustlog_fuzz::broker_checks::kafka_request(data));
