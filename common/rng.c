/* rng.c: splitmix64, xoshiro256**, and the draws built on them. */
#include "common/rng.h"

#include <math.h>
#include <pthread.h>

uint64_t rng_splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double rng_splitmix64_unit(uint64_t x)
{
    return (double)(rng_splitmix64(x) >> 11) * 0x1.0p-53;
}

static void normal_table_init(void);

void rng_seed(rng *r, uint64_t seed)
{
    normal_table_init();
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        r->s[i] = rng_splitmix64(x);
        x += 0x9e3779b97f4a7c15ULL;
    }
}

double rng_uniform(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double rng_exponential(rng *r, double mean)
{
    return -mean * log1p(-rng_uniform(r));
}

/* Inverse normal CDF by Acklam's rational approximation (relative error < 1.2e-9), used only to
 * fill the table once. */
static double inv_norm_cdf(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    double q, rr;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - 0.02425) return -inv_norm_cdf(1 - p);
    q = p - 0.5;
    rr = q * q;
    return (((((a[0] * rr + a[1]) * rr + a[2]) * rr + a[3]) * rr + a[4]) * rr + a[5]) * q /
           (((((b[0] * rr + b[1]) * rr + b[2]) * rr + b[3]) * rr + b[4]) * rr + 1);
}

float rng__normal_table[4096];
static pthread_once_t normal_once = PTHREAD_ONCE_INIT;

static void normal_table_fill(void)
{
    int n = 4096;
    for (int i = 0; i < n; i++)
        rng__normal_table[i] = (float)inv_norm_cdf((i + 0.5) / n);
}

static void normal_table_init(void)
{
    pthread_once(&normal_once, normal_table_fill);
}

int rng_weighted(rng *r, const double *w, int n)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += w[i];
    double u = rng_uniform(r) * total;
    for (int i = 0; i < n; i++) {
        if (u < w[i]) return i;
        u -= w[i];
    }
    for (int i = n - 1; i >= 0; i--)
        if (w[i] > 0) return i;
    return 0;
}
