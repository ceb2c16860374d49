/* test_stats.c: Student-t quantiles against published tables, and the summary of known data. */
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

int main(void)
{
    RUN(test_t_quantiles);
    RUN(test_summary);
    TEST_MAIN_END();
}
