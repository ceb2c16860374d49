/* fuzz_frames.h: what the libFuzzer targets (tests/fuzz_*.c) share: REQUIRE, which aborts
 * naming the broken promise, and the input layout of the multipart parsers' targets. Define
 * FUZZ_NAME (the target's name, a string) before including it. */
#ifndef KISIM_TESTS_FUZZ_FRAMES_H
#define KISIM_TESTS_FUZZ_FRAMES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/proto.h"

#ifndef FUZZ_NAME
#error "define FUZZ_NAME before including tests/fuzz_frames.h"
#endif

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, FUZZ_NAME ": broken promise: %s\n", #cond);                            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Splits a fuzz input (size >= 1) into n = 1 + data[0] % max frames, f[0 .. max): the header
 * frame runs from byte 1 to the first NUL (or the end); the bytes after that NUL are split
 * evenly over the remaining frames, the last taking what is left. Returns n. */
static inline int fuzz_frames_split(const uint8_t *data, size_t size, int max, proto_frame *f)
{
    int n = 1 + data[0] % max;
    const uint8_t *p = data + 1, *end = data + size;
    const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
    f[0].data = p;
    f[0].size = (size_t)((nul ? nul : end) - p);
    const uint8_t *rest = nul ? nul + 1 : end;
    size_t left = (size_t)(end - rest), each = n > 1 ? left / (size_t)(n - 1) : 0;
    for (int i = 1; i < n; i++) {
        f[i].data = rest;
        f[i].size = i == n - 1 ? (size_t)(end - rest) : each;
        rest += f[i].size;
    }
    return n;
}

#endif
