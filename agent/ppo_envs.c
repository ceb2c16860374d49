/* ppo_envs.c: the cluster and CartPole adapters of ppo_envs.h. */
#include "agent/ppo_envs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"
#include "env/cartpole/cartpole.h"
#include "env/remote/client.h"
#include "env/vecenv.h"
#include "spaces/spaces.h"

const char *const ppo_ep_stat_names[EP_N_STATS] = {
#define EP_NAME(id, name) name,
    PPO_EP_STATS(EP_NAME)
#undef EP_NAME
};

/* ---- cluster ---- */

typedef struct {
    vecenv *v;            /* in-process envs, or */
    kisim_client *remote; /* env servers (train.remote) */
    env_spaces sp;
    int32_t **log; /* [k] actions of the current episode, [len, 2] */
    int *log_len, *log_cap;
    int32_t *log_flat; /* save()'s concatenation */
    uint64_t *episode; /* save()'s episode indices */
    float *info, *ret; /* [k, n_info], [k] */
    uint8_t *term, *trunc;
    uint8_t *hidden; /* [k, F]: 1 = feature masked for this env's current episode */
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
    int err =
        s->remote ? client_reset(s->remote, seed, obs, mask) : vecenv_reset(s->v, seed, obs, mask);
    for (int k = 0; k < e->k && !err; k++) {
        s->ret[k] = 0;
        s->log_len[k] = 0;
        draw_feature_mask(s, k);
        apply_feature_mask(s, k, obs);
    }
    return err;
}

/* Appends env k's action to its episode log (for --resume's replay). */
static int log_action(cluster_state *s, int k, const int32_t *a)
{
    if (s->log_len[k] == s->log_cap[k]) {
        int cap = s->log_cap[k] ? 2 * s->log_cap[k] : 128;
        int32_t *l = realloc(s->log[k], (size_t)cap * 2 * sizeof *l);
        if (!l) return kisim_seterr(KISIM_ENOMEM, "train: out of memory for the action log");
        s->log[k] = l;
        s->log_cap[k] = cap;
    }
    s->log[k][2 * s->log_len[k]] = a[0];
    s->log[k][2 * s->log_len[k] + 1] = a[1];
    s->log_len[k]++;
    return 0;
}

static int cluster_step(ppo_envs *e, const int32_t *actions, float *obs, uint8_t *mask,
                        float *reward, uint8_t *done, uint8_t *ep_done, float *ep)
{
    cluster_state *s = e->state;
    for (int k = 0; k < e->k; k++) {
        int err = log_action(s, k, actions + 2 * k);
        if (err) return err;
    }
    int err = s->remote
                  ? client_step(s->remote, actions, obs, mask, reward, s->term, s->trunc, s->info)
                  : vecenv_step(s->v, actions, obs, mask, reward, s->term, s->trunc, s->info);
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
            s->log_len[k] = 0;
            draw_feature_mask(s, k);
        }
        apply_feature_mask(s, k, obs);
    }
    return 0;
}

static int cluster_save(ppo_envs *e, ckpt *c)
{
    cluster_state *s = e->state;
    if (s->remote) return 0; /* remote envs keep their own state; see cluster_load */
    int64_t K = e->k, total = 0, kf = (int64_t)e->k * KISIM_F, four = 4;
    for (int k = 0; k < e->k; k++)
        total += s->log_len[k];
    free(s->log_flat);
    s->log_flat = malloc((size_t)(total ? total : 1) * 2 * sizeof *s->log_flat);
    if (!s->log_flat) return kisim_seterr(KISIM_ENOMEM, "train: out of memory");
    int32_t *dst = s->log_flat;
    for (int k = 0; k < e->k; k++) {
        memcpy(dst, s->log[k], (size_t)s->log_len[k] * 2 * sizeof *dst);
        dst += 2 * s->log_len[k];
        s->episode[k] = vecenv_episode(s->v, k);
    }
    int64_t shape2[2] = {total, 2};
    int err = ckpt_add(c, "envs.episode", CKPT_U64, 1, &K, s->episode);
    if (!err) err = ckpt_add(c, "envs.log_len", CKPT_I32, 1, &K, s->log_len);
    if (!err) err = ckpt_add(c, "envs.log", CKPT_I32, 2, shape2, s->log_flat);
    if (!err) err = ckpt_add(c, "envs.hidden", CKPT_U8, 1, &kf, s->hidden);
    if (!err) err = ckpt_add(c, "envs.return", CKPT_F32, 1, &K, s->ret);
    if (!err) err = ckpt_add(c, "envs.rng", CKPT_U64, 1, &four, s->rng.s);
    return err;
}

/* Finds tensor `name` with exactly `nbytes` bytes, or explains what is wrong. */
static const void *state_tensor(const ckpt *c, const char *name, size_t nbytes, const char *path)
{
    const ckpt_tensor *t = ckpt_find(c, name);
    if (!t || t->nbytes != nbytes) {
        kisim_seterr(KISIM_EINPUT, "checkpoint %s: cannot resume: tensor \"%s\" is %s", path, name,
                     t ? "the wrong size for this config" : "missing");
        return NULL;
    }
    return t->data;
}

/* Tensor data in a checkpoint has no alignment guarantee: copy before use. */
static void *aligned_copy(const void *src, size_t n)
{
    void *dst = malloc(n ? n : 1);
    if (dst) memcpy(dst, src, n);
    return dst;
}

static int cluster_load(ppo_envs *e, const ckpt *c, float *obs, uint8_t *mask, const char *path)
{
    cluster_state *s = e->state;
    if (s->remote)
        return kisim_seterr(KISIM_EUNSUPPORTED,
                            "checkpoint %s: cannot resume a run against env "
                            "servers (train.remote): their episodes cannot be replayed from here; "
                            "start a new run from this checkpoint's policy instead",
                            path);
    size_t K = (size_t)e->k;
    const void *ep_data = state_tensor(c, "envs.episode", K * 8, path);
    const void *len_data = ep_data ? state_tensor(c, "envs.log_len", K * 4, path) : NULL;
    if (!len_data) return KISIM_EINPUT;
    uint64_t *episode = aligned_copy(ep_data, K * 8);
    int32_t *len = aligned_copy(len_data, K * 4), *log = NULL;
    size_t total = 0;
    for (size_t k = 0; len && k < K; k++)
        total += (size_t)len[k];
    const void *log_data = len ? state_tensor(c, "envs.log", total * 8, path) : NULL;
    const void *hidden = log_data ? state_tensor(c, "envs.hidden", K * KISIM_F, path) : NULL;
    const void *ret = hidden ? state_tensor(c, "envs.return", K * 4, path) : NULL;
    const void *r = ret ? state_tensor(c, "envs.rng", 32, path) : NULL;
    int err = r && episode ? 0 : KISIM_EINPUT;
    if (!err) log = aligned_copy(log_data, total * 8);
    if (!err && !log) err = kisim_seterr(KISIM_ENOMEM, "train: out of memory");
    const int32_t *next = log;
    for (size_t k = 0; k < K && !err; k++) {
        err = vecenv_replay(s->v, (int)k, episode[k], next, len[k], obs, mask);
        for (int i = 0; i < len[k] && !err; i++)
            err = log_action(s, (int)k, next + 2 * i);
        next += 2 * len[k];
    }
    if (!err) {
        memcpy(s->hidden, hidden, K * KISIM_F);
        memcpy(s->ret, ret, K * sizeof *s->ret);
        memcpy(s->rng.s, r, 32);
        for (size_t k = 0; k < K; k++)
            apply_feature_mask(s, (int)k, obs);
    }
    free(episode);
    free(len);
    free(log);
    return err;
}

static void cluster_free(ppo_envs *e)
{
    cluster_state *s = e->state;
    if (!s) return;
    vecenv_free(s->v);
    client_close(s->remote);
    for (int k = 0; s->log && k < e->k; k++)
        free(s->log[k]);
    free(s->log), free(s->log_len), free(s->log_cap), free(s->log_flat), free(s->episode);
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
    int err = 0;
    if (cfg->train.n_remote) {
        const char *eps[CFG_MAX_REMOTE];
        for (int i = 0; i < cfg->train.n_remote; i++)
            eps[i] = cfg->train.remote[i];
        client_opts o = {0};
        err = client_open(&s->remote, eps, cfg->train.n_remote, &o);
        if (err) return err;
        K = client_size(s->remote); /* the servers decide how many envs there are */
        client_get_spaces(s->remote, &s->sp);
    } else {
        err = vecenv_init(&s->v, cfg, K);
        if (err) return err;
        env_get_spaces(vecenv_env(s->v, 0), &s->sp);
    }
    s->info = calloc((size_t)K * KISIM_N_INFO, sizeof *s->info);
    s->ret = calloc((size_t)K, sizeof *s->ret);
    s->term = calloc((size_t)K, 1);
    s->trunc = calloc((size_t)K, 1);
    s->hidden = calloc((size_t)K * KISIM_F, 1);
    s->log = calloc((size_t)K, sizeof *s->log);
    s->log_len = calloc((size_t)K, sizeof *s->log_len);
    s->log_cap = calloc((size_t)K, sizeof *s->log_cap);
    s->episode = calloc((size_t)K, sizeof *s->episode);
    if (!s->info || !s->ret || !s->term || !s->trunc || !s->hidden || !s->log || !s->log_len ||
        !s->log_cap || !s->episode)
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
    e->save = cluster_save;
    e->load = cluster_load;
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

static int cp_step(ppo_envs *e, const int32_t *actions, float *obs, uint8_t *mask, float *reward,
                   uint8_t *done, uint8_t *ep_done, float *ep)
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
            for (int i = 0; i < EP_N_STATS; i++)
                st[i] = NAN; /* not a cluster */
            st[EP_RETURN] = s->ret[k];
            st[EP_LENGTH] = (float)s->len[k];
            s->ret[k] = 0;
            s->len[k] = 0;
            cartpole_reset_next(&s->c[k], o);
        }
    }
    return 0;
}

static int cp_save(ppo_envs *e, ckpt *c)
{
    cartpole_state *s = e->state;
    int64_t K = e->k, bytes = (int64_t)(e->k * sizeof *s->c);
    int err = ckpt_add(c, "envs.cartpole", CKPT_U8, 1, &bytes, s->c);
    if (!err) err = ckpt_add(c, "envs.return", CKPT_F32, 1, &K, s->ret);
    if (!err) err = ckpt_add(c, "envs.length", CKPT_I32, 1, &K, s->len);
    return err;
}

static int cp_load(ppo_envs *e, const ckpt *c, float *obs, uint8_t *mask, const char *path)
{
    (void)mask;
    cartpole_state *s = e->state;
    size_t K = (size_t)e->k;
    const void *cp = state_tensor(c, "envs.cartpole", K * sizeof *s->c, path);
    const void *ret = cp ? state_tensor(c, "envs.return", K * 4, path) : NULL;
    const void *len = ret ? state_tensor(c, "envs.length", K * 4, path) : NULL;
    if (!len) return KISIM_EINPUT;
    memcpy(s->c, cp, K * sizeof *s->c);
    memcpy(s->ret, ret, K * 4);
    memcpy(s->len, len, K * 4);
    for (size_t k = 0; k < K; k++)
        for (int i = 0; i < CARTPOLE_OBS; i++)
            obs[k * CARTPOLE_OBS + i] = (float)s->c[k].s[i];
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
    e->save = cp_save;
    e->load = cp_load;
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
