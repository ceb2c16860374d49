/* ppo_envs.c: the cluster and CartPole adapters of ppo_envs.h. */
#include "agent/ppo_envs.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"
#include "env/cartpole.h"
#include "env/spaces.h"
#include "env/vecenv.h"

const char *const ppo_ep_stat_names[EP_N_STATS] = {
#define EP_NAME(id, name) name,
    PPO_EP_STATS(EP_NAME)
#undef EP_NAME
};

/* ---- cluster ---- */

typedef struct {
    vecenv *v;
    env_spaces sp;
    float *info, *ret;   /* [k, n_info], [k] */
    uint8_t *term, *trunc;
    uint8_t *hidden;     /* [k, F]: 1 = feature masked for this env's current episode */
    double mask_prob;
    rng rng;
} cluster_state;

/* Draws which measured features this env's next episode cannot see. */
static void draw_feature_mask(cluster_state *s, int k)
{
    uint8_t *h = s->hidden + (size_t)k * KISIM_F;
    for (int f = 0; f < KISIM_F; f++)
        h[f] = f < KISIM_F_MEASURED && rng_uniform(&s->rng) < s->mask_prob;
}

/* Hides the env's masked features: zero telemetry, availability 0. */
static void apply_feature_mask(const cluster_state *s, int k, float *obs)
{
    const uint8_t *h = s->hidden + (size_t)k * KISIM_F;
    float *o = obs + (size_t)k * s->sp.obs_dim;
    for (int f = 0; f < KISIM_F; f++) {
        if (!h[f]) continue;
        for (int n = 0; n < s->sp.n_max; n++)
            for (int t = 0; t < s->sp.window; t++)
                o[s->sp.off_nodes + ((size_t)n * s->sp.window + t) * KISIM_F + f] = 0;
        o[s->sp.off_availability + f] = 0;
    }
}

static int cluster_reset(ppo_envs *e, uint64_t seed, float *obs, uint8_t *mask)
{
    cluster_state *s = e->state;
    int err = vecenv_reset(s->v, seed, obs, mask);
    for (int k = 0; k < e->k && !err; k++) {
        s->ret[k] = 0;
        draw_feature_mask(s, k);
        apply_feature_mask(s, k, obs);
    }
    return err;
}

static int cluster_step(ppo_envs *e, const int32_t *actions, float *obs, uint8_t *mask,
                        float *reward, uint8_t *done, uint8_t *ep_done, float *ep)
{
    cluster_state *s = e->state;
    int err = vecenv_step(s->v, actions, obs, mask, reward, s->term, s->trunc, s->info);
    if (err) return err;
    for (int k = 0; k < e->k; k++) {
        const float *info = s->info + (size_t)k * KISIM_N_INFO;
        s->ret[k] += reward[k];
        done[k] = ep_done[k] = s->term[k] || s->trunc[k];
        if (done[k]) {
            float *st = ep + (size_t)k * EP_N_STATS;
            st[EP_RETURN] = s->ret[k];
            st[EP_LENGTH] = info[INFO_EP_LENGTH];
            st[EP_P99_MS] = info[INFO_EP_P99_MS];
            st[EP_CONTENDED] = info[INFO_EP_CONTENDED_SHARE];
            st[EP_COST] = info[INFO_EP_COST];
            st[EP_ERROR_RATE] = info[INFO_EP_ERROR_RATE];
            s->ret[k] = 0;
            draw_feature_mask(s, k);
        }
        apply_feature_mask(s, k, obs);
    }
    return 0;
}

static void cluster_free(ppo_envs *e)
{
    cluster_state *s = e->state;
    if (!s) return;
    vecenv_free(s->v);
    free(s->info), free(s->ret), free(s->term), free(s->trunc), free(s->hidden);
    free(s);
    e->state = NULL;
}

static int open_cluster(ppo_envs *e, const kisim_config *cfg)
{
    int K = cfg->train.num_envs;
    cluster_state *s = calloc(1, sizeof *s);
    if (!s) return kisim_seterr(KISIM_ENOMEM, "train: out of memory");
    e->state = s;
    e->free = cluster_free;
    int err = vecenv_init(&s->v, cfg, K);
    if (err) return err;
    env_get_spaces(vecenv_env(s->v, 0), &s->sp);
    s->info = calloc((size_t)K * KISIM_N_INFO, sizeof *s->info);
    s->ret = calloc((size_t)K, sizeof *s->ret);
    s->term = calloc((size_t)K, 1);
    s->trunc = calloc((size_t)K, 1);
    s->hidden = calloc((size_t)K * KISIM_F, 1);
    if (!s->info || !s->ret || !s->term || !s->trunc || !s->hidden)
        return kisim_seterr(KISIM_ENOMEM, "train: out of memory");
    s->mask_prob = cfg->train.feature_mask_prob;
    rng_seed(&s->rng, cfg->train.seed ^ 0x6d61736bULL); /* "mask" */
    e->k = K;
    e->obs_dim = s->sp.obs_dim;
    e->mask_dim = s->sp.mask_dim;
    e->n_nodes = s->sp.n_max;
    e->window = s->sp.window;
    e->reset = cluster_reset;
    e->step = cluster_step;
    return 0;
}

/* ---- CartPole ---- */

typedef struct {
    cartpole *c;
    float *ret;
    int *len;
} cartpole_state;

static int cp_reset(ppo_envs *e, uint64_t seed, float *obs, uint8_t *mask)
{
    (void)mask;
    cartpole_state *s = e->state;
    for (int k = 0; k < e->k; k++) {
        cartpole_reset(&s->c[k], seed + (uint64_t)k, obs + (size_t)k * CARTPOLE_OBS);
        s->ret[k] = 0;
        s->len[k] = 0;
    }
    return 0;
}

static int cp_step(ppo_envs *e, const int32_t *actions, float *obs, uint8_t *mask,
                   float *reward, uint8_t *done, uint8_t *ep_done, float *ep)
{
    (void)mask;
    cartpole_state *s = e->state;
    for (int k = 0; k < e->k; k++) {
        uint8_t term, trunc;
        float *o = obs + (size_t)k * CARTPOLE_OBS;
        cartpole_step(&s->c[k], actions[2 * k], o, &reward[k], &term, &trunc);
        s->ret[k] += reward[k];
        s->len[k]++;
        done[k] = ep_done[k] = term || trunc;
        if (done[k]) {
            float *st = ep + (size_t)k * EP_N_STATS;
            memset(st, 0, EP_N_STATS * sizeof *st);
            st[EP_RETURN] = s->ret[k];
            st[EP_LENGTH] = (float)s->len[k];
            s->ret[k] = 0;
            s->len[k] = 0;
            cartpole_reset_next(&s->c[k], o);
        }
    }
    return 0;
}

static void cp_free(ppo_envs *e)
{
    cartpole_state *s = e->state;
    if (!s) return;
    free(s->c), free(s->ret), free(s->len);
    free(s);
    e->state = NULL;
}

static int open_cartpole(ppo_envs *e, int K)
{
    cartpole_state *s = calloc(1, sizeof *s);
    if (!s) return kisim_seterr(KISIM_ENOMEM, "train: out of memory");
    e->state = s;
    e->free = cp_free;
    s->c = calloc((size_t)K, sizeof *s->c);
    s->ret = calloc((size_t)K, sizeof *s->ret);
    s->len = calloc((size_t)K, sizeof *s->len);
    if (!s->c || !s->ret || !s->len) return kisim_seterr(KISIM_ENOMEM, "train: out of memory");
    e->k = K;
    e->obs_dim = CARTPOLE_OBS;
    e->n_actions = CARTPOLE_ACTIONS;
    e->reset = cp_reset;
    e->step = cp_step;
    return 0;
}

int ppo_envs_open(ppo_envs *e, const kisim_config *cfg)
{
    memset(e, 0, sizeof *e);
    int err = cfg->train.env == TRAIN_ENV_CARTPOLE ? open_cartpole(e, cfg->train.num_envs)
                                                   : open_cluster(e, cfg);
    if (err && e->free) e->free(e);
    return err;
}
