/* test_sim_determinism.c: the same seed and actions give byte-identical trajectories; a
 * different seed gives a different one; reset(seed) twice gives the same first observation. */
#include <stdint.h>

#include "common/config.h"
#include "common/err.h"
#include "common/rng.h"
#include "env/env.h"
#include "test.h"

typedef struct {
    float *obs, *info;
    uint8_t *mask;
    float reward;
    uint8_t term, trunc;
} traj;

static kisim_config quickstart(void)
{
    kisim_config cfg;
    cfg_default(&cfg); /* the defaults are quickstart's values */
    return cfg;
}

/* A seeded policy: a random masked node and a random allowed scale. */
static void act(rng *r, const uint8_t *mask, int n_max, int32_t a[2])
{
    int node = (int)rng_below(r, (uint32_t)n_max);
    while (!mask[node])
        node = (node + 1) % n_max;
    int scale = (int)rng_below(r, 3);
    while (!mask[n_max + scale])
        scale = (scale + 1) % 3;
    a[0] = node;
    a[1] = scale;
}

/* Plays `steps` decisions (resetting at episode ends) and hashes every byte written. */
static uint64_t play(uint64_t seed, int steps, float *first_obs)
{
    kisim_config cfg = quickstart();
    kisim_env *e;
    if (env_init(&e, &cfg)) return 0;
    env_spaces sp;
    env_get_spaces(e, &sp);
    float *obs = calloc((size_t)sp.obs_dim, sizeof *obs), info[KISIM_N_INFO];
    uint8_t *mask = calloc((size_t)sp.mask_dim, 1), term = 0, trunc = 0;
    rng policy;
    rng_seed(&policy, 99);
    uint64_t h = 1469598103934665603ULL;
#define HASH(p, n)                                                                                 \
    for (size_t i_ = 0; i_ < (n); i_++)                                                            \
    h = (h ^ ((const uint8_t *)(p))[i_]) * 1099511628211ULL
    env_reset(e, seed, obs, mask);
    if (first_obs) memcpy(first_obs, obs, (size_t)sp.obs_dim * sizeof *obs);
    HASH(obs, (size_t)sp.obs_dim * sizeof *obs);
    for (int s = 0; s < steps; s++) {
        int32_t a[2];
        float r;
        act(&policy, mask, sp.n_max, a);
        int err = env_step(e, a, obs, mask, &r, &term, &trunc, info);
        CHECK_MSG(err == 0, "%s", kisim_errmsg());
        HASH(obs, (size_t)sp.obs_dim * sizeof *obs);
        HASH(mask, (size_t)sp.mask_dim);
        HASH(info, sizeof info);
        HASH(&r, sizeof r);
        if (term || trunc) env_reset(e, ++seed, obs, mask);
    }
    free(obs);
    free(mask);
    env_free(e);
    return h;
}

static void test_same_seed_same_bytes(void)
{
    uint64_t a = play(42, 300, NULL), b = play(42, 300, NULL);
    CHECK(a != 0);
    CHECK_MSG(a == b, "trajectory hashes %016llx vs %016llx", (unsigned long long)a,
              (unsigned long long)b);
}

static void test_different_seed_different_trajectory(void)
{
    CHECK(play(42, 300, NULL) != play(43, 300, NULL));
}

static void test_reset_twice_same_observation(void)
{
    kisim_config cfg = quickstart();
    kisim_env *e;
    CHECK(env_init(&e, &cfg) == 0);
    env_spaces sp;
    env_get_spaces(e, &sp);
    float *a = calloc((size_t)sp.obs_dim, sizeof *a), *b = calloc((size_t)sp.obs_dim, sizeof *b);
    uint8_t *m = calloc((size_t)sp.mask_dim, 1);
    env_reset(e, 5, a, m);
    int32_t act1[2] = {0, 1};
    while (!m[act1[0]])
        act1[0]++;
    float r, info[KISIM_N_INFO];
    uint8_t t1, t2;
    env_step(e, act1, b, m, &r, &t1, &t2, info); /* some state in between */
    env_reset(e, 5, b, m);
    CHECK(memcmp(a, b, (size_t)sp.obs_dim * sizeof *a) == 0);
    float *c = calloc((size_t)sp.obs_dim, sizeof *c);
    play(5, 0, c); /* a fresh env agrees too */
    CHECK(memcmp(a, c, (size_t)sp.obs_dim * sizeof *a) == 0);
    free(a);
    free(b);
    free(c);
    free(m);
    env_free(e);
}

int main(void)
{
    RUN(test_same_seed_same_bytes);
    RUN(test_different_seed_different_trajectory);
    RUN(test_reset_twice_same_observation);
    TEST_MAIN_END();
}
