#!/usr/bin/env bash
# Runs one firmware ELF under QEMU on a board, with a timeout; exits with the program's
# status (124 on timeout). Usage: qemu.sh BOARD ELF [extra qemu args]
# -icount shift=0: one instruction = 1 ns of virtual time, so SysTick (Cortex-M) and
# mcycle/minstret (RISC-V) count instructions deterministically.
set -u
board=$1
elf=$2
shift 2
limit=${QEMU_TIMEOUT:-60}
common=(-nographic -monitor none -serial none -semihosting-config enable=on,target=native -icount shift=0)
case $board in
mps2-an386) exec timeout "$limit" qemu-system-arm -machine mps2-an386 -cpu cortex-m4 "${common[@]}" -kernel "$elf" "$@" ;;
microbit) exec timeout "$limit" qemu-system-arm -machine microbit "${common[@]}" -kernel "$elf" "$@" ;;
riscv-virt) exec timeout "$limit" qemu-system-riscv32 -machine virt -bios none "${common[@]}" -kernel "$elf" "$@" ;;
*)
    echo "qemu.sh: unknown board $board" >&2
    exit 2
    ;;
esac
