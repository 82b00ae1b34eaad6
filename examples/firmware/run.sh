#!/usr/bin/env bash
# Builds every firmware program for every board and math backend, runs each under QEMU
# with a timeout, compares its output with the same program run on the host, and prints
# sizes, peak stack and instruction-count ratios.
#
#   examples/firmware/run.sh            # everything
#   FW_BACKENDS=libm run.sh             # one backend
#   FW_NO_INSTALL=1 run.sh              # never install anything
#
# Exit status: 0 only if every program built, ran to completion on every board with
# status 0, agreed with the host, and the fault check faulted as it must.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)

# board:target pairs
BOARDS=(mps2-an386:thumbv7em-none-eabihf microbit:thumbv6m-none-eabi riscv-virt:riscv32imac-unknown-none-elf)
read -r -a BACKENDS <<<"${FW_BACKENDS:-libm micromath}"
# Every program in src/bin except `fault`, which must fail; `train` is built panic-free.
PROGRAMS=()
for f in src/bin/*.rs; do
    p=$(basename "$f" .rs)
    [ "$p" = fault ] || PROGRAMS+=("$p")
done
export QEMU_TIMEOUT=${QEMU_TIMEOUT:-60}
export CARGO_TARGET_DIR="$here/target"
out="$CARGO_TARGET_DIR/fw"
rm -rf "$out"
mkdir -p "$out"

log() { printf '== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- install what we need
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "run.sh: need root to run: $*" >&2
        return 1
    fi
}

install_qemu() {
    local pkgs=(qemu-system-arm qemu-system-misc)
    log "installing ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    if as_root apt-get install -y -qq --no-install-recommends "${pkgs[@]}"; then return 0; fi
    # On Debian 12 images whose qemu-utils comes from bookworm-backports, the plain
    # install conflicts with it: take QEMU from backports too.
    log "plain install failed; trying bookworm-backports"
    if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
        printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' \
            'Suites: bookworm-backports' 'Components: main' \
            'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
            as_root tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
        as_root apt-get update -qq
    fi
    as_root apt-get install -y -qq --no-install-recommends -t bookworm-backports "${pkgs[@]}"
}

if [ -z "${FW_NO_INSTALL:-}" ]; then
    installed=$(rustup target list --installed 2>/dev/null || true)
    for bt in "${BOARDS[@]}"; do
        t=${bt#*:}
        grep -qx "$t" <<<"$installed" || rustup target add "$t"
    done
    if ! command -v qemu-system-arm >/dev/null || ! command -v qemu-system-riscv32 >/dev/null; then
        install_qemu
    fi
fi

# ---------------------------------------------------------------- lint and host tests
start=$(date +%s)
log "cargo fmt --check, clippy (host, thumbv6m), host tests"
cargo fmt --check
cargo clippy -q --release --all-targets -- -D warnings
cargo clippy -q --release --target thumbv6m-none-eabi -- -D warnings
for be in "${BACKENDS[@]}"; do
    if ! cargo test -q --release --no-default-features --features "$be" >"$out/test-$be.log" 2>&1; then
        cat "$out/test-$be.log"
        echo "run.sh: host tests failed ($be)" >&2
        exit 1
    fi
    grep -E '^test result: ok. [1-9]' "$out/test-$be.log" | sed "s/^/($be) /" >&2
done

# ---------------------------------------------------------------- build
panic_free=()
for be in "${BACKENDS[@]}"; do
    feats=(--no-default-features --features "$be")
    log "build host ($be)"
    cargo build -q --release "${feats[@]}" --bins
    mkdir -p "$out/$be/host"
    for p in "${PROGRAMS[@]}" fault; do cp "target/release/$p" "$out/$be/host/"; done
    for bt in "${BOARDS[@]}"; do
        b=${bt%%:*} t=${bt#*:}
        log "build $b $t ($be)"
        cargo build -q --release --target "$t" "${feats[@]}" --bins
        mkdir -p "$out/$be/$b"
        for p in "${PROGRAMS[@]}" fault; do cp "target/$t/release/$p" "$out/$be/$b/"; done
        # The panic-free build of train: a reachable panic is an undefined symbol at link
        # time. If it links, that is the train that runs.
        if cargo build -q --release --target "$t" --no-default-features \
            --features "$be,panic-never" --bin train 2>"$out/$be/$b/train.panic-never.log"; then
            cp "target/$t/release/train" "$out/$be/$b/train"
            panic_free+=("$b/$be: yes")
        else
            panic_free+=("$b/$be: NO")
            ./panic-sites.sh "$out/$be/$b/train" >"$out/$be/$b/train.panic-sites.txt" 2>&1 || true
        fi
    done
done
log "built in $(($(date +%s) - start)) s"

# ---------------------------------------------------------------- run and compare
# Numbers must agree with the host to a relative 1e-5 (absolute 1e-6 near zero); in
# practice they print identically, since Rust formats floats the same everywhere and
# every target does IEEE single precision (hardware or soft-float) without contraction.
compare() { # host.txt board.txt -> prints the first disagreement, status 1 if any
    awk -v rel=1e-5 -v abs=1e-6 '
        function num(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
        function absv(x) { return x < 0 ? -x : x }
        NR == FNR { if ($0 !~ /^#/) h[++nh] = $0; next }
        $0 !~ /^#/ { d[++nd] = $0 }
        END {
            if (nh != nd) { printf "line count: host %d, board %d\n", nh, nd; exit 1 }
            for (i = 1; i <= nh; i++) {
                n1 = split(h[i], a, " "); n2 = split(d[i], b, " ")
                if (n1 != n2) { printf "line %d: host \"%s\" board \"%s\"\n", i, h[i], d[i]; exit 1 }
                for (k = 1; k <= n1; k++) {
                    if (a[k] == b[k]) continue
                    if (num(a[k]) && num(b[k])) {
                        x = a[k] + 0; y = b[k] + 0; e = absv(x - y)
                        m = absv(x) > absv(y) ? absv(x) : absv(y)
                        if (e <= abs || e <= rel * m) continue
                    }
                    printf "line %d field %d: host %s board %s\n", i, k, a[k], b[k]; exit 1
                }
            }
        }' "$1" "$2"
}

failures=0 compared=0 identical=0
for be in "${BACKENDS[@]}"; do
    for p in "${PROGRAMS[@]}"; do
        "$out/$be/host/$p" >"$out/$be/host/$p.txt" || {
            echo "FAIL host $p ($be)"
            failures=$((failures + 1))
        }
    done
    for bt in "${BOARDS[@]}"; do
        b=${bt%%:*}
        for p in "${PROGRAMS[@]}"; do
            status=0
            ./qemu.sh "$b" "$out/$be/$b/$p" >"$out/$be/$b/$p.txt" 2>&1 || status=$?
            if [ "$status" != 0 ]; then
                echo "FAIL $p on $b ($be): status $status$([ "$status" = 124 ] && echo ' (timeout)')"
                tail -3 "$out/$be/$b/$p.txt"
                failures=$((failures + 1))
            elif ! why=$(compare "$out/$be/host/$p.txt" "$out/$be/$b/$p.txt"); then
                echo "FAIL $p on $b ($be) disagrees with the host: $why"
                failures=$((failures + 1))
            else
                compared=$((compared + 1))
                if cmp -s <(grep -v '^#' "$out/$be/$b/$p.txt") "$out/$be/host/$p.txt"; then
                    identical=$((identical + 1))
                fi
            fi
        done
        # A fault must end the run at once with status 1 and a report.
        status=0
        QEMU_TIMEOUT=10 ./qemu.sh "$b" "$out/$be/$b/fault" >"$out/$be/$b/fault.txt" 2>&1 || status=$?
        if [ "$status" != 1 ] || ! grep -Eq '^(HardFault|exception)' "$out/$be/$b/fault.txt"; then
            echo "FAIL fault on $b ($be): want status 1 and a fault report, got $status"
            failures=$((failures + 1))
        fi
    done
done

# ---------------------------------------------------------------- table
metric() { # file name -> value of "# name value", empty if absent
    awk -v n="$2" '$1 == "#" && $2 == n { print $3; exit }' "$1" 2>/dev/null
}
section() { # elf name -> size in bytes (0 if absent)
    local hex
    hex=$(readelf -SW "$1" | awk -v s="$2" '{ for (i = 1; i < NF; i++) if ($i == s) { print $(i + 4); exit } }')
    echo $((16#${hex:-0}))
}
ratio() { # a b -> a/b with 2 decimals, or "-"
    if [ -n "$1" ] && [ -n "$2" ] && [ "$2" != 0 ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else echo -; fi
}

echo
echo "Sizes (bytes). stack: peak, measured by painting, from the top of RAM. RAM = .data + .bss + stack."
printf '%-12s %-11s %-10s %8s %8s %6s %6s %7s %7s\n' program board backend .text .rodata .data .bss stack RAM
for p in "${PROGRAMS[@]}"; do
    for bt in "${BOARDS[@]}"; do
        b=${bt%%:*}
        for be in "${BACKENDS[@]}"; do
            elf="$out/$be/$b/$p"
            data=$(section "$elf" .data) bss=$(section "$elf" .bss) stack=$(metric "$elf.txt" stack)
            printf '%-12s %-11s %-10s %8s %8s %6s %6s %7s %7s\n' "$p" "$b" "$be" \
                "$(section "$elf" .text)" "$(section "$elf" .rodata)" "$data" "$bss" "${stack:--}" \
                "$((data + bss + ${stack:-0}))"
        done
    done
done

echo
echo "Instructions (QEMU -icount shift=0; SysTick on Cortex-M, minstret on RISC-V)."
printf '%-11s %-10s %12s %12s %12s %12s %9s %9s %9s\n' board backend hand_fwd hand_step sg_fwd sg_step \
    'hand s/f' 'sg s/f' 'sg/hand'
for bt in "${BOARDS[@]}"; do
    b=${bt%%:*}
    for be in "${BACKENDS[@]}"; do
        f="$out/$be/$b/gradients.txt"
        [ -f "$f" ] || f="$out/$be/$b/handwritten.txt"
        hf=$(metric "$f" hand_forward) hs=$(metric "$f" hand_step)
        sf=$(metric "$f" sg_forward) ss=$(metric "$f" sg_step)
        printf '%-11s %-10s %12s %12s %12s %12s %9s %9s %9s\n' "$b" "$be" "${hf:--}" "${hs:--}" "${sf:--}" \
            "${ss:--}" "$(ratio "$hs" "$hf")" "$(ratio "$ss" "$sf")" "$(ratio "$ss" "$hs")"
    done
done

if [ "${#BACKENDS[@]}" -ge 2 ]; then
    echo
    echo "micromath / libm, instructions of the same measurement:"
    for bt in "${BOARDS[@]}"; do
        b=${bt%%:*}
        line="$b:"
        for p in "${PROGRAMS[@]}"; do
            for n in $(awk '$1 == "#" && $2 ~ /(_forward|_step)$/ { print $2 }' "$out/libm/$b/$p.txt" 2>/dev/null); do
                line+=" $n $(ratio "$(metric "$out/micromath/$b/$p.txt" "$n")" "$(metric "$out/libm/$b/$p.txt" "$n")")"
            done
        done
        echo "  $line"
    done
fi

echo
echo "Outputs agreeing with the host: $compared; byte-identical: $identical (the rest within 1e-5)."

echo
echo "Goals (libm):"
goal() { # text ok
    printf '  %-58s %s\n' "$1" "$2"
}
for bt in "${BOARDS[@]}"; do
    b=${bt%%:*} f="$out/libm/$b/gradients.txt"
    [ -f "$f" ] || continue
    r1=$(ratio "$(metric "$f" sg_step)" "$(metric "$f" sg_forward)")
    r2=$(ratio "$(metric "$f" sg_step)" "$(metric "$f" hand_step)")
    goal "$b: stackgrad gradient step / forward = $r1 (<= 3)" "$(awk -v r="$r1" 'BEGIN { print (r != "-" && r <= 3) ? "met" : "NOT met" }')"
    goal "$b: stackgrad step / hand-written step = $r2 (<= 1.3)" "$(awk -v r="$r2" 'BEGIN { print (r != "-" && r <= 1.3) ? "met" : "NOT met" }')"
done
if [ -f "$out/libm/microbit/train" ]; then
    e="$out/libm/microbit/train"
    ram=$(($(section "$e" .data) + $(section "$e" .bss) + $(metric "$e.txt" stack)))
    goal "train on microbit: RAM $ram bytes (<= 16384), ran to the end" "$([ "$ram" -le 16384 ] && grep -qx ok "$e.txt" && echo met || echo 'NOT met')"
fi
if [ -f "$out/libm/mps2-an386/gradients" ]; then
    t=$(section "$out/libm/mps2-an386/gradients" .text)
    goal "gradients .text on thumbv7em: $t bytes (<= 24576)" "$([ "$t" -le 24576 ] && echo met || echo 'NOT met')"
fi

echo
echo "train links with a panic handler that does not exist (panic-never): ${panic_free[*]}"
if printf '%s\n' "${panic_free[@]}" | grep -q ': NO'; then
    f=$(ls "$out"/*/*/train.panic-sites.txt | head -1)
    echo "  reachable panics (from $f):"
    grep -E '^[^ ]|\.rs:' "$f" | grep -v '/rustc/' | sed 's|^|    |; s|/root/.cargo/registry/src/[^/]*/||; s|'"$(cd ../.. && pwd)"'/||' | head -40
    # A reachable panic in train is a failure (FW_ALLOW_PANICS=1 reports it only).
    if [ -z "${FW_ALLOW_PANICS:-}" ]; then failures=$((failures + 1)); fi
fi
echo
if [ "$failures" = 0 ]; then
    echo "firmware: all programs ran on all boards and agree with the host ($(($(date +%s) - start)) s)"
else
    echo "firmware: $failures failure(s)"
    exit 1
fi
