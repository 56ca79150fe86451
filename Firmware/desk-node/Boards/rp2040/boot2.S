/* RP2040 second-stage boot (the first 256 bytes of flash; the bootrom copies it to SRAM,
   checks its CRC-32 and runs it). It asks the bootrom's own flash_enter_cmd_xip ('C','X')
   to map the flash for execute-in-place with the plain 03h read every QSPI flash chip
   supports, then starts the image: vector table at 0x10000100. post-link appends the CRC. */
    .syntax unified
    .cpu cortex-m0plus
    .thumb
    .section .boot2, "ax"
    .global boot2_entry
    .thumb_func
boot2_entry:
    movs r0, #0x14
    ldrh r0, [r0]            /* the bootrom's function table */
    movs r2, #0x18
    ldrh r2, [r2]            /* rom_table_lookup(table, code) */
    ldr r1, =0x5843          /* 'C' | 'X' << 8: flash_enter_cmd_xip */
    blx r2
    blx r0
    ldr r0, =0x10000100      /* the image's vector table */
    ldr r1, =0xE000ED08      /* VTOR */
    str r0, [r1]
    ldmia r0!, {r1, r2}      /* initial stack pointer, reset handler */
    msr msp, r1
    bx r2
    .ltorg
