/* rng.h: seeded random numbers. Every random draw in KISim goes through an rng owned by one env,
 * scorer or learner, so the same seed gives the same bytes.
 *
 * Generators: splitmix64 (Vigna, public domain) for seeding and for the `random` load pattern,
 * whose values the Locust side draws too; xoshiro256** (Blackman & Vigna) for everything else. */
#ifndef KISIM_RNG_H
#define KISIM_RNG_H

#include <stdint.h>

/* The first output of a splitmix64 generator whose state is x:
 *   z = x + 0x9e3779b97f4a7c15; z = (z ^ z>>30) * 0xbf58476d1ce4e5b9;
 *   z = (z ^ z>>27) * 0x94d049bb133111eb; return z ^ z>>31. */
uint64_t rng_splitmix64(uint64_t x);
/* (splitmix64(x) >> 11) * 2^-53: a double in [0, 1). */
double rng_splitmix64_unit(uint64_t x);

typedef struct {
    uint64_t s[4];
} rng;

/* Seeds the four words from consecutive splitmix64 outputs of seed. */
void rng_seed(rng *r, uint64_t seed);

static inline uint64_t rng__rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** next output; inline because telemetry noise draws hundreds per step. */
static inline uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rng__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng__rotl(s[3], 45);
    return result;
}
/* Uniform double in [0, 1). */
double rng_uniform(rng *r);
/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias below 2^-32 for n < 2^32). */
uint32_t rng_below(rng *r, uint32_t n);
/* Exponential with the given mean. */
double rng_exponential(rng *r, double mean);
/* Standard normal, from a 4096-entry inverse-CDF table: cheap enough for per-feature telemetry
 * noise (|z| <= 3.5); not for statistics that need the extreme tail. rng_seed fills the table
 * on first use, so any rng that was seeded can draw. */
extern float rng__normal_table[4096];
static inline float rng_normal_fast(rng *r)
{
    return rng__normal_table[rng_next(r) >> 52];
}
/* Index drawn with probability proportional to w[i] (w[i] >= 0, sum > 0); n entries. */
int rng_weighted(rng *r, const double *w, int n);

#endif
