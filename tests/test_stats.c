/* test_stats.c: Student-t quantiles against published tables, the summary of known data, and the
 * median and lower-rank quantiles of benchmark samples worked out by hand. */
#include "common/stats.h"

#include "test.h"

static void test_t_quantiles(void)
{
    /* t_{0.975, df} from standard tables. */
    CHECK_NEAR(stats_t975(1), 12.706, 0.001);
    CHECK_NEAR(stats_t975(4), 2.776, 0.001);
    CHECK_NEAR(stats_t975(9), 2.262, 0.001);
    CHECK_NEAR(stats_t975(29), 2.045, 0.001);
    CHECK_NEAR(stats_t975(50), 2.009, 0.002);
    CHECK_NEAR(stats_t975(99), 1.984, 0.002);
    CHECK_NEAR(stats_t975(100000), 1.960, 0.001);
}

static void test_summary(void)
{
    /* 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample variance 32/7, t_{0.975,7} = 2.365. */
    double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    stats_summary s;
    stats_summarize(x, 8, &s);
    double sd = sqrt(32.0 / 7.0), half = 2.3646 * sd / sqrt(8.0);
    CHECK_NEAR(s.mean, 5, 1e-12);
    CHECK_NEAR(s.std, sd, 1e-12);
    CHECK_NEAR(s.lo, 5 - half, 1e-3);
    CHECK_NEAR(s.hi, 5 + half, 1e-3);
    stats_summarize(x, 1, &s); /* one episode: no interval */
    CHECK_NEAR(s.lo, 2, 0);
    CHECK_NEAR(s.hi, 2, 0);
}

static void test_median(void)
{
    double odd[] = {9, 1, 5, 3, 7}; /* sorted 1 3 5 7 9: the middle one */
    CHECK_NEAR(stats_median(odd, 5), 5, 0);
    CHECK_NEAR(odd[0], 1, 0); /* sorted in place */
    CHECK_NEAR(odd[4], 9, 0);
    double even[] = {4, -2, 10, 1}; /* sorted -2 1 4 10: (1 + 4) / 2 */
    CHECK_NEAR(stats_median(even, 4), 2.5, 0);
    double one[] = {42};
    CHECK_NEAR(stats_median(one, 1), 42, 0);
    double tie[] = {3, 3, 1, 3}; /* sorted 1 3 3 3 */
    CHECK_NEAR(stats_median(tie, 4), 3, 0);
}

static void test_sorted_quantile(void)
{
    /* 0, 10, ..., 100 (n = 11): the p-quantile is x[floor(10 p)] = 100 floor(10 p) / 10. */
    double x[11];
    for (int i = 0; i < 11; i++)
        x[i] = 10.0 * (10 - i); /* descending, to be sorted */
    stats_sort(x, 11);
    for (int i = 0; i < 11; i++)
        CHECK_NEAR(x[i], 10.0 * i, 0);
    CHECK_NEAR(stats_sorted_quantile(x, 11, 0.0), 0, 0);
    CHECK_NEAR(stats_sorted_quantile(x, 11, 0.5), 50, 0);
    CHECK_NEAR(stats_sorted_quantile(x, 11, 0.99), 90, 0); /* floor(9.9) = 9: no interpolation */
    CHECK_NEAR(stats_sorted_quantile(x, 11, 1.0), 100, 0);
    /* n = 4: floor(0.5 * 3) = 1, the lower middle value, not the median's mean of two. */
    double y[] = {1, 2, 3, 4};
    CHECK_NEAR(stats_sorted_quantile(y, 4, 0.5), 2, 0);
    /* 1,000 samples 1..1000: p99 = x[floor(0.99 * 999)] = x[989] = 990. */
    static double z[1000];
    for (int i = 0; i < 1000; i++)
        z[i] = 1000 - i;
    stats_sort(z, 1000);
    CHECK_NEAR(stats_sorted_quantile(z, 1000, 0.99), 990, 0);
}

int main(void)
{
    RUN(test_t_quantiles);
    RUN(test_summary);
    RUN(test_median);
    RUN(test_sorted_quantile);
    TEST_MAIN_END();
}
