#!/usr/bin/env python3
"""Checks the RP2040 image the way the bootrom and the BOOTSEL drive will see it, since no
emulator here runs an RP2040: boot2's CRC-32, the vector table after it, the UF2 blocks, that
the image and the provisioning sector do not overlap. Prints one line per check.
  rp2040_image.py OUTDIR"""
import struct, sys

out = sys.argv[1]
image = open(f"{out}/desk-node.bin", "rb").read()
uf2 = open(f"{out}/desk-node.uf2", "rb").read()
results = []


def check(name, ok):
    results.append(ok)
    print(f"  {'ok  ' if ok else 'FAIL'} {name}", flush=True)


def crc32_mpeg2(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


check("boot2: 252 bytes and the bootrom's CRC-32", struct.unpack("<I", image[252:256])[0] == crc32_mpeg2(image[:252]))
sp, reset = struct.unpack("<II", image[256:264])
check("vector table at 0x10000100: stack in SRAM, reset handler in flash (Thumb)",
      0x20000000 < sp <= 0x20042000 and 0x10000100 < reset < 0x10000000 + len(image) and reset & 1)
blocks = [uf2[i:i + 512] for i in range(0, len(uf2), 512)]
ok = len(blocks) == (len(image) + 255) // 256
for n, b in enumerate(blocks):
    m0, m1, flags, addr, size, index, total, family = struct.unpack("<IIIIIIII", b[:32])
    ok &= (m0, m1, struct.unpack("<I", b[508:])[0]) == (0x0A324655, 0x9E5D5157, 0x0AB16F30)
    ok &= flags == 0x2000 and family == 0xE48BFF56 and addr == 0x10000000 + 256 * n and size == 256
    ok &= index == n and total == len(blocks) and b[32:32 + 256] == image[256 * n:256 * n + 256].ljust(256, b"\0")
check("UF2: RP2040 family, 256-byte blocks in order from 0x10000000, same bytes as the image", ok)
check("image ends before the provisioning sector (0x101FF000)", 0x10000000 + len(image) <= 0x101FF000)
failed = results.count(False)
print(f"  rp2040 image: {len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
