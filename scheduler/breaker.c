/* breaker.c: the circuit breaker's state machine (breaker.h). */
#include "scheduler/breaker.h"

void breaker_init(breaker *b, int k, int cooldown_ms)
{
    *b = (breaker){.state = SCORE_BREAKER_CLOSED, .k = k, .cooldown_ms = cooldown_ms};
}

int breaker_allow(breaker *b, int64_t now_ms)
{
    if (b->state == SCORE_BREAKER_OPEN && now_ms - b->opened_ms >= b->cooldown_ms) {
        b->state = SCORE_BREAKER_HALF_OPEN;
        b->probing = 0;
    }
    if (b->state == SCORE_BREAKER_CLOSED) return 1;
    if (b->state == SCORE_BREAKER_HALF_OPEN && !b->probing) {
        b->probing = 1;
        return 1;
    }
    return 0;
}

void breaker_record(breaker *b, int ok, int64_t now_ms)
{
    if (ok) {
        b->state = SCORE_BREAKER_CLOSED;
        b->fails = 0;
        b->probing = 0;
        return;
    }
    if (b->state == SCORE_BREAKER_OPEN) return; /* a call let through before it opened */
    if (b->state == SCORE_BREAKER_HALF_OPEN || ++b->fails >= b->k) {
        b->state = SCORE_BREAKER_OPEN;
        b->opened_ms = now_ms;
        b->fails = 0;
        b->probing = 0;
    }
}

void breaker_release(breaker *b)
{
    b->probing = 0;
}
