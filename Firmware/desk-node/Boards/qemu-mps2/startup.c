// Start-up for the emulated board (QEMU's mps2-an385, a Cortex-M3 running this armv6m
// image): the vector table, .data/.bss set-up, a 1 ms SysTick, semihosting exit. What the
// RP2040's startup does with its own clocks, in the smallest form QEMU needs.
#include <stdint.h>
#include "../../Support/mmio.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[], __stack_top[];
extern void swift_main(void);

static volatile uint32_t ticks;

void SysTick_Handler(void) { ticks++; }
uint32_t board_millis(void) { return ticks; }
void board_delay_ms(uint32_t ms) {
    uint32_t start = ticks;
    while (ticks - start < ms) {}
}

// Semihosting SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit: QEMU exits with status 0.
void board_halt(void) {
    register uint32_t r0 __asm__("r0") = 0x18;
    register uint32_t r1 __asm__("r1") = 0x20026;
    __asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {}
}

static void fault(void) { board_halt(); }

void Reset_Handler(void) {
    for (uint32_t *s = __data_load, *d = __data_start; d < __data_end;) *d++ = *s++;
    for (uint32_t *d = __bss_start; d < __bss_end;) *d++ = 0;
    // SysTick from the 25 MHz CPU clock: one interrupt per millisecond.
    mmio_write(0xE000E014, 25000 - 1);
    mmio_write(0xE000E018, 0);
    mmio_write(0xE000E010, 0x7);
    swift_main();
    board_halt();
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))__stack_top, Reset_Handler, fault, fault, fault, fault, fault, 0, 0, 0, 0, fault, fault, 0, fault,
    SysTick_Handler,
};
