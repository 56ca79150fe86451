// Start-up for the emulated board (QEMU's mps2-an385, a Cortex-M3 running this armv6m
// image): the vector table, .data/.bss set-up, a 1 ms SysTick that also stands in for a
// watchdog (QEMU models none on this board), semihosting exit. What the RP2040's startup
// does with its own clocks, in the smallest form QEMU needs.
#include <stdint.h>
#include "../../Support/mmio.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[], __stack_top[];
extern void swift_main(void);

static volatile uint32_t ticks;

static void system_reset(void);
static volatile uint32_t fed_at;

// The millisecond tick, and the watchdog's count (below).
void SysTick_Handler(void) {
    ticks++;
    if (ticks - fed_at > 2000u) system_reset();
}
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

// The watchdog. In QEMU 7.2 as Debian ships it, the CMSDK watchdog at 0x40008000 programmed
// as the TRM says (load, INTEN|RESEN, unlocked) never raised its NMI nor reset the board in
// our test, so the SysTick interrupt stands in for one: when the main loop
// has not fed it for 2 s, it resets the board (AIRCR SYSRESETREQ), as the RP2040's watchdog
// does. Unlike the real one it misses a hang with interrupts masked; the node never masks them.

static void system_reset(void) {
    __asm__ volatile("dsb" ::: "memory");
    mmio_write(0xE000ED0C, 0x05FA0004u);  // AIRCR: VECTKEY, SYSRESETREQ
    for (;;) {}
}

void board_watchdog_feed(void) { fed_at = ticks; }

// UART3, the console: the fault's line, written without the Swift runtime.
static void console_line(const char *s) {
    for (; *s; s++) {
        while (mmio_read(0x40007004) & 1u) {}
        mmio_write(0x40007000, (uint8_t)*s);
    }
}

// A fault (a Swift trap, a bad access): say so, then reboot at once.
static void fault(void) {
    console_line("fault: rebooting through the watchdog\r\n");
    system_reset();
}

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
