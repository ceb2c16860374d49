/* skip.h: how a C test says it cannot run here. SKIP(code, fmt, ...) in main prints one line
 * "SKIP(code): reason" on stderr and returns 77, which CTest counts as skipped, not passed
 * (SKIP_RETURN_CODE). code must be one of tests/skip_reasons.txt; tests/check_skips.sh refuses
 * any other. */
#ifndef KISIM_SKIP_H
#define KISIM_SKIP_H

#include <stdio.h>

#define KISIM_SKIP_EXIT 77

#define SKIP(code, ...)                                                                            \
    do {                                                                                           \
        fprintf(stderr, "SKIP(" code "): ");                                                       \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        return KISIM_SKIP_EXIT;                                                                    \
    } while (0)

#endif
