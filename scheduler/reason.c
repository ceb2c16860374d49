/* reason.c: score explanations (reason.h). Formatted by hand: a request of 1,000 nodes writes
 * 1,000 of them, so snprintf's cost shows in the latency. */
#include "scheduler/reason.h"

#include <math.h>
#include <string.h>

#define REASON_MIN_DEV 0.02f

void reason_means(const score_input *in, float *mean)
{
    for (int f = 0; f < KISIM_F; f++)
        mean[f] = 0;
    for (int i = 0; i < in->n; i++)
        for (int f = 0; f < KISIM_F; f++)
            mean[f] += in->last[(size_t)i * KISIM_F + f];
    for (int f = 0; f < KISIM_F; f++)
        mean[f] /= in->n > 0 ? (float)in->n : 1.0f;
}

typedef struct {
    char *p, *end;
} cursor;

static void put(cursor *c, const char *s)
{
    while (*s && c->p < c->end)
        *c->p++ = *s++;
}

/* v in [0, 1] as "0.81" (rounded to two decimals). */
static void put_value(cursor *c, float v)
{
    int h = (int)lroundf((v < 0 ? 0 : v > 1 ? 1 : v) * 100);
    char s[5] = {(char)('0' + h / 100), '.', (char)('0' + h / 10 % 10), (char)('0' + h % 10), 0};
    put(c, s);
}

void reason_write(char *out, size_t cap, const score_input *in, const float *mean, int i, int score)
{
    int best[2] = {-1, -1};
    float dev[2] = {0, 0};
    const float *x = in->last + (size_t)i * KISIM_F;
    for (int f = 0; in->n > 1 && f < KISIM_F; f++) {
        if (!in->avail[f]) continue;
        float d = fabsf(x[f] - mean[f]);
        if (d < REASON_MIN_DEV) continue;
        if (d > dev[0]) {
            best[1] = best[0], dev[1] = dev[0];
            best[0] = f, dev[0] = d;
        } else if (d > dev[1]) {
            best[1] = f, dev[1] = d;
        }
    }
    cursor c = {out, out + cap - 1};
    if (best[0] < 0) put(&c, "like the other candidates");
    for (int k = 0; k < 2 && best[k] >= 0; k++) {
        int f = best[k];
        if (k) put(&c, ", ");
        put(&c, kisim_features[f].name);
        put(&c, " ");
        put_value(&c, x[f]);
        put(&c, x[f] > mean[f] ? " (high)" : " (low)");
    }
    put(&c, score >= 67 ? ": prefer" : score <= 33 ? ": avoid" : ": acceptable");
    *c.p = 0;
}
