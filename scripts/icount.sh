#!/usr/bin/env bash
# Instruction counts (callgrind) of the window classifier: forward, tape, compiled,
# hand-written.
# Counts are repeatable run to run, unlike wall time. Prints per-iteration counts and the
# ratios to the hand-written code, all measured in this one run.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
cargo bench -p stackgrad --bench icount --no-run >/dev/null 2>&1
bin=$(ls -t target/release/deps/icount-* | grep -v '\.d$' | head -n1)
iters=200
count() { # SIZE VARIANT ITERS -> total instructions
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" "$3" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '%-8s %9s %9s %9s %9s %9s %9s %10s %14s\n' size forward tape compiled hand hand_dot tape/hand comp/hand comp/hand_dot
for size in small large; do
    base=$(count "$size" none "$iters")
    f=$(( ($(count "$size" forward "$iters") - base) / iters ))
    t=$(( ($(count "$size" tape "$iters") - base) / iters ))
    c=$(( ($(count "$size" compiled "$iters") - base) / iters ))
    h=$(( ($(count "$size" hand "$iters") - base) / iters ))
    d=$(( ($(count "$size" hand_dot "$iters") - base) / iters ))
    printf '%-8s %9d %9d %9d %9d %9d %9.2f %10.2f %14.2f\n' "$size" "$f" "$t" "$c" "$h" "$d" \
        "$(echo "$t / $h" | bc -l)" "$(echo "$c / $h" | bc -l)" "$(echo "$c / $d" | bc -l)"
done
