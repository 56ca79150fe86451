// libgpiod v1 (Debian 12 / Raspberry Pi OS bookworm: 1.6.x), used by CantineGPIO.
#include <gpiod.h>
