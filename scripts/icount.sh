#!/usr/bin/env bash
# Instruction counts (callgrind), repeatable run to run, unlike wall time. Prints counts
# per iteration and ratios to the hand-written code, all measured in this one run.
#   scripts/icount.sh          the window classifier's gradient: forward, tape, replay,
#                              compiled, hand-written (core/benches/icount.rs)
#   scripts/icount.sh iris     the firmware's 4-8-3 training step on the host: tape,
#                              replay, compiled (core/benches/iris.rs)
#   scripts/icount.sh step     a whole training step of the 64-32-10 MLP with Adam, at
#                              batch 1 and 32, λ = 1e-4 and 0, and Adam alone
#                              (core/benches/step.rs)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
mode=${1:-window}
bench=icount
[ "$mode" = step ] && bench=step
[ "$mode" = iris ] && bench=iris
cargo bench -p stackgrad --bench "$bench" --no-run >/dev/null 2>&1
bin=$(ls -t target/release/deps/"$bench"-* | grep -v '\.d$' | head -n1)
count() { # ARGS... -> total instructions
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$@" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
# Rounded to two decimals (bc alone would truncate).
ratio() { printf "%.2f" "$(echo "scale=6; $1 / $2" | bc -l)"; }

if [ "$mode" = iris ]; then
    iters=1000
    printf '%-9s %9s %10s\n' variant step ÷compiled
    c=$(( ($(count compiled "$iters") - $(count compiled 0)) / iters ))
    for v in tape replay compiled; do
        n=$(( ($(count "$v" "$iters") - $(count "$v" 0)) / iters ))
        printf '%-9s %9d %10s\n' "$v" "$n" "$(ratio "$n" "$c")"
    done
    exit 0
fi

if [ "$mode" = step ]; then
    "$bin" agree
    iters=50
    printf '%-6s %-7s %9s %9s %9s %9s %9s %10s %10s %10s %15s\n' batch lambda hand hand_libm tape \
        replay compiled tape/hand repl/hand comp/hand comp/hand_libm
    for b in 1 32; do
        base=$(count none "$b" "$iters")
        for l in "" _l0; do
            h=$(( ($(count "hand$l" "$b" "$iters") - base) / iters ))
            hl=$(( ($(count "hand_libm$l" "$b" "$iters") - base) / iters ))
            t=$(( ($(count "tape$l" "$b" "$iters") - base) / iters ))
            # The replay's first step records: subtract a run of that one step.
            r=$(( ($(count "replay$l" "$b" $((iters + 1))) - $(count "replay$l" "$b" 1)) / iters ))
            c=$(( ($(count "compiled$l" "$b" "$iters") - base) / iters ))
            lambda=1e-4
            [ -n "$l" ] && lambda=0
            printf '%-6s %-7s %9d %9d %9d %9d %9d %10s %10s %10s %15s\n' "$b" "$lambda" "$h" "$hl" "$t" \
                "$r" "$c" "$(ratio "$t" "$h")" "$(ratio "$r" "$h")" "$(ratio "$c" "$h")" "$(ratio "$c" "$hl")"
        done
    done
    base=$(count none 1 "$iters")
    for v in adam_slice adam_model; do
        printf '%-12s %9d instructions per step over 2,410 scalars\n' "$v" \
            $(( ($(count "$v" 1 "$iters") - base) / iters ))
    done
    exit 0
fi

iters=200
printf '%-8s %9s %9s %10s %9s %9s %9s %9s %9s %10s %10s %10s %14s\n' size forward tape tape_layer \
    replay compiled hand hand_dot tape/hand layer/hand repl/hand comp/hand comp/hand_dot
for size in small large; do
    base=$(count "$size" none "$iters")
    f=$(( ($(count "$size" forward "$iters") - base) / iters ))
    t=$(( ($(count "$size" tape "$iters") - base) / iters ))
    tl=$(( ($(count "$size" tape_layer "$iters") - base) / iters ))
    # Replay records once first: subtract a run of no replays.
    r=$(( ($(count "$size" replay "$iters") - $(count "$size" replay 0)) / iters ))
    c=$(( ($(count "$size" compiled "$iters") - base) / iters ))
    h=$(( ($(count "$size" hand "$iters") - base) / iters ))
    d=$(( ($(count "$size" hand_dot "$iters") - base) / iters ))
    printf '%-8s %9d %9d %10d %9d %9d %9d %9d %9s %10s %10s %10s %14s\n' "$size" "$f" "$t" "$tl" "$r" "$c" \
        "$h" "$d" "$(ratio "$t" "$h")" "$(ratio "$tl" "$h")" "$(ratio "$r" "$h")" "$(ratio "$c" "$h")" \
        "$(ratio "$c" "$d")"
done
