/* test_baseline.c: the baseline scorers on a small hand-built cluster, against scores computed by
 * hand from the Kubernetes and trimaran formulas (worked out in the comments), and baseline_pick's
 * masking, tie-breaking, round-robin order and randomness. The oracle's scores need the sim and
 * are tested with it; here only its missing-hidden-state error. */
#include "common/err.h"
#include "common/features.h"
#include "common/rng.h"
#include "env/baselines/baseline.h"
#include "env/baselines/baseline_impl.h"
#include "test.h"

#define GIB (1024LL * 1024 * 1024)
#define N_MAX 5 /* four nodes and one padding slot past the cluster */
#define WIN 4

/* Nodes (allocatable cpu m / mem, requested cpu m / mem) and, with the pod (500m, 1 GiB), the
 * requested totals the formulas see:
 *   0: 4000 / 16 GiB,  1500 / 3 GiB  -> 2000 / 4 GiB
 *   1: 8000 / 32 GiB,  7000 / 8 GiB  -> 7500 / 9 GiB
 *   2: 2000 /  8 GiB,  1800 / 2 GiB  -> 2300 / 3 GiB  (CPU over allocatable)
 *   3: 4000 / 16 GiB,     0 / 0      ->  500 / 1 GiB
 *   4: padding, all zero, never in the mask. */
static node_view nodes[N_MAX] = {
    {4000, 16 * GIB, 110, 0, 1500, 3 * GIB, 5, 0},
    {8000, 32 * GIB, 110, 0, 7000, 8 * GIB, 20, 0},
    {2000, 8 * GIB, 110, 0, 1800, 2 * GIB, 4, 0},
    {4000, 16 * GIB, 110, 0, 0, 0, 0, 0},
    {0, 0, 0, 0, 0, 0, 0, 0},
};
static pod_view pod = {500, 1 * GIB, 0, 0, POD_CPU_BOUND, 0};
static float obs[N_MAX * WIN * KISIM_F];
static uint8_t mask[N_MAX + 3];

/* cpu_utilization samples per node (exact in float); every other feature is 0.9 so reading the
 * wrong feature shows. Means: 0.375, 0.125, 1.0, 0. */
static const float util[N_MAX][WIN] = {{0.25f, 0.25f, 0.5f, 0.5f},
                                       {0.125f, 0.125f, 0.125f, 0.125f},
                                       {1, 1, 1, 1},
                                       {0, 0, 0, 0},
                                       {0, 0, 0, 0}};

static sched_view make_view(void)
{
    for (int i = 0; i < N_MAX; i++)
        for (int t = 0; t < WIN; t++)
            for (int f = 0; f < KISIM_F; f++)
                obs[(i * WIN + t) * KISIM_F + f] =
                    f == FEAT_CPU_UTILIZATION ? feature_normalize(f, util[i][t]) : 0.9f;
    memset(mask, 0, sizeof mask);
    for (int i = 0; i < 4; i++)
        mask[i] = 1;
    mask[N_MAX] = mask[N_MAX + 1] = mask[N_MAX + 2] = 1;
    return (sched_view){N_MAX, WIN, nodes, &pod, NULL, obs, mask, NULL};
}

static void test_least_allocated(void)
{
    /* (cap - req) * 100 / cap per resource, then (cpu + mem) / 2, all integer:
     * 0: cpu 2000*100/4000 = 50, mem 12*100/16 = 75 -> 125/2 = 62
     * 1: cpu 500*100/8000 = 6 (6.25), mem 23*100/32 = 71 (71.875) -> 77/2 = 38
     * 2: cpu 2300 > 2000 -> 0, mem 5*100/8 = 62 (62.5) -> 62/2 = 31
     * 3: cpu 3500*100/4000 = 87 (87.5), mem 15*100/16 = 93 (93.75) -> 180/2 = 90 */
    const int64_t want[4] = {62, 38, 31, 90};
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(baseline__least_allocated(&nodes[i], &pod), want[i]);
    /* A pod without requests counts as 100m and 200 MiB: node 3 then has cpu 3900*100/4000 =
     * 97 (97.5), mem (16384 - 200)*100/16384 = 98 (98.77) -> 195/2 = 97. */
    pod_view empty = {0, 0, 0, 0, POD_BATCH, 0};
    CHECK_EQ_INT(baseline__least_allocated(&nodes[3], &empty), 97);
}

static void test_balanced_allocation(void)
{
    /* f = min(req / alloc, 1); std = |f_cpu - f_mem| / 2; (int)((1 - std) * 100):
     * 0: 0.5, 0.25 -> std 0.125 -> 87.5 -> 87
     * 1: 0.9375, 0.28125 -> std 0.328125 -> 67.1875 -> 67
     * 2: min(1.15, 1) = 1, 0.375 -> std 0.3125 -> 68.75 -> 68
     * 3: 0.125, 0.0625 -> std 0.03125 -> 96.875 -> 96 */
    const int64_t want[4] = {87, 67, 68, 96};
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(baseline__balanced_allocation(&nodes[i], &pod), want[i]);
}

static void test_k8s_default(void)
{
    /* (LeastAllocated + BalancedAllocation) / 2: (62+87)/2, (38+67)/2, (31+68)/2, (90+96)/2 */
    const double want[N_MAX] = {74.5, 52.5, 49.5, 93, -1};
    sched_view v = make_view();
    baseline *s = NULL;
    CHECK_EQ_INT(baseline_create(&s, "k8s-default", 1), 0);
    double sc[N_MAX];
    CHECK_EQ_INT(baseline_score(s, &v, sc), 0);
    for (int i = 0; i < N_MAX; i++)
        CHECK_NEAR(sc[i], want[i], 0);
    CHECK_EQ_INT(baseline_pick(s, &v), 3);
    mask[3] = 0; /* then node 0 (74.5), and node 3 scores -1 */
    CHECK_EQ_INT(baseline_score(s, &v, sc), 0);
    CHECK_NEAR(sc[3], -1, 0);
    CHECK_EQ_INT(baseline_pick(s, &v), 0);
    baseline_free(s);
}

static void test_most_allocated(void)
{
    /* min(req, cap) * 100 / cap per resource, then (cpu + mem) / 2:
     * 0: 50, 25 -> 37;  1: 93 (93.75), 28 (28.125) -> 60;  2: 100 (clamped), 37 (37.5) -> 68;
     * 3: 12 (12.5), 6 (6.25) -> 9 */
    const double want[N_MAX] = {37, 60, 68, 9, -1};
    sched_view v = make_view();
    baseline *s = NULL;
    CHECK_EQ_INT(baseline_create(&s, "most-allocated", 1), 0);
    double sc[N_MAX];
    CHECK_EQ_INT(baseline_score(s, &v, sc), 0);
    for (int i = 0; i < N_MAX; i++)
        CHECK_NEAR(sc[i], want[i], 0);
    CHECK_EQ_INT(baseline_pick(s, &v), 2);
    baseline_free(s);
}

static void check_tlp(baseline *s, sched_view *v, int64_t limit, const double want[N_MAX])
{
    pod_view p = pod;
    p.cpu_limit_m = limit;
    v->pod = &p;
    double sc[N_MAX];
    CHECK_EQ_INT(baseline_score(s, v, sc), 0);
    for (int i = 0; i < N_MAX; i++)
        CHECK_MSG(sc[i] == want[i], "limit %lld node %d: %g, want %g", (long long)limit, i, sc[i],
                  want[i]);
    v->pod = &pod;
}

static void test_load_aware(void)
{
    sched_view v = make_view();
    baseline *s = NULL;
    CHECK_EQ_INT(baseline_create(&s, "load-aware", 1), 0);
    /* used = mean util x alloc: 0: 1500 of 4000, 1: 1000 of 8000, 2: 2000 of 2000, 3: 0 of 4000.
     * No limit: pod = 500 x 1.5 = 750; u = 100 (used + pod) / alloc; T = 40.
     * 0: u = 56.25 (T < u <= 100) -> round(40 x 43.75 / 60) = round(29.17) = 29
     * 1: u = 21.875 (<= T) -> round(60 x 21.875 / 40 + 40) = round(72.8125) = 73
     * 2: u = 137.5 > 100 -> 0
     * 3: u = 18.75 -> round(28.125 + 40) = 68 */
    const double no_limit[N_MAX] = {29, 73, 0, 68, -1};
    check_tlp(s, &v, 0, no_limit);
    CHECK_EQ_INT(baseline_pick(s, &v), 1);
    /* Limit 2000m (used instead of 1.5 x request):
     * 0: u = 87.5 -> round(40 x 12.5 / 60) = round(8.33) = 8
     * 1: u = 37.5 -> round(56.25 + 40) = 96;  2: u = 200 -> 0
     * 3: u = 50 -> round(40 x 50 / 60) = round(33.33) = 33 */
    const double limit_2000[N_MAX] = {8, 96, 0, 33, -1};
    check_tlp(s, &v, 2000, limit_2000);
    /* Limit 1600m puts node 3 at exactly u = T = 40: the lower branch, 60 x 40 / 40 + 40 = 100.
     * 0: u = 77.5 -> round(40 x 22.5 / 60) = 15;  1: u = 32.5 -> round(48.75 + 40) = 89. */
    const double limit_1600[N_MAX] = {15, 89, 0, 100, -1};
    check_tlp(s, &v, 1600, limit_1600);
    /* Limit 680m: node 1 at u = 21, 60 x 21 / 40 + 40 = 71.5, rounded half away from zero: 72.
     * 0: u = 54.5 -> round(40 x 45.5 / 60) = round(30.33) = 30;  3: u = 17 -> 65.5 -> 66.
     * 2: u = 134 -> 0. */
    const double limit_680[N_MAX] = {30, 72, 0, 66, -1};
    check_tlp(s, &v, 680, limit_680);

    v.obs_nodes = NULL; /* no telemetry: the scorer cannot run */
    double sc[N_MAX];
    CHECK_EQ_INT(baseline_score(s, &v, sc), KISIM_EUNSUPPORTED);
    baseline_free(s);
}

/* Every scorer but the oracle, over random masks: the pick is always a masked node, and an empty
 * mask is an input error. */
static void test_masked_never_picked(void)
{
    const char *const *names = baseline_names();
    rng r;
    rng_seed(&r, 42);
    for (int k = 0; names[k]; k++) {
        if (strcmp(names[k], "oracle") == 0) continue;
        baseline *s = NULL;
        CHECK_EQ_INT(baseline_create(&s, names[k], 7), 0);
        sched_view v = make_view();
        int bad = 0, empty = 0;
        for (int it = 0; it < 1000; it++) {
            int any = 0;
            for (int i = 0; i < N_MAX; i++)
                any |= mask[i] = (uint8_t)(i < 4 && rng_below(&r, 2));
            int got = baseline_pick(s, &v);
            if (!any) {
                empty++;
                CHECK_EQ_INT(got, KISIM_EINPUT);
            } else if (got < 0 || got >= N_MAX || !mask[got]) {
                bad++;
            }
        }
        CHECK_MSG(bad == 0, "%s picked %d unmasked nodes", names[k], bad);
        CHECK_MSG(empty > 0, "%s: no empty mask drawn", names[k]);
        baseline_free(s);
    }
    baseline *s = NULL;
    CHECK_EQ_INT(baseline_create(&s, "k8s-default", 1), 0);
    sched_view v = make_view();
    memset(mask, 0, N_MAX);
    CHECK_EQ_INT(baseline_pick(s, &v), KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "k8s-default");
    baseline_free(s);
}

static void test_ties(void)
{
    /* Nodes 0, 1 and 3 identical (k8s-default 93, as node 3 above), node 2 lower. */
    node_view tied[N_MAX] = {nodes[3], nodes[3], nodes[0], nodes[3], nodes[4]};
    sched_view v = make_view();
    v.nodes = tied;
    baseline *s = NULL;
    CHECK_EQ_INT(baseline_create(&s, "k8s-default", 3), 0);
    int count[N_MAX] = {0};
    for (int it = 0; it < 200; it++) {
        int got = baseline_pick(s, &v);
        if (got >= 0 && got < N_MAX) count[got]++;
    }
    CHECK(count[0] > 0 && count[1] > 0 && count[3] > 0);
    CHECK_EQ_INT(count[2], 0);
    CHECK_EQ_INT(count[4], 0);
    CHECK_EQ_INT(count[0] + count[1] + count[3], 200);
    /* Masking node 3 leaves the tie to 0 and 1. */
    mask[3] = 0;
    memset(count, 0, sizeof count);
    for (int it = 0; it < 200; it++) {
        int got = baseline_pick(s, &v);
        if (got >= 0 && got < N_MAX) count[got]++;
    }
    CHECK(count[0] > 0 && count[1] > 0);
    CHECK_EQ_INT(count[0] + count[1], 200);
    baseline_free(s);
}

static void test_round_robin(void)
{
    sched_view v = make_view();
    baseline *s = NULL;
    CHECK_EQ_INT(baseline_create(&s, "round-robin", 1), 0);
    mask[1] = 0; /* masked: 0, 2, 3 */
    const int want[7] = {0, 2, 3, 0, 2, 3, 0};
    for (int k = 0; k < 7; k++)
        CHECK_EQ_INT(baseline_pick(s, &v), want[k]);
    /* Scoring does not advance: next is 2, twice. */
    double sc[N_MAX];
    for (int k = 0; k < 2; k++) {
        CHECK_EQ_INT(baseline_score(s, &v, sc), 0);
        CHECK(sc[0] == 0 && sc[1] == -1 && sc[2] == 100 && sc[3] == 0 && sc[4] == -1);
    }
    CHECK_EQ_INT(baseline_pick(s, &v), 2);
    /* The mask changes under it: from 2, with 3 masked out and 1 back in, next is 0 then 1. */
    mask[3] = 0;
    mask[1] = 1;
    CHECK_EQ_INT(baseline_pick(s, &v), 0);
    CHECK_EQ_INT(baseline_pick(s, &v), 1);
    CHECK_EQ_INT(baseline_pick(s, &v), 2);
    CHECK_EQ_INT(baseline_pick(s, &v), 0);
    /* Reset starts over at the first masked node. */
    baseline_reset(s, 1);
    mask[0] = 0;
    CHECK_EQ_INT(baseline_pick(s, &v), 1);
    baseline_free(s);
}

static void test_random(void)
{
    sched_view v = make_view();
    mask[2] = 0; /* masked: 0, 1, 3 */
    baseline *a = NULL, *b = NULL, *c = NULL;
    CHECK_EQ_INT(baseline_create(&a, "random", 11), 0);
    CHECK_EQ_INT(baseline_create(&b, "random", 11), 0);
    CHECK_EQ_INT(baseline_create(&c, "random", 12), 0);
    enum { PICKS = 6000 };
    int count[N_MAX] = {0}, seq_a[100], same_b = 1, same_c = 1;
    for (int k = 0; k < PICKS; k++) {
        int pa = baseline_pick(a, &v);
        int pb = baseline_pick(b, &v);
        int pc = baseline_pick(c, &v);
        if (pa >= 0 && pa < N_MAX) count[pa]++;
        if (k < 100) seq_a[k] = pa;
        same_b &= pa == pb;
        same_c &= pa == pc;
    }
    CHECK(same_b);  /* same seed, same picks */
    CHECK(!same_c); /* another seed, other picks */
    CHECK_EQ_INT(count[2], 0);
    CHECK_EQ_INT(count[4], 0);
    /* Chi-square over the 3 masked nodes (2 degrees of freedom, expected 2000 each); 25 has
     * p < 4e-6 for a uniform pick, while a bias of a few percent would exceed it. */
    double chi2 = 0;
    const int masked[3] = {0, 1, 3};
    for (int k = 0; k < 3; k++) {
        double d = count[masked[k]] - PICKS / 3.0;
        chi2 += d * d / (PICKS / 3.0);
    }
    CHECK_MSG(chi2 < 25, "chi2 %.2f (counts %d %d %d)", chi2, count[0], count[1], count[3]);
    /* Reset with the seed replays the same picks. */
    baseline_reset(a, 11);
    int replay = 1;
    for (int k = 0; k < 100; k++)
        replay &= baseline_pick(a, &v) == seq_a[k];
    CHECK(replay);
    /* Scores are in [0, 100) for masked nodes, -1 for the rest. */
    double sc[N_MAX];
    CHECK_EQ_INT(baseline_score(a, &v, sc), 0);
    CHECK(sc[0] >= 0 && sc[0] < 100 && sc[1] >= 0 && sc[1] < 100 && sc[3] >= 0 && sc[3] < 100);
    CHECK(sc[2] == -1 && sc[4] == -1);
    baseline_free(a);
    baseline_free(b);
    baseline_free(c);
}

static void test_names_and_errors(void)
{
    const char *const want[] = {"random",         "round-robin", "k8s-default",
                                "most-allocated", "load-aware",  "oracle"};
    const char *const *names = baseline_names();
    int n = 0;
    while (names[n])
        n++;
    CHECK_EQ_INT(n, 6);
    for (int k = 0; k < 6 && k < n; k++)
        CHECK_MSG(strcmp(names[k], want[k]) == 0, "%s != %s", names[k], want[k]);

    baseline *s = (baseline *)&n; /* must be reset to NULL on failure */
    CHECK_EQ_INT(baseline_create(&s, "x", 1), KISIM_EUSAGE);
    CHECK(s == NULL);
    CHECK_STR_CONTAINS(kisim_errmsg(), "unknown scorer \"x\" (expected one of: random, "
                                       "round-robin, k8s-default, most-allocated, load-aware, "
                                       "oracle)");
    CHECK_EQ_INT(baseline_create(&s, NULL, 1), KISIM_EUSAGE);

    CHECK_EQ_INT(baseline_create(&s, "load-aware", 1), 0);
    CHECK(s && strcmp(baseline_name(s), "load-aware") == 0);
    baseline_free(s);
    baseline_free(NULL);

    /* The oracle without the sim's hidden state. */
    CHECK_EQ_INT(baseline_create(&s, "oracle", 1), 0);
    sched_view v = make_view();
    double sc[N_MAX];
    CHECK_EQ_INT(baseline_score(s, &v, sc), KISIM_EUNSUPPORTED);
    CHECK_STR_CONTAINS(kisim_errmsg(), "true state");
    CHECK_EQ_INT(baseline_pick(s, &v), KISIM_EUNSUPPORTED);
    baseline_free(s);
}

int main(void)
{
    RUN(test_least_allocated);
    RUN(test_balanced_allocation);
    RUN(test_k8s_default);
    RUN(test_most_allocated);
    RUN(test_load_aware);
    RUN(test_masked_never_picked);
    RUN(test_ties);
    RUN(test_round_robin);
    RUN(test_random);
    RUN(test_names_and_errors);
    TEST_MAIN_END();
}
