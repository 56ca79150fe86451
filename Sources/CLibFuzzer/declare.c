// Only declares libFuzzer's driver (see include/CLibFuzzer.h); nothing to compile.
#include "CLibFuzzer.h"
