/* test_vecenv.c: K envs stepped together, with same-step auto-reset and the seed rule of
 * docs/SEEDS.md:
 * episode j of env k uses seed + k + K * j. Every env's arrays must equal those of a lone env
 * driven with the same seeds and actions. */
#include "common/config.h"
#include "common/err.h"
#include "env/vecenv.h"
#include "test.h"

enum { K = 3 };

static void test_auto_reset_and_seeds(void)
{
    kisim_config cfg;
    cfg_default(&cfg);
    cfg.env.horizon_s = 60; /* short episodes: several resets per env */
    vecenv *v;
    CHECK(vecenv_init(&v, &cfg, K) == 0);
    env_spaces sp;
    env_get_spaces(vecenv_env(v, 0), &sp);
    size_t od = (size_t)sp.obs_dim, md = (size_t)sp.mask_dim;
    float *obs = calloc(K * od, sizeof *obs), *info = calloc(K * KISIM_N_INFO, sizeof *info);
    uint8_t *mask = calloc(K * md, 1), term[K], trunc[K];
    float rew[K];

    /* The reference: one lone env per index, reset by hand with the documented seeds. */
    kisim_env *ref[K];
    float *robs = calloc(od, sizeof *robs), rinfo[KISIM_N_INFO], rr;
    uint8_t *rmask = calloc(md, 1), rt, rtr;
    int episode[K] = {0};
    CHECK(vecenv_reset(v, 100, obs, mask) == 0);
    for (int k = 0; k < K; k++) {
        CHECK(env_init(&ref[k], &cfg) == 0);
        env_reset(ref[k], 100 + k, robs, rmask);
        CHECK(memcmp(robs, obs + k * od, od * sizeof *robs) == 0);
    }
    int resets = 0;
    for (int s = 0; s < 120; s++) {
        int32_t act[2 * K];
        for (int k = 0; k < K; k++) {
            int node = (s + k) % sp.n_max;
            while (!mask[k * md + node])
                node = (node + 1) % sp.n_max;
            act[2 * k] = node;
            act[2 * k + 1] = 1;
        }
        CHECK(vecenv_step(v, act, obs, mask, rew, term, trunc, info) == 0);
        for (int k = 0; k < K; k++) {
            CHECK(env_step(ref[k], act + 2 * k, robs, rmask, &rr, &rt, &rtr, rinfo) == 0);
            CHECK(rr == rew[k] && rt == term[k] && rtr == trunc[k]);
            CHECK(memcmp(rinfo, info + k * KISIM_N_INFO, sizeof rinfo) == 0);
            if (rt || rtr) {
                CHECK_NEAR(info[k * KISIM_N_INFO + INFO_EP_DONE], 1, 0);
                episode[k]++;
                env_reset(ref[k], 100 + (uint64_t)k + (uint64_t)K * (uint64_t)episode[k], robs,
                          rmask);
                resets++;
            }
            /* After a reset the vector env already shows the next episode's first obs. */
            CHECK(memcmp(robs, obs + k * od, od * sizeof *robs) == 0);
            CHECK(memcmp(rmask, mask + k * md, md) == 0);
        }
    }
    CHECK_MSG(resets >= 2 * K, "only %d resets", resets);
    for (int k = 0; k < K; k++)
        env_free(ref[k]);
    free(robs);
    free(rmask);
    free(obs);
    free(info);
    free(mask);
    vecenv_free(v);
}

static void test_error_names_the_env(void)
{
    kisim_config cfg;
    cfg_default(&cfg);
    vecenv *v;
    CHECK(vecenv_init(&v, &cfg, 2) == 0);
    env_spaces sp;
    env_get_spaces(vecenv_env(v, 0), &sp);
    float *obs = calloc(2 * (size_t)sp.obs_dim, sizeof *obs), info[2 * KISIM_N_INFO], rew[2];
    uint8_t *mask = calloc(2 * (size_t)sp.mask_dim, 1), term[2], trunc[2];
    vecenv_reset(v, 0, obs, mask);
    int first = 0;
    while (!mask[first])
        first++;
    int32_t act[4] = {first, 1, 15, 1}; /* env 1: node 15 does not exist */
    int second = 0;
    while (!mask[sp.mask_dim + second])
        second++;
    act[2] = mask[sp.mask_dim + 15] ? second : 15;
    CHECK(vecenv_step(v, act, obs, mask, rew, term, trunc, info) == KISIM_EINVALID_ACTION);
    CHECK_STR_CONTAINS(kisim_errmsg(), "env 1: invalid action");
    vecenv *none;
    CHECK(vecenv_init(&none, &cfg, 0) == KISIM_EUSAGE);
    CHECK(none == NULL);
    free(obs);
    free(mask);
    vecenv_free(v);
}

int main(void)
{
    RUN(test_auto_reset_and_seeds);
    RUN(test_error_names_the_env);
    TEST_MAIN_END();
}
