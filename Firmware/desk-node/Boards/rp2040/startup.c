// Start-up for an RP2040 board (Raspberry Pi Pico or any with a 2 MB QSPI flash): vector
// table, .data/.bss, the watchdog first (every wait below could hang on a bad board), clocks
// from the 12 MHz crystal (clk_sys = clk_ref = clk_peri = 12 MHz, no PLL: plenty for a UART
// node and the lowest power), the 1 µs timer as the millisecond tick. A fault reboots through
// the watchdog. Register addresses and values from the RP2040 datasheet (§4.7 watchdog, §2.13
// PSM); the doubled load is erratum RP2040-E1, as pico-sdk's watchdog_enable does it.
#include <stdint.h>
#include "../../Support/mmio.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[], __stack_top[];
extern void swift_main(void);

#define RESETS 0x4000C000u
#define CLOCKS 0x40008000u
#define XOSC 0x40024000u
#define WATCHDOG 0x40058000u
#define TIMER 0x40054000u
#define PSM 0x40010000u
// 4 s: the counter runs down by 2 per 1 µs tick (RP2040-E1). Until the crystal drives
// clk_ref the tick comes from the ring oscillator (1.8–12 MHz), so up to ~27 s at boot.
#define WATCHDOG_LOAD (4000000u * 2u)
#define CLR 0x3000u  // atomic bit-clear alias

static uint64_t now_us(void) {
    uint32_t high, low;
    do {
        high = mmio_read(TIMER + 0x24);  // TIMERAWH
        low = mmio_read(TIMER + 0x28);   // TIMERAWL
    } while (high != mmio_read(TIMER + 0x24));
    return ((uint64_t)high << 32) | low;
}

uint32_t board_millis(void) { return (uint32_t)(now_us() / 1000u); }
void board_delay_ms(uint32_t ms) {
    uint64_t end = now_us() + (uint64_t)ms * 1000u;
    while (now_us() < end) {}
}
void board_halt(void) {
    for (;;) __asm__ volatile("wfi");
}

static void clocks_init(void) {
    mmio_write(XOSC + 0x0C, 47);                      // STARTUP: ~1 ms at 12 MHz
    mmio_write(XOSC + 0x00, 0xAA0 | (0xFAB << 12));   // 1-15 MHz range, enable
    while (!(mmio_read(XOSC + 0x04) & 0x80000000u)) {}  // STABLE
    mmio_write(CLOCKS + 0x30, 2);                     // CLK_REF_CTRL: xosc
    while (mmio_read(CLOCKS + 0x38) != 1u << 2) {}
    mmio_write(CLOCKS + 0x3C, 0);                     // CLK_SYS_CTRL: clk_ref
    while (mmio_read(CLOCKS + 0x44) != 1u) {}
    mmio_write(CLOCKS + 0x48, 1u << 11);              // CLK_PERI_CTRL: enable, from clk_sys
    mmio_write(WATCHDOG + 0x2C, (1u << 9) | 12);      // TICK: 1 µs from 12 MHz for the timer
}

static void unreset(uint32_t bits) {
    mmio_write(RESETS + CLR + 0x0, bits);
    while ((mmio_read(RESETS + 0x8) & bits) != bits) {}
}

// Armed before anything can wait: the tick generator divides clk_ref by 12, the watchdog
// resets everything but the oscillators (PSM WDSEL, as pico-sdk does), and it pauses while a
// debugger holds the cores.
static void watchdog_start(void) {
    mmio_write(WATCHDOG + CLR + 0x00, 1u << 30);      // CTRL: ENABLE off while setting up
    mmio_write(WATCHDOG + 0x2C, (1u << 9) | 12);      // TICK: enabled, 12 cycles
    mmio_write(PSM + 0x08, 0x1FFFFu & ~0x3u);          // WDSEL: all but ROSC (bit 0), XOSC (bit 1)
    mmio_write(WATCHDOG + 0x1C, 0);                   // SCRATCH4: no stale bootrom "jump to" after a reboot
    mmio_write(WATCHDOG + 0x04, WATCHDOG_LOAD);       // LOAD
    mmio_write(WATCHDOG + 0x00, (1u << 30) | (7u << 24));  // CTRL: ENABLE, PAUSE_DBG0/DBG1/JTAG
}

void board_watchdog_feed(void) { mmio_write(WATCHDOG + 0x04, WATCHDOG_LOAD); }

// A fault (a Swift trap, a bad access): reboot now through the watchdog's TRIGGER.
static void fault(void) {
    mmio_write(WATCHDOG + 0x00, (1u << 30) | (1u << 31));
    for (;;) {}
}

void Reset_Handler(void) {
    for (uint32_t *s = __data_load, *d = __data_start; d < __data_end;) *d++ = *s++;
    for (uint32_t *d = __bss_start; d < __bss_end;) *d++ = 0;
    watchdog_start();
    clocks_init();
    // io_bank0 (5), pads_bank0 (8), timer (21), uart0 (22), uart1 (23)
    unreset((1u << 5) | (1u << 8) | (1u << 21) | (1u << 22) | (1u << 23));
    swift_main();
    board_halt();
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))__stack_top, Reset_Handler, fault, fault, 0, 0, 0, 0, 0, 0, 0, fault, 0, 0, fault, fault,
};
