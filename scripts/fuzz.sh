#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ (cargo-fuzz, libFuzzer) for FUZZ_SECONDS each, one after the
# other, and fails when any crashed. Each crash input is left in fuzz/artifacts/<target>/: add it
# to fuzz/regressions/<target>/ with the fix, where the stable `cargo test` replays it.
#
#   make fuzz      FUZZ_SECONDS per target, default 600 (a long run)
#   make fuzz-ci   CI=true: 20 s per target (the bounded run)
#
# Settings (environment): FUZZ_SECONDS, FUZZ_TARGETS (space separated, default all),
# FUZZ_SANITIZER (default none: the code under test is safe Rust, so panics, overflow and
# memory blow-ups are what is hunted, at twice the speed of ASan; `address` for unsafe code),
# FUZZ_RSS_LIMIT_MB (default 2048: a decompression bomb that ignores the named bound dies here).
#
# libFuzzer needs nightly compiler flags: the nightly toolchain is used when rustup has one,
# otherwise the stable compiler with RUSTC_BOOTSTRAP=1 (it accepts the same flags).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if [ "${CI:-}" = true ]; then
    seconds=${FUZZ_SECONDS:-20}
else
    seconds=${FUZZ_SECONDS:-600}
fi
sanitizer=${FUZZ_SANITIZER:-none}
rss_limit_mb=${FUZZ_RSS_LIMIT_MB:-2048}

if ! command -v cargo-fuzz >/dev/null; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi

targets=${FUZZ_TARGETS:-$(cd fuzz && "${fuzz[@]}" list)}

# Seeds: the golden vectors of the bytes each target reads, copied into a working corpus under
# fuzz/target/ (libFuzzer adds what it finds there); fuzz/corpus/<target>/ holds committed seeds.
work=$root/fuzz/target/corpus
seed() {
    local target=$1
    shift
    mkdir -p "$work/$target"
    for file in "$@"; do
        cp "$file" "$work/$target/"
    done
}
vectors=$root/protocol-spec/vectors
seed request_frame "$vectors"/request_*.bin
seed response_frame "$vectors"/response_*.bin
seed record_batch "$vectors"/batch_*.bin
seed segment_recovery "$vectors"/batch_*.bin
# A segment of many batches (offsets as they come: recovery decides what is kept).
cat "$vectors"/batch_*.bin >"$work/segment_recovery/all_batches"
seed decompress
seed kafka_request

# Segment recovery writes a partition per input: keep those writes in memory when possible.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm
fi

echo "fuzz: building (${fuzz[*]}, sanitizer $sanitizer)"
(cd fuzz && "${fuzz[@]}" build -s "$sanitizer")

summary=()
failed=()
for target in $targets; do
    corpora=("$work/$target")
    [ -d "fuzz/corpus/$target" ] && corpora+=("$root/fuzz/corpus/$target")
    log=$root/fuzz/target/$target.log
    echo "fuzz: $target for ${seconds}s"
    status=0
    (cd fuzz && "${fuzz[@]}" run -s "$sanitizer" "$target" "${corpora[@]}" -- \
        -max_total_time="$seconds" -rss_limit_mb="$rss_limit_mb" -timeout=10 \
        -print_final_stats=1) >"$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    if [ "$status" = 0 ]; then
        summary+=("$target: ${runs:-?} executions in ${seconds}s")
    else
        grep -m1 -E 'panicked at|memory allocation of|ERROR: libFuzzer' -A2 "$log" || tail -n 40 "$log"
        summary+=("$target: FAILED after ${runs:-?} executions (exit $status); log $log, input in fuzz/artifacts/$target/")
        failed+=("$target")
    fi
done
printf 'fuzz: %s\n' "${summary[@]}"
if [ "${#failed[@]}" != 0 ]; then
    echo "fuzz: crashes in ${failed[*]}" >&2
    exit 1
fi
