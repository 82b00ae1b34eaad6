#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer through libfuzzer-sys, nightly) of every parser and
# generator:
#   weights_from_bytes   Weights::from_bytes (what Weights::load parses), round trip, to_rust
#   weights_to_rust      Weights::to_rust on arbitrary names and values
#   formats_load         formats::load_safetensors / load_npz / load_npy into fixed slots
#   checkpoint_restore   stackgrad::checkpoint::restore
# Usage: scripts/fuzz.sh [SECONDS per target, default 20] [TARGET ...]
# The seeds in fuzz/corpus/<target> are read, never written: new inputs go to a
# temporary directory. A crash leaves its input in fuzz/artifacts/<target>/ and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(weights_from_bytes weights_to_rust formats_load checkpoint_restore)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

# What `cargo fuzz build -O` does, without installing cargo-fuzz (minutes on a fresh
# machine): the targets built with nightly and LLVM's coverage instrumentation, which
# libFuzzer (linked by libfuzzer-sys) reads. `cargo fuzz run` works the same on them.
# No AddressSanitizer: every target is safe Rust.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
target=x86_64-unknown-linux-gnu
cargo +nightly build --manifest-path fuzz/Cargo.toml --release --bins --target "$target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
    mkdir -p "$work/$t" "fuzz/artifacts/$t"
    # -rss_limit_mb: a parser that over-allocates fails here too. A fixed seed (FUZZ_SEED,
    # default 1) makes runs alike, not identical (a time budget ends them); -timeout stops
    # one slow input from holding the run past its budget (it fails, with the input saved
    # in fuzz/artifacts/<target>/).
    "fuzz/target/$target/release/$t" "$work/$t" "fuzz/corpus/$t" \
        -seed="${FUZZ_SEED:-1}" -timeout=30 -max_total_time="$secs" -rss_limit_mb=1024 \
        -artifact_prefix="fuzz/artifacts/$t/" \
        -print_final_stats=1 2>"$work/$t.log" || {
        tail -40 "$work/$t.log"
        echo "fuzz: $t FAILED"
        exit 1
    }
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t.log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz: $t ok, $runs executions in ${secs}s"
done
