/* ppo.c: the PPO learner (ppo.h): rollout, GAE, and the clipped-surrogate update. */
#include "agent/ppo.h"
#include "common/clock.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "policy/nn.h"
#include "spaces/spaces.h"

const char *const ppo_metric_names[PM_N] = {
#define PM_NAME(id, name) name,
    PPO_METRICS(PM_NAME)
#undef PM_NAME
};

static int alloc_all(ppo *p)
{
    size_t SK = (size_t)p->S * p->K, od = (size_t)p->envs.obs_dim, md = (size_t)p->envs.mask_dim;
    size_t M = (size_t)p->mbsize;
    p->obs = malloc(SK * od * sizeof *p->obs);
    p->mask = calloc(SK * md + 1, 1);
    p->logp = malloc(SK * sizeof *p->logp);
    p->rew = malloc(SK * sizeof *p->rew);
    p->val = malloc(SK * sizeof *p->val);
    p->adv = malloc(SK * sizeof *p->adv);
    p->ret = malloc(SK * sizeof *p->ret);
    p->done = malloc(SK);
    p->act = calloc(SK * 2, sizeof *p->act);
    p->next_obs = malloc((size_t)p->K * od * sizeof *p->next_obs);
    p->next_mask = calloc((size_t)p->K * md + 1, 1);
    p->next_done = calloc((size_t)p->K, 1);
    p->ep_done = calloc((size_t)p->K, 1);
    p->ep = calloc((size_t)p->K * EP_N_STATS, sizeof *p->ep);
    p->perm = malloc(SK * sizeof *p->perm);
    p->mb_obs = malloc(M * od * sizeof *p->mb_obs);
    p->mb_mask = calloc(M * md + 1, 1);
    p->mb_act = malloc(M * 2 * sizeof *p->mb_act);
    p->g_logp = malloc(M * sizeof *p->g_logp);
    p->g_ent = malloc(M * sizeof *p->g_ent);
    p->g_v = malloc(M * sizeof *p->g_v);
    p->disc = calloc((size_t)p->K, sizeof *p->disc);
    if (!p->obs || !p->mask || !p->logp || !p->rew || !p->val || !p->adv || !p->ret || !p->done ||
        !p->act || !p->next_obs || !p->next_mask || !p->next_done || !p->ep_done || !p->ep ||
        !p->perm || !p->mb_obs || !p->mb_mask || !p->mb_act || !p->g_logp || !p->g_ent || !p->g_v ||
        !p->disc)
        return kisim_seterr(KISIM_ENOMEM, "train: out of memory for the rollout buffers");
    return 0;
}

int ppo_init(ppo *p, const kisim_config *cfg)
{
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    const cfg_train *t = &cfg->train;
    openblas_set_num_threads(t->threads);
    rng_seed(&p->rng, t->seed);
    int err = ppo_envs_open(&p->envs, cfg);
    if (err) return err;
    p->K = p->envs.k; /* train.num_envs, or what the env servers host */
    p->S = t->num_steps;
    p->batch = p->K * p->S;
    p->mbsize = p->batch / t->minibatches;
    if (p->mbsize < 1)
        return kisim_seterr(KISIM_ECONFIG,
                            "config: /train/minibatches: %d minibatches of a "
                            "%d-step batch leave none",
                            t->minibatches, p->batch);
    p->num_updates = (int)(t->total_steps / (uint64_t)p->batch);
    if (p->num_updates < 1)
        return kisim_seterr(KISIM_ECONFIG,
                            "config: /train/total_steps: %llu steps are less than "
                            "one batch of num_envs x num_steps = %d",
                            (unsigned long long)t->total_steps, p->batch);
    err = p->envs.mask_dim ? ppo_model_init_cluster(&p->model, t->hidden, t->seed)
                           : ppo_model_init_mlp(&p->model, p->envs.obs_dim, p->envs.n_actions,
                                                t->hidden, t->seed);
    if (err) return err;
    p->model.norm_frozen = 1; /* refreshed once per update from its rollout (ppo.h) */
    err = ppo_acts_alloc(&p->roll, &p->model, p->K, p->envs.n_nodes);
    if (!err) err = ppo_acts_alloc(&p->mb, &p->model, p->mbsize, p->envs.n_nodes);
    if (!err) err = alloc_all(p);
    if (!err) err = p->envs.reset(&p->envs, cfg->env.seed, p->next_obs, p->next_mask);
    for (int f = 0; f < KISIM_F; f++)
        p->fstat[0][f] = INFINITY, p->fstat[1][f] = -INFINITY;
    p->best_score = -INFINITY;
    p->rms[0] = 0, p->rms[1] = 1, p->rms[2] = 1e-4;
    return err;
}

void ppo_free(ppo *p)
{
    if (p->envs.free) p->envs.free(&p->envs);
    ppo_model_free(&p->model);
    ppo_acts_free(&p->roll);
    ppo_acts_free(&p->mb);
    free(p->obs), free(p->mask), free(p->logp), free(p->rew), free(p->val), free(p->adv);
    free(p->ret), free(p->done), free(p->act), free(p->next_obs), free(p->next_mask);
    free(p->next_done), free(p->ep_done), free(p->ep), free(p->perm), free(p->mb_obs);
    free(p->mb_mask), free(p->mb_act), free(p->g_logp), free(p->g_ent), free(p->g_v);
    free(p->disc);
    free(p->episodes);
    memset(p, 0, sizeof *p);
}

static const uint8_t *mask_or_null(const ppo *p, const uint8_t *m)
{
    return p->envs.mask_dim ? m : NULL;
}

/* Samples each env's actions from the policy; records log-prob and value. */
static void act(ppo *p, const float *obs, const uint8_t *mask, int32_t *a, float *logp, float *val)
{
    ppo_forward(&p->model, &p->roll, obs, mask_or_null(p, mask), p->K, p->envs.window);
    int cluster = p->model.kind == PPO_MODEL_CLUSTER;
    for (int k = 0; k < p->K; k++) {
        if (cluster) {
            int N = p->roll.n;
            a[2 * k] = nn_sample(p->roll.logp_node + (size_t)k * N,
                                 p->roll.node_mask + (size_t)k * N, N, &p->rng);
            a[2 * k + 1] = nn_sample(p->roll.logp_scale + (size_t)k * 3,
                                     p->roll.scale_mask + (size_t)k * 3, 3, &p->rng);
        } else {
            int A = p->model.n_actions;
            a[2 * k] = nn_sample(p->roll.logp_node + (size_t)k * A, NULL, A, &p->rng);
            a[2 * k + 1] = 0;
        }
        logp[k] = ppo_logprob(&p->model, &p->roll, k, a + 2 * k);
        val[k] = p->roll.value[k];
    }
}

/* Gym's NormalizeReward: each env's discounted return feeds a running variance; rewards are
 * divided by its standard deviation and clipped to [-10, 10]. Episode statistics keep the raw
 * rewards. */
static void scale_rewards(ppo *p, float *r, const uint8_t *done)
{
    double g = p->cfg.train.gamma;
    int K = p->K;
    double mean = 0, var = 0;
    for (int k = 0; k < K; k++) {
        p->disc[k] = p->disc[k] * g + r[k];
        mean += p->disc[k];
    }
    mean /= K;
    for (int k = 0; k < K; k++)
        var += (p->disc[k] - mean) * (p->disc[k] - mean);
    var /= K;
    double *rms = p->rms, delta = mean - rms[0], tot = rms[2] + K;
    rms[0] += delta * K / tot;
    rms[1] = (rms[1] * rms[2] + var * K + delta * delta * rms[2] * K / tot) / tot;
    rms[2] = tot;
    double scale = 1.0 / sqrt(rms[1] + 1e-8);
    for (int k = 0; k < K; k++) {
        double v = r[k] * scale;
        r[k] = (float)(v < -10 ? -10 : v > 10 ? 10 : v);
        if (done[k]) p->disc[k] = 0;
    }
}

static int log_episode(ppo *p, int k)
{
    int row = 1 + EP_N_STATS;
    if (p->n_episodes == p->cap_episodes) {
        int cap = p->cap_episodes ? 2 * p->cap_episodes : 64;
        float *e = realloc(p->episodes, (size_t)cap * row * sizeof *e);
        if (!e) return kisim_seterr(KISIM_ENOMEM, "train: out of memory");
        p->episodes = e;
        p->cap_episodes = cap;
    }
    float *dst = p->episodes + (size_t)p->n_episodes++ * row;
    dst[0] = (float)k;
    memcpy(dst + 1, p->ep + (size_t)k * EP_N_STATS, EP_N_STATS * sizeof *dst);
    return 0;
}

/* Runs S steps in K envs into the rollout buffers; adds finished episodes to m. */
static int rollout(ppo *p, double *m, double sums[EP_N_STATS])
{
    size_t od = (size_t)p->envs.obs_dim, md = (size_t)p->envs.mask_dim, K = (size_t)p->K;
    for (int s = 0; s < p->S; s++) {
        memcpy(p->obs + s * K * od, p->next_obs, K * od * sizeof *p->obs);
        memcpy(p->mask + s * K * md, p->next_mask, K * md);
        memcpy(p->done + s * K, p->next_done, K);
        act(p, p->next_obs, p->next_mask, p->act + s * K * 2, p->logp + s * K, p->val + s * K);
        int err = p->envs.step(&p->envs, p->act + s * K * 2, p->next_obs, p->next_mask,
                               p->rew + s * K, p->next_done, p->ep_done, p->ep);
        if (err) return err;
        if (p->cfg.train.norm_reward) scale_rewards(p, p->rew + s * K, p->next_done);
        p->global_step += K;
        for (size_t k = 0; k < K; k++) {
            if (!p->ep_done[k]) continue;
            m[PM_EPISODES]++;
            for (int e = 0; e < EP_N_STATS; e++)
                sums[e] += p->ep[k * EP_N_STATS + e];
            err = log_episode(p, (int)k);
            if (err) return err;
        }
    }
    return 0;
}

/* Generalised advantage estimation, bootstrapped from the value of the next observation. */
static void gae(ppo *p)
{
    ppo_forward(&p->model, &p->roll, p->next_obs, mask_or_null(p, p->next_mask), p->K,
                p->envs.window);
    double g = p->cfg.train.gamma, l = p->cfg.train.gae_lambda;
    size_t K = (size_t)p->K;
    for (size_t k = 0; k < K; k++) {
        double last = 0;
        for (int s = p->S - 1; s >= 0; s--) {
            size_t i = (size_t)s * K + k;
            double next_nonterm, next_val;
            if (s == p->S - 1) {
                next_nonterm = 1.0 - p->next_done[k];
                next_val = p->roll.value[k];
            } else {
                next_nonterm = 1.0 - p->done[i + K];
                next_val = p->val[i + K];
            }
            double delta = p->rew[i] + g * next_val * next_nonterm - p->val[i];
            last = delta + g * l * next_nonterm * last;
            p->adv[i] = (float)last;
            p->ret[i] = (float)(last + p->val[i]);
        }
    }
}

/* Loss gradients for one minibatch of the last forward; accumulates the metrics. */
static void minibatch_grads(ppo *p, const int *idx, int M, double *m)
{
    const cfg_train *t = &p->cfg.train;
    double mean = 0, var = 0;
    for (int i = 0; i < M; i++)
        mean += p->adv[idx[i]];
    mean /= M;
    for (int i = 0; i < M; i++)
        var += (p->adv[idx[i]] - mean) * (p->adv[idx[i]] - mean);
    double std = M > 1 ? sqrt(var / (M - 1)) : 0; /* torch's unbiased std */
    double pg = 0, vl = 0, ent = 0, kl = 0, cf = 0, c = t->clip;
    for (int i = 0; i < M; i++) {
        int j = idx[i];
        double A = t->norm_adv ? (p->adv[j] - mean) / (std + 1e-8) : p->adv[j];
        double lr = ppo_logprob(&p->model, &p->mb, i, p->mb_act + 2 * i) - p->logp[j];
        double r = exp(lr), rc = r < 1 - c ? 1 - c : r > 1 + c ? 1 + c : r;
        kl += (r - 1) - lr;
        cf += fabs(r - 1) > c;
        double pg1 = -A * r, pg2 = -A * rc;
        pg += pg1 > pg2 ? pg1 : pg2;
        p->g_logp[i] = (float)((pg1 >= pg2 ? -A * r : 0) / M);
        double v = p->mb.value[i], R = p->ret[j], vo = p->val[j];
        double du = v - R, dv = 0;
        if (t->clip_vloss) {
            double d = v - vo, vc = vo + (d < -c ? -c : d > c ? c : d), dc = vc - R;
            vl += 0.5 * (du * du > dc * dc ? du * du : dc * dc);
            dv = du * du >= dc * dc ? du : (fabs(d) < c ? dc : 0);
        } else {
            vl += 0.5 * du * du;
            dv = du;
        }
        p->g_v[i] = (float)(t->vf_coef * dv / M);
        ent += ppo_entropy(&p->model, &p->mb, i);
        p->g_ent[i] = (float)(-t->ent_coef / M);
    }
    m[PM_PG_LOSS] = pg / M;
    m[PM_V_LOSS] = vl / M;
    m[PM_ENTROPY] = ent / M;
    m[PM_APPROX_KL] = kl / M;
    m[PM_CLIPFRAC] += cf / M;
}

static void gather(ppo *p, const int *idx, int M)
{
    size_t od = (size_t)p->envs.obs_dim, md = (size_t)p->envs.mask_dim;
    for (int i = 0; i < M; i++) {
        size_t j = (size_t)idx[i];
        memcpy(p->mb_obs + (size_t)i * od, p->obs + j * od, od * sizeof *p->mb_obs);
        memcpy(p->mb_mask + (size_t)i * md, p->mask + j * md, md);
        p->mb_act[2 * i] = p->act[2 * j];
        p->mb_act[2 * i + 1] = p->act[2 * j + 1];
    }
}

static void update(ppo *p, float lr, double *m)
{
    const cfg_train *t = &p->cfg.train;
    int B = p->batch, M = p->mbsize, n_mb = 0;
    for (int i = 0; i < B; i++)
        p->perm[i] = i;
    for (int epoch = 0; epoch < t->epochs; epoch++) {
        for (int i = B - 1; i > 0; i--) { /* Fisher-Yates with the learner's rng */
            int j = (int)rng_below(&p->rng, (uint32_t)(i + 1)), tmp = p->perm[i];
            p->perm[i] = p->perm[j], p->perm[j] = tmp;
        }
        for (int start = 0; start + M <= B; start += M) {
            const int *idx = p->perm + start;
            gather(p, idx, M);
            ppo_forward(&p->model, &p->mb, p->mb_obs, mask_or_null(p, p->mb_mask), M,
                        p->envs.window);
            minibatch_grads(p, idx, M, m);
            memset(p->model.p.grads, 0, p->model.p.total * sizeof(float));
            ppo_backward(&p->model, &p->mb, p->mb_act, p->g_logp, p->g_ent, p->g_v);
            m[PM_GRAD_NORM] =
                nn_clip_grad_norm(p->model.p.grads, p->model.p.total, (float)t->max_grad_norm);
            nn_adam(p->model.p.params, p->model.p.grads, p->model.p.m, p->model.p.v,
                    p->model.p.total, lr, 0.9f, 0.999f, 1e-5f, ++p->adam_t);
            n_mb++;
        }
        if (t->target_kl > 0 && m[PM_APPROX_KL] > t->target_kl) break;
    }
    m[PM_CLIPFRAC] /= n_mb ? n_mb : 1;
}

/* Refreshes the normalisation statistics from the rollout (and the feature statistics). */
static void refresh_stats(ppo *p)
{
    size_t K = (size_t)p->K, od = (size_t)p->envs.obs_dim, md = (size_t)p->envs.mask_dim;
    if (p->model.kind == PPO_MODEL_CLUSTER) {
        env_spaces sp;
        spaces_init(&sp, p->envs.n_nodes, p->envs.window);
        for (size_t r = 0; r < (size_t)p->batch; r++) {
            const float *o = p->obs + r * od;
            for (int n = 0; n < sp.n_max; n++) {
                if (!p->mask[r * md + n]) continue;
                const float *x =
                    o + sp.off_nodes + ((size_t)n * sp.window + sp.window - 1) * KISIM_F;
                for (int f = 0; f < KISIM_F; f++) {
                    if (o[sp.off_availability + f] == 0) continue;
                    double v = feature_denormalize(f, x[f]);
                    p->fstat[0][f] = fmin(p->fstat[0][f], v);
                    p->fstat[1][f] = fmax(p->fstat[1][f], v);
                    p->fstat[2][f] += v;
                    p->fstat[3][f] += v * v;
                    p->fstat_n[f]++;
                }
            }
        }
    }
    if (!p->cfg.train.norm_obs) return;
    p->model.norm_frozen = 0;
    for (int s = 0; s < p->S; s++)
        ppo_forward(&p->model, &p->roll, p->obs + (size_t)s * K * od,
                    mask_or_null(p, p->mask + (size_t)s * K * md), p->K, p->envs.window);
    p->model.norm_frozen = 1;
}

static double explained_variance(const ppo *p)
{
    double my = 0, vy = 0, vr = 0, mr = 0;
    int n = p->batch;
    for (int i = 0; i < n; i++)
        my += p->ret[i], mr += p->ret[i] - p->val[i];
    my /= n, mr /= n;
    for (int i = 0; i < n; i++) {
        vy += (p->ret[i] - my) * (p->ret[i] - my);
        double d = p->ret[i] - p->val[i] - mr;
        vr += d * d;
    }
    return vy > 0 ? 1 - vr / vy : NAN;
}

int ppo_iterate(ppo *p, double m[PM_N])
{
    memset(m, 0, PM_N * sizeof *m);
    p->n_episodes = 0;
    double t0 = clock_mono_s(), sums[EP_N_STATS] = {0};
    float lr = (float)p->cfg.train.lr;
    if (p->cfg.train.anneal_lr) lr *= 1.0f - (float)p->update / (float)p->num_updates;
    int err = rollout(p, m, sums);
    if (err) return err;
    gae(p);
    update(p, lr, m);
    refresh_stats(p);
    p->update++;
    m[PM_UPDATE] = p->update;
    m[PM_GLOBAL_STEP] = (double)p->global_step;
    m[PM_LR] = lr;
    m[PM_SPS] = p->batch / (clock_mono_s() - t0);
    m[PM_EXPLAINED_VAR] = explained_variance(p);
    double n = m[PM_EPISODES];
    m[PM_EP_RETURN] = n ? sums[EP_RETURN] / n : NAN;
    m[PM_EP_LENGTH] = n ? sums[EP_LENGTH] / n : NAN;
    m[PM_EP_P99_MS] = n ? sums[EP_P99_MS] / n : NAN;
    m[PM_EP_CONTENDED] = n ? sums[EP_CONTENDED] / n : NAN;
    m[PM_EP_COST] = n ? sums[EP_COST] / n : NAN;
    m[PM_EP_ERROR_RATE] = n ? sums[EP_ERROR_RATE] / n : NAN;
    return 0;
}

char *ppo_feature_stats_json(const ppo *p)
{
    cJSON *o = cJSON_CreateObject();
    for (int f = 0; f < KISIM_F; f++) {
        if (p->fstat_n[f] == 0) continue;
        double mean = p->fstat[2][f] / p->fstat_n[f];
        double var = p->fstat[3][f] / p->fstat_n[f] - mean * mean;
        cJSON *s = cJSON_AddObjectToObject(o, kisim_features[f].name);
        cJSON_AddNumberToObject(s, "min", p->fstat[0][f]);
        cJSON_AddNumberToObject(s, "max", p->fstat[1][f]);
        cJSON_AddNumberToObject(s, "mean", mean);
        cJSON_AddNumberToObject(s, "std", var > 0 ? sqrt(var) : 0);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}
