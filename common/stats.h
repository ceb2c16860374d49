/* stats.h: summary statistics for evaluation: mean and a 95% confidence interval over
 * independent episodes (Student's t, since episode counts are small); and for benchmarks, the
 * median of a few timed runs and the quantiles of many timed calls. */
#ifndef KISIM_STATS_H
#define KISIM_STATS_H

typedef struct {
    double mean;
    double lo, hi; /* 95% confidence interval of the mean; lo = hi = mean when n < 2 */
    double std;    /* sample standard deviation (n - 1) */
    int n;
} stats_summary;

/* Two-sided 95% quantile of Student's t with df degrees of freedom (t_{0.975, df}), df >= 1. */
double stats_t975(int df);
void stats_summarize(const double *x, int n, stats_summary *out);

/* Sorts x[0..n) ascending. */
void stats_sort(double *x, int n);
/* The median of x[0..n), n >= 1: the middle value, or the mean of the two middle ones. Sorts x
 * in place. */
double stats_median(double *x, int n);
/* The p-quantile (0 <= p <= 1) of x[0..n) sorted ascending, n >= 1, by the lower rank:
 * x[floor(p (n - 1))], a value that was measured (no interpolation). */
double stats_sorted_quantile(const double *x, int n, double p);

#endif
