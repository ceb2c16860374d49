/* test_queue.c: the queueing formulas against closed forms, an independent bisection, and a
 * Monte Carlo M/M/1 queue (Lindley's recursion) within its sampling tolerance. */
#include "env/sim/queue.h"

#include "common/rng.h"
#include "test.h"

static void test_mm1_closed_form(void)
{
    /* p99 of M/M/1 sojourn, mu = 100/s, lambda = 50/s: ln(100) / 50 = 0.0921034037 s. */
    CHECK_NEAR(queue_mm1_quantile(100, 50, 0.99), 0.0921034037, 1e-9);
    /* p50, mu = 10, lambda = 0: ln(2) / 10 = 0.0693147181. */
    CHECK_NEAR(queue_mm1_quantile(10, 0, 0.5), 0.0693147181, 1e-9);
}

static void test_mixture_single_component(void)
{
    double w = 5000, th = 50; /* one replica: its own quantile */
    CHECK_NEAR(queue_mixture_quantile(&w, &th, 1, 0, 10, 0.99), 0.0921034037, 1e-9);
    CHECK_NEAR(queue_mixture_quantile(&w, &th, 1, 0, 10, 0.95), 0.0599146455, 1e-9);
    CHECK_NEAR(queue_mixture_quantile(&w, &th, 1, 0, 0.05, 0.99), 0.05, 0); /* capped */
    CHECK_NEAR(queue_mixture_quantile(&w, &th, 0, 0, 10, 0.99), 0, 0);      /* empty */
}

/* The mixture CDF, written out again for the bisection. */
static double cdf(const double *w, const double *th, int n, double at_cap, double x)
{
    double f = 0, total = at_cap;
    for (int i = 0; i < n; i++) {
        f += w[i] * (1 - exp(-th[i] * x));
        total += w[i];
    }
    return f / total;
}

static double bisect(const double *w, const double *th, int n, double at_cap, double cap, double p)
{
    if (cdf(w, th, n, at_cap, cap) < p) return cap;
    double lo = 0, hi = cap;
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;
        if (cdf(w, th, n, at_cap, mid) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

static void test_mixture_against_bisection(void)
{
    double w[] = {300, 700, 50, 1e-3}, th[] = {80, 20, 5, 400};
    double ps[] = {0.5, 0.9, 0.95, 0.99, 0.999};
    for (int k = 0; k < 5; k++) {
        double want = bisect(w, th, 4, 0, 100, ps[k]);
        CHECK_NEAR(queue_mixture_quantile(w, th, 4, 0, 100, ps[k]), want, 1e-9 * want + 1e-12);
        want = bisect(w, th, 4, 8, 1.0, ps[k]); /* 8 requests timed out at the 1 s cap */
        CHECK_NEAR(queue_mixture_quantile(w, th, 4, 8, 1.0, ps[k]), want, 1e-9 * want + 1e-12);
    }
    /* More than 1% at the cap: p99 is the cap. */
    double w2 = 98, th2 = 10;
    CHECK_NEAR(queue_mixture_quantile(&w2, &th2, 1, 2, 1.0, 0.99), 1.0, 0);
}

/* Lindley's recursion on a real M/M/1 queue: W_{n+1} = max(0, W_n + S_n - A_{n+1}); sojourn =
 * W + S. The empirical p99 of 400000 customers must match the closed form within 4% (the
 * quantile estimator's spread at this sample size, with the queue's autocorrelation, is about
 * 1%). */
static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_monte_carlo_mm1(void)
{
    enum { N = 400000 };
    double mu = 100, lambda = 70;
    double *soj = malloc(N * sizeof *soj);
    rng r;
    rng_seed(&r, 12345);
    double wait = 0;
    for (int i = 0; i < N; i++) {
        double service = rng_exponential(&r, 1 / mu);
        soj[i] = wait + service;
        double next = wait + service - rng_exponential(&r, 1 / lambda);
        wait = next > 0 ? next : 0;
    }
    qsort(soj, N, sizeof *soj, cmp);
    double p99 = soj[(int)(0.99 * N)], p50 = soj[N / 2];
    double want99 = queue_mm1_quantile(mu, lambda, 0.99),
           want50 = queue_mm1_quantile(mu, lambda, 0.5);
    CHECK_MSG(fabs(p99 / want99 - 1) < 0.04, "empirical p99 %.5f vs closed form %.5f", p99, want99);
    CHECK_MSG(fabs(p50 / want50 - 1) < 0.04, "empirical p50 %.5f vs closed form %.5f", p50, want50);
    free(soj);
}

int main(void)
{
    RUN(test_mm1_closed_form);
    RUN(test_mixture_single_component);
    RUN(test_mixture_against_bisection);
    RUN(test_monte_carlo_mm1);
    TEST_MAIN_END();
}
