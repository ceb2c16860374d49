/* test_hpa.c: the Kubernetes HPA rule (desired = ceil(current x utilisation / target), no change
 * within the tolerance, clamped to [min, max]) at and around its tolerance, and the scale action
 * it implies under a scale mask. Expected counts are worked out by hand in the comments. */
#include "env/baselines/baseline.h"
#include "test.h"

/* 4 replicas in [1, 10], target 70%, tolerance 10%. */
static service_view svc(int replicas, double util)
{
    return (service_view){replicas, 1, 10, util, 0.7, 0.1};
}

static void test_tolerance(void)
{
    service_view s;
    /* Ratio exactly 1.1 and 0.9: the edges of the tolerance band are inside it (0.77 / 0.7 is
     * 1.1000000000000001 in doubles, which must not count as outside). */
    s = svc(4, 0.77);
    CHECK_EQ_INT(hpa_desired(&s), 4);
    s = svc(4, 0.63);
    CHECK_EQ_INT(hpa_desired(&s), 4);
    s = svc(4, 0.7);
    CHECK_EQ_INT(hpa_desired(&s), 4);
    /* 0.769 / 0.7 = 1.0986: inside. */
    s = svc(4, 0.769);
    CHECK_EQ_INT(hpa_desired(&s), 4);
    /* 0.771 / 0.7 = 1.1014: outside, ceil(4 x 1.1014) = ceil(4.406) = 5. */
    s = svc(4, 0.771);
    CHECK_EQ_INT(hpa_desired(&s), 5);
    /* 0.629 / 0.7 = 0.8986: outside, but ceil(4 x 0.8986) = ceil(3.594) = 4, so no change. */
    s = svc(4, 0.629);
    CHECK_EQ_INT(hpa_desired(&s), 4);
}

static void test_scaling(void)
{
    service_view s;
    s = svc(4, 0.84); /* ratio 1.2: ceil(4.8) = 5 */
    CHECK_EQ_INT(hpa_desired(&s), 5);
    s = svc(4, 0.35); /* ratio 0.5: ceil(2.0) = 2 */
    CHECK_EQ_INT(hpa_desired(&s), 2);
    s = svc(3, 0.91); /* ratio 1.3: ceil(3.9) = 4 */
    CHECK_EQ_INT(hpa_desired(&s), 4);
    s = svc(5, 0.21); /* ratio 0.3: ceil(1.5) = 2 */
    CHECK_EQ_INT(hpa_desired(&s), 2);
    /* ratio 0.2: 10 x 0.2 = 2 exactly (2.0000000000000004 in doubles, still 2, not 3) */
    s = svc(10, 0.14);
    CHECK_EQ_INT(hpa_desired(&s), 2);
    s = svc(4, 1.4); /* ratio 2: 8 */
    CHECK_EQ_INT(hpa_desired(&s), 8);
}

static void test_clamping(void)
{
    service_view s;
    s = svc(4, 2.8); /* ratio 4: 16 -> max 10 */
    CHECK_EQ_INT(hpa_desired(&s), 10);
    s = svc(4, 0.0); /* ratio 0: 0 -> min 1 */
    CHECK_EQ_INT(hpa_desired(&s), 1);
    s = svc(4, 0.35); /* 2 -> min 3 */
    s.min_replicas = 3;
    CHECK_EQ_INT(hpa_desired(&s), 3);
    s = svc(12, 0.7); /* within tolerance, but above max: 10 */
    CHECK_EQ_INT(hpa_desired(&s), 10);
    s = svc(4, 1e300); /* a huge ratio does not overflow the count */
    CHECK_EQ_INT(hpa_desired(&s), 10);
}

static void test_scale_action(void)
{
    const uint8_t all[3] = {1, 1, 1}, no_up[3] = {1, 1, 0}, no_down[3] = {0, 1, 1};
    service_view up = svc(4, 0.84), down = svc(4, 0.35), stay = svc(4, 0.77);
    CHECK_EQ_INT(hpa_scale_action(&up, all), 2);
    CHECK_EQ_INT(hpa_scale_action(&down, all), 0);
    CHECK_EQ_INT(hpa_scale_action(&stay, all), 1);
    CHECK_EQ_INT(hpa_scale_action(&up, no_up), 1);
    CHECK_EQ_INT(hpa_scale_action(&down, no_up), 0);
    CHECK_EQ_INT(hpa_scale_action(&down, no_down), 1);
    CHECK_EQ_INT(hpa_scale_action(&up, no_down), 2);
    CHECK_EQ_INT(hpa_scale_action(&up, NULL), 2);
    /* At max already: desired clamps to 10, so no scale-up. */
    service_view at_max = svc(10, 1.4);
    CHECK_EQ_INT(hpa_scale_action(&at_max, all), 1);
}

int main(void)
{
    RUN(test_tolerance);
    RUN(test_scaling);
    RUN(test_clamping);
    RUN(test_scale_action);
    TEST_MAIN_END();
}
