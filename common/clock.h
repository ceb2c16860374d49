/* clock.h: the monotonic clock, and the injectable clock type tests use to drive time-dependent
 * components (the telemetry store's staleness, the scoring service's breakers). */
#ifndef KISIM_CLOCK_H
#define KISIM_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic milliseconds; `arg` is the injector's. */
typedef int64_t (*kisim_clock_fn)(void *arg);

static inline int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t clock_mono_ms(void)
{
    return clock_mono_ns() / 1000000;
}

/* Wall-clock milliseconds since the epoch (CLOCK_REALTIME): what telemetry frames carry. */
static inline int64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline double clock_mono_s(void)
{
    return (double)clock_mono_ns() * 1e-9;
}

#endif
