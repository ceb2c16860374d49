/* breaker.h: a circuit breaker for one link of the policy chain. Closed: calls pass; K
 * consecutive failures (errors or timeouts) open it. Open: calls are refused until the
 * cool-down has passed since it opened, then it is half-open and lets one probe through: a
 * success closes it, a failure opens it again for another cool-down. The clock is the caller's
 * (milliseconds), so tests step it; the caller serialises calls (the link's lock). */
#ifndef KISIM_BREAKER_H
#define KISIM_BREAKER_H

#include <stdint.h>

#include "scheduler/score.h"

typedef struct {
    score_breaker state;
    int fails; /* consecutive failures while closed */
    int k, cooldown_ms;
    int64_t opened_ms; /* when it last opened */
    int probing;       /* half-open: the probe is out */
} breaker;

void breaker_init(breaker *b, int k, int cooldown_ms);
/* 1 if a call may go through now (open -> half-open once the cool-down has passed; half-open
 * lets one probe through at a time), 0 if the breaker refuses it. */
int breaker_allow(breaker *b, int64_t now_ms);
/* The outcome of a call breaker_allow let through. */
void breaker_record(breaker *b, int ok, int64_t now_ms);
/* A call that was let through but not made (e.g. the link refused the input): a half-open
 * breaker may probe again. */
void breaker_release(breaker *b);

#endif
