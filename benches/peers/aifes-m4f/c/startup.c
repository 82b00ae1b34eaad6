/* Start-up for the AIfES side on QEMU's mps2-an386 (Cortex-M4F): the vector table, the
   FPU switched on, .data copied and .bss zeroed, newlib's semihosting handles (rdimon),
   then main and exit (semihosting). SysTick's wrap interrupt widens the counter. */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
extern void initialise_monitor_handles(void);

volatile uint32_t systick_wraps;

static void systick(void) { systick_wraps++; }

/* Any fault ends the run with a failure status and no `ok` line. */
static void fault(void) { exit(1); }

void reset_handler(void) {
  /* CPACR: full access to CP10 and CP11, the FPU. */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm volatile("dsb\n\tisb");
  const uint32_t *from = &_sidata;
  for (uint32_t *to = &_sdata; to < &_edata;) *to++ = *from++;
  for (uint32_t *to = &_sbss; to < &_ebss;) *to++ = 0;
  initialise_monitor_handles();
  exit(main());
}

/* Stack top, then reset, NMI, HardFault, MemManage, BusFault, UsageFault, four
   reserved, SVCall, DebugMonitor, reserved, PendSV, SysTick. */
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&_estack, reset_handler, fault, fault, fault, fault, fault, 0, 0, 0, 0,
    fault, fault, 0, fault, systick,
};
