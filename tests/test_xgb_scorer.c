/* test_xgb_scorer.c: the XGBoost scorer on a rule it must learn (label 1 exactly when the node's
 * standardised CPU utilisation is below 0), unmeasured features passed as missing, the
 * checkpoint round trip (XGBoost's model bytes inside the safetensors file), and early stopping
 * on labels that are pure noise (the validation loss only gets worse after the first rounds). */
#include "policy/xgb_scorer.h"

#include <unistd.h>

#include "common/rng.h"
#include "spaces/spaces.h"
#include "test.h"

enum { ROWS = 2000, T = 2, F = KISIM_F };

static void test_learns_a_rule_and_round_trips(void)
{
    xgb_scorer m;
    int best = 0;
    CHECK(xgb_scorer_init(&m, 8) == 0);
    rng r;
    rng_seed(&r, 5);
    static float X[ROWS * XGB_IN], y[ROWS], w[ROWS], win[T * F];
    float pod[KISIM_P] = {0}, avail[F];
    for (int f = 0; f < F; f++)
        avail[f] = 1;
    for (int k = 0; k < ROWS; k++) {
        for (int i = 0; i < T * F; i++)
            win[i] = (float)(rng_uniform(&r) * 2 - 1);
        xgb_scorer_inputs(&m, X + k * XGB_IN, win, T, avail, pod);
        y[k] = X[k * XGB_IN + FEAT_CPU_UTILIZATION] < 0;
        w[k] = 1;
    }
    CHECK(xgb_scorer_train(&m, X, y, w, ROWS / 2, X + ROWS / 2 * XGB_IN, y + ROWS / 2, w + ROWS / 2,
                           ROWS / 2, 20, 100, 1, 0, &best, NULL) == 0);
    /* patience beyond the rounds: all 20 run, the model keeps those up to the best one */
    CHECK_MSG(best > 5 && xgb_scorer_rounds(&m) == best, "best %d, kept %d", best,
              xgb_scorer_rounds(&m));
    static float nodes[2 * T * F];
    for (int i = 0; i < 2 * T * F; i++)
        nodes[i] = 0.1f;
    for (int t = 0; t < T; t++) {
        nodes[t * F + FEAT_CPU_UTILIZATION] = -0.8f;      /* node 0: label 1 */
        nodes[(T + t) * F + FEAT_CPU_UTILIZATION] = 0.8f; /* node 1: label 0 */
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

/* Labels independent of the inputs: each round fits training noise, so the validation loss
 * is lowest after a few rounds; training stops `patience` rounds later and keeps the best. The
 * reported best loss must be the weighted log-loss of the kept model's own predictions,
 * computed here from its scores. */
static void test_early_stopping(void)
{
    xgb_scorer m;
    CHECK(xgb_scorer_init(&m, ROWS) == 0);
    rng r;
    rng_seed(&r, 11);
    static float X[ROWS * XGB_IN], y[ROWS], w[ROWS], nodes[ROWS * F];
    float pod[KISIM_P] = {0};
    for (int k = 0; k < ROWS; k++) {
        for (int f = 0; f < F; f++)
            nodes[k * F + f] = X[k * XGB_IN + f] = (float)rng_uniform(&r);
        for (int p = 0; p < KISIM_P; p++)
            X[k * XGB_IN + F + p] = 0;
        y[k] = rng_uniform(&r) < 0.5;
        w[k] = y[k] ? 1 : 3;
    }
    int best = 0;
    double best_loss = 0;
    const int half = ROWS / 2;
    CHECK(xgb_scorer_train(&m, X, y, w, half, X + half * XGB_IN, y + half, w + half, half, 60, 4, 1,
                           0, &best, &best_loss) == 0);
    CHECK_MSG(best >= 1 && best < 20, "best round %d", best);
    CHECK_MSG(xgb_scorer_rounds(&m) == best, "kept %d rounds, best %d", xgb_scorer_rounds(&m),
              best);
    CHECK(xgb_scorer_forward(&m, nodes + half * F, half, 1, NULL, pod) == 0);
    double l = 0, ws = 0;
    for (int k = 0; k < half; k++) {
        double p = m.score[k] / 100, t = y[half + k];
        l -= w[half + k] * (t * log(p) + (1 - t) * log(1 - p));
        ws += w[half + k];
    }
    CHECK_NEAR(l / ws, best_loss, 1e-4);
    xgb_scorer_free(&m);
}

int main(void)
{
    RUN(test_learns_a_rule_and_round_trips);
    RUN(test_early_stopping);
    TEST_MAIN_END();
}
