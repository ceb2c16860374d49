/* test_xgb_scorer.c: the XGBoost scorer on a rule it must learn (label 1 exactly when the node's
 * standardised CPU utilisation is below 0), unmeasured features passed as missing, and the
 * checkpoint round trip (XGBoost's model bytes inside the safetensors file). */
#include "policy/xgb_scorer.h"

#include <unistd.h>

#include "common/rng.h"
#include "env/spaces.h"
#include "test.h"

enum { ROWS = 2000, T = 2, F = KISIM_F };

static void test_learns_a_rule_and_round_trips(void)
{
    xgb_scorer m;
    CHECK(xgb_scorer_init(&m, 8) == 0);
    rng r;
    rng_seed(&r, 5);
    static float X[ROWS * XGB_IN], y[ROWS], w[ROWS], win[T * F];
    float pod[KISIM_P] = {0}, avail[F];
    for (int f = 0; f < F; f++) avail[f] = 1;
    for (int k = 0; k < ROWS; k++) {
        for (int i = 0; i < T * F; i++) win[i] = (float)(rng_uniform(&r) * 2 - 1);
        xgb_scorer_inputs(&m, X + k * XGB_IN, win, T, avail, pod);
        y[k] = X[k * XGB_IN + FEAT_CPU_UTILIZATION] < 0;
        w[k] = 1;
    }
    CHECK(xgb_scorer_train(&m, X, y, w, ROWS / 2, X + ROWS / 2 * XGB_IN, y + ROWS / 2,
                           w + ROWS / 2, ROWS / 2, 20, 1, 0) == 0);
    static float nodes[2 * T * F];
    for (int i = 0; i < 2 * T * F; i++) nodes[i] = 0.1f;
    for (int t = 0; t < T; t++) {
        nodes[t * F + FEAT_CPU_UTILIZATION] = -0.8f;         /* node 0: label 1 */
        nodes[(T + t) * F + FEAT_CPU_UTILIZATION] = 0.8f;    /* node 1: label 0 */
    }
    CHECK(xgb_scorer_forward(&m, nodes, 2, T, avail, pod) == 0);
    CHECK_MSG(m.score[0] > 90 && m.score[1] < 10, "scores %.1f %.1f", m.score[0], m.score[1]);
    float s0 = m.score[0], s1 = m.score[1];
    /* CPU unmeasured: missing, not a value; the scores no longer separate the nodes */
    avail[FEAT_CPU_UTILIZATION] = 0;
    CHECK(xgb_scorer_forward(&m, nodes, 2, T, avail, pod) == 0);
    CHECK_NEAR(m.score[0], m.score[1], 1e-4);
    avail[FEAT_CPU_UTILIZATION] = 1;
    char path[] = "/tmp/kisim_xgb_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(xgb_scorer_save(&m, path, NULL) == 0);
    xgb_scorer l;
    CHECK(xgb_scorer_load(&l, path, 8) == 0);
    CHECK(xgb_scorer_forward(&l, nodes, 2, T, avail, pod) == 0);
    CHECK(l.score[0] == s0 && l.score[1] == s1);
    xgb_scorer_free(&l);
    unlink(path);
    xgb_scorer_free(&m);
}

int main(void)
{
    RUN(test_learns_a_rule_and_round_trips);
    TEST_MAIN_END();
}
