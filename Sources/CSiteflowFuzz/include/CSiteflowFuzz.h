#ifndef CSITEFLOW_FUZZ_H
#define CSITEFLOW_FUZZ_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, LLVM 11+), present only in binaries linked with
/// -sanitize=fuzzer; siteflow-fuzz calls it from its own entry point in that build alone.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
