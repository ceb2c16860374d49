/* test_oracle.c: the oracle reads the sim's hidden state (through sched_view.truth). For a service
 * replica it must pick a node whose true inflation is within what its 10% k8s-default tie-break
 * allows of the best masked node's, so it rarely lands on a noisy node (a mildly noisy node may win
 * the tie-break); without the true state it refuses. */
#include "common/config.h"
#include "common/err.h"
#include "env/baselines/baseline.h"
#include "env/env.h"
#include "test.h"

static void test_oracle_follows_true_inflation(void)
{
    kisim_config cfg;
    cfg_default(&cfg);
    kisim_env *e;
    CHECK(env_init(&e, &cfg) == 0);
    env_spaces sp;
    env_get_spaces(e, &sp);
    float *obs = calloc((size_t)sp.obs_dim, sizeof *obs), info[KISIM_N_INFO], r;
    uint8_t *mask = calloc((size_t)sp.mask_dim, 1), term, trunc;
    baseline *sc;
    CHECK(baseline_create(&sc, "oracle", 1) == 0);
    int replicas = 0, quiet_chances = 0, noisy_picked = 0;
    for (int ep = 0; ep < 10; ep++) {
        env_reset(e, 1000000 + (uint64_t)ep, obs, mask);
        term = trunc = 0;
        while (!term && !trunc) {
            sched_view v;
            env_sched_view(e, obs, mask, &v);
            int node = baseline_pick(sc, &v);
            CHECK(node >= 0 && mask[node]);
            if (node < 0) break;
            if (v.pod->is_replica) {
                const sched_truth *t = v.truth;
                double best = 1e30;
                int quiet_open = 0;
                for (int i = 0; i < v.n_max; i++) {
                    if (!mask[i]) continue;
                    double x = t->ls_inflation(t->state, i, 1);
                    best = x < best ? x : best;
                    quiet_open |= t->noisy_on(t->state, i) == 0 && x < 1.001;
                }
                /* 90 / x_picked + 10 >= 90 / x_best  <=>  x_picked <= 90 / (90 / x_best - 10) */
                double x = t->ls_inflation(t->state, node, 1);
                double bound = 90 / x < 10 ? 1e30 : 90 / (90 / best - 10);
                CHECK_MSG(x <= bound + 1e-9, "picked inflation %.4f, best %.4f", x, best);
                if (quiet_open) {
                    quiet_chances++;
                    noisy_picked += t->noisy_on(t->state, node) > 0;
                }
                replicas++;
            }
            int32_t a[2] = {node, hpa_scale_action(v.service, mask + v.n_max)};
            CHECK(env_step(e, a, obs, mask, &r, &term, &trunc, info) == 0);
        }
    }
    CHECK(replicas >= 30);
    CHECK(quiet_chances >= 10);
    CHECK_MSG(noisy_picked * 10 < quiet_chances, "%d noisy picks in %d chances", noisy_picked,
              quiet_chances);
    /* Without the true state there is no oracle. */
    sched_view v;
    env_sched_view(e, obs, mask, &v);
    v.truth = NULL;
    double scores[64];
    CHECK(baseline_score(sc, &v, scores) == KISIM_EUNSUPPORTED);
    baseline_free(sc);
    free(obs);
    free(mask);
    env_free(e);
}

int main(void)
{
    RUN(test_oracle_follows_true_inflation);
    TEST_MAIN_END();
}
