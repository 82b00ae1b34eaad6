#!/usr/bin/env bash
# Lists the functions of a firmware ELF that call a panic entry point, with the source
# lines just before each call (from the debug info), to find what keeps a `panic-never`
# build from linking. Needs llvm-objdump. Usage: panic-sites.sh ELF
# Note: LLVM may merge identical functions, so a callee's name can be that of a twin.
set -euo pipefail
objdump=$(command -v llvm-objdump || ls /usr/bin/llvm-objdump-* 2>/dev/null | head -1)
[ -n "$objdump" ] || { echo "panic-sites.sh: llvm-objdump not found" >&2; exit 2; }
"$objdump" -d -l --demangle --no-show-raw-insn "$1" | awk '
    /^[0-9a-f]+ <.*>:$/ { fn = $0; sub(/^[0-9a-f]+ </, "", fn); sub(/>:$/, "", fn); n = 0; next }
    /^; .*\.rs:[0-9]+/ { src[++n % 3] = $2; next }
    /(bl|jal|call)[ \t].*<(core::panicking|core::slice::index|core::result::unwrap_failed|core::option::unwrap_failed|core::option::expect_failed)/ {
        if (fn ~ /^core::(panicking|slice::index|result|option)/) next
        callee = $0; sub(/.*</, "", callee); sub(/>.*/, "", callee)
        print substr(fn, 1, 110) "\n    -> " callee
        for (k = 1; k <= 3; k++) { i = (n + k) % 3; if (i in src && src[i] != "") print "       " src[i] }
        delete src
    }'
