// libFuzzer's driver entry (compiler-rt, linked by `-sanitize=fuzzer`): `cantine-fuzz` calls
// it from its own main, so one executable is both the fuzzer and the corpus replayer.
#ifndef CANTINE_CLIBFUZZER_H
#define CANTINE_CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
