/* vecenv.c: K envs stepped in turn into one set of flat arrays, with same-step auto-reset. */
#include "env/vecenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct vecenv {
    int k;
    kisim_env **envs;  /* [k] owned */
    uint64_t *episode; /* [k] episodes started by each env */
    uint64_t seed;
    uint64_t first, total; /* this vecenv's place in a larger vector env (vecenv_reset_span) */
    env_spaces sp;
};

int vecenv_init(vecenv **out, const kisim_config *cfg, int k)
{
    *out = NULL;
    if (k < 1) return kisim_seterr(KISIM_EUSAGE, "vecenv: need at least one env, got %d", k);
    vecenv *v = calloc(1, sizeof *v);
    if (!v) return kisim_seterr(KISIM_ENOMEM, "vecenv: out of memory");
    v->k = k;
    v->envs = calloc((size_t)k, sizeof *v->envs);
    v->episode = calloc((size_t)k, sizeof *v->episode);
    if (!v->envs || !v->episode) {
        vecenv_free(v);
        return kisim_seterr(KISIM_ENOMEM, "vecenv: out of memory");
    }
    for (int i = 0; i < k; i++) {
        int err = env_init(&v->envs[i], cfg);
        if (err) {
            vecenv_free(v);
            return err;
        }
    }
    env_get_spaces(v->envs[0], &v->sp);
    *out = v;
    return 0;
}

void vecenv_free(vecenv *v)
{
    if (!v) return;
    for (int i = 0; v->envs && i < v->k; i++)
        env_free(v->envs[i]);
    free(v->envs);
    free(v->episode);
    free(v);
}

int vecenv_size(const vecenv *v)
{
    return v->k;
}

kisim_env *vecenv_env(vecenv *v, int k)
{
    return v->envs[k];
}

static int start_episode(vecenv *v, int i, float *obs, uint8_t *mask)
{
    uint64_t seed = v->seed + v->first + (uint64_t)i + v->total * v->episode[i]++;
    return env_reset(v->envs[i], seed, obs + (size_t)i * v->sp.obs_dim,
                     mask + (size_t)i * v->sp.mask_dim);
}

int vecenv_reset(vecenv *v, uint64_t seed, float *obs, uint8_t *mask)
{
    return vecenv_reset_span(v, seed, 0, (uint64_t)v->k, obs, mask);
}

int vecenv_reset_span(vecenv *v, uint64_t seed, uint64_t first, uint64_t total, float *obs,
                      uint8_t *mask)
{
    v->seed = seed;
    v->first = first;
    v->total = total;
    memset(v->episode, 0, (size_t)v->k * sizeof *v->episode);
    for (int i = 0; i < v->k; i++) {
        int err = start_episode(v, i, obs, mask);
        if (err) return err;
    }
    return 0;
}

int vecenv_step(vecenv *v, const int32_t *actions, float *obs, uint8_t *mask, float *rewards,
                uint8_t *terminated, uint8_t *truncated, float *info)
{
    for (int i = 0; i < v->k; i++) {
        float *o = obs + (size_t)i * v->sp.obs_dim;
        uint8_t *m = mask + (size_t)i * v->sp.mask_dim;
        int err = env_step(v->envs[i], actions + 2 * i, o, m, rewards + i, terminated + i,
                           truncated + i, info + (size_t)i * v->sp.n_info);
        if (err) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", kisim_errmsg());
            return kisim_seterr(err, "env %d: %s", i, msg);
        }
        if (terminated[i] || truncated[i]) {
            err = start_episode(v, i, obs, mask);
            if (err) return err;
        }
    }
    return 0;
}

uint64_t vecenv_episode(const vecenv *v, int k)
{
    return v->episode[k] - 1; /* the counter already counts the current episode */
}

int vecenv_replay(vecenv *v, int k, uint64_t j, const int32_t *actions, int n, float *obs,
                  uint8_t *mask)
{
    v->episode[k] = j;
    int err = start_episode(v, k, obs, mask);
    float *o = obs + (size_t)k * v->sp.obs_dim, r, info[KISIM_N_INFO];
    uint8_t *m = mask + (size_t)k * v->sp.mask_dim, term, trunc;
    for (int i = 0; i < n && !err; i++) {
        err = env_step(v->envs[k], actions + 2 * i, o, m, &r, &term, &trunc, info);
        if (!err && (term || trunc))
            err = kisim_seterr(KISIM_ESTATE, "vecenv: replay of env %d ended its episode early", k);
    }
    return err;
}
