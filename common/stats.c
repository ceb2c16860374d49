/* stats.c: mean, sample standard deviation and the t-based 95% confidence interval; sorting,
 * median and quantiles of benchmark samples. */
#include "common/stats.h"

#include <math.h>
#include <stdlib.h>

/* t_{0.975, df} for df = 1..30 (standard tables), then a few anchors to interpolate in 1/df,
 * which is nearly linear there; infinity is the normal's 1.959964. */
static const double t_table[31] = {0,      12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646,
                                   2.3060, 2.2622,  2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314,
                                   2.1199, 2.1098,  2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687,
                                   2.0639, 2.0595,  2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
static const struct {
    int df;
    double t;
} t_anchors[] = {{30, 2.0423}, {40, 2.0211}, {60, 2.0003}, {120, 1.9799}, {1000000000, 1.9600}};

double stats_t975(int df)
{
    if (df < 1) return NAN;
    if (df <= 30) return t_table[df];
    for (int i = 1; i < (int)(sizeof t_anchors / sizeof t_anchors[0]); i++) {
        if (df <= t_anchors[i].df) {
            double a = 1.0 / t_anchors[i - 1].df, b = 1.0 / t_anchors[i].df, x = 1.0 / df;
            return t_anchors[i - 1].t + (t_anchors[i].t - t_anchors[i - 1].t) * (a - x) / (a - b);
        }
    }
    return 1.959964;
}

void stats_summarize(const double *x, int n, stats_summary *out)
{
    double sum = 0, ss = 0;
    for (int i = 0; i < n; i++)
        sum += x[i];
    double mean = n ? sum / n : 0;
    for (int i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    out->n = n;
    out->mean = mean;
    out->std = n > 1 ? sqrt(ss / (n - 1)) : 0;
    double half = n > 1 ? stats_t975(n - 1) * out->std / sqrt((double)n) : 0;
    out->lo = mean - half;
    out->hi = mean + half;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void stats_sort(double *x, int n)
{
    qsort(x, (size_t)n, sizeof *x, cmp_double);
}

double stats_median(double *x, int n)
{
    stats_sort(x, n);
    return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

double stats_sorted_quantile(const double *x, int n, double p)
{
    return x[(size_t)(p * (double)(n - 1))];
}
