// Register access for the Swift board layers: volatile 32-bit loads and stores, plus the
// millisecond tick each board's startup code keeps. Static inline: nothing to link.
#pragma once
#include <stdint.h>

static inline uint32_t mmio_read(uint32_t address) { return *(volatile uint32_t *)address; }
static inline void mmio_write(uint32_t address, uint32_t value) { *(volatile uint32_t *)address = value; }

/// Milliseconds since boot (wrapping), kept by the board's startup code.
uint32_t board_millis(void);
/// Busy-waits about `ms` milliseconds on the board's tick.
void board_delay_ms(uint32_t ms);
/// Stops the machine (an emulator exits; hardware sleeps forever).
void board_halt(void) __attribute__((noreturn));
/// Reloads the watchdog, started by the board's startup code before anything can hang: a
/// loop that stops feeding it (a stuck wait, a fault) reboots the board within seconds.
void board_watchdog_feed(void);
/// The provisioning block's start and size (placed by the board's linker script).
extern uint8_t __provisioning_start[];
extern uint8_t __provisioning_end[];
static inline const uint8_t *board_provisioning(void) { return __provisioning_start; }
static inline int board_provisioning_size(void) { return (int)(__provisioning_end - __provisioning_start); }
