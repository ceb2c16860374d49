/* stats.h: summary statistics for evaluation: mean and a 95% confidence interval over
 * independent episodes (Student's t, since episode counts are small). */
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

#endif
