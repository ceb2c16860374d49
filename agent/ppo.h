/* ppo.h: the PPO learner, the 13 core implementation details of Huang et al. ("The 37
 * implementation details of PPO", ICLR blog track 2022) in CleanRL ppo.py's order: vectorised
 * envs, orthogonal init, Adam eps 1e-5, linear learning-rate annealing, GAE, minibatches over
 * epochs, advantage normalisation, clipped surrogate, clipped value loss, entropy bonus, global
 * gradient clipping, approx-KL and clip fraction, separate actor and critic. Plus observation
 * normalisation (statistics frozen within an update and refreshed from its rollout, so old and
 * new log-probabilities see the same inputs), masked heads, optional target-KL early stop and
 * random feature masking (agent/ppo_envs.c).
 *
 * Episodes end on terminated or truncated alike (no bootstrapping through truncation), as in
 * CleanRL. Deterministic for a config, seed and OpenBLAS thread count. */
#ifndef KISIM_PPO_H
#define KISIM_PPO_H

#include <stdint.h>

#include "agent/ppo_envs.h"
#include "common/config.h"
#include "common/rng.h"
#include "policy/ppo_model.h"

/* Per-update metrics, X(id, name), written to metrics.jsonl in this order. */
#define PPO_METRICS(X)                                                                             \
    X(UPDATE, "update")                                                                            \
    X(GLOBAL_STEP, "global_step")                                                                  \
    X(LR, "lr")                                                                                    \
    X(SPS, "steps_per_s")                                                                          \
    X(PG_LOSS, "pg_loss")                                                                          \
    X(V_LOSS, "v_loss")                                                                            \
    X(ENTROPY, "entropy")                                                                          \
    X(APPROX_KL, "approx_kl")                                                                      \
    X(CLIPFRAC, "clipfrac")                                                                        \
    X(EXPLAINED_VAR, "explained_variance")                                                         \
    X(GRAD_NORM, "grad_norm")                                                                      \
    X(EPISODES, "episodes")                                                                        \
    X(EP_RETURN, "ep_return")                                                                      \
    X(EP_LENGTH, "ep_length")                                                                      \
    X(EP_P99_MS, "ep_p99_ms")                                                                      \
    X(EP_CONTENDED, "ep_contended_share")                                                          \
    X(EP_COST, "ep_cost")                                                                          \
    X(EP_ERROR_RATE, "ep_error_rate")
typedef enum {
#define PM_ENUM(id, name) PM_##id,
    PPO_METRICS(PM_ENUM)
#undef PM_ENUM
        PM_N
} ppo_metric;
extern const char *const ppo_metric_names[PM_N];

typedef struct {
    kisim_config cfg;
    ppo_envs envs;
    ppo_model model;
    ppo_acts roll, mb; /* activations for K rows (rollout) and a minibatch */
    rng rng;           /* action sampling and minibatch shuffles */
    int K, S, batch, mbsize;
    int update, num_updates, adam_t;
    uint64_t global_step;
    double best_score; /* the best validation score so far (train.c) */
    double rms[3];     /* reward scaling: mean, var, count of the discounted return */
    /* Episodes that ended in the last update: rows of [env, EP_N_STATS stats], owned. */
    float *episodes;
    int n_episodes, cap_episodes;
    double *disc; /* [K] each env's discounted return so far */
    /* rollout storage, [S, K, ...] */
    float *obs, *logp, *rew, *val, *adv, *ret;
    uint8_t *mask, *done;
    int32_t *act;
    /* the current step's observation */
    float *next_obs, *ep;
    uint8_t *next_mask, *next_done, *ep_done;
    /* minibatch scratch */
    int *perm;
    float *mb_obs, *g_logp, *g_ent, *g_v;
    uint8_t *mb_mask;
    int32_t *mb_act;
    /* feature statistics seen in training (raw units): min, max, sum, sum of squares */
    double fstat[4][KISIM_F];
    double fstat_n[KISIM_F];
} ppo;

/* Builds the envs, the model (ppo-cluster or ppo-mlp) and the buffers, and resets the envs. */
int ppo_init(ppo *p, const kisim_config *cfg);
void ppo_free(ppo *p);
/* One update: a rollout of S steps in K envs, then epochs of minibatch updates. m[] gets the
 * metrics. Returns 0 or an env error. */
int ppo_iterate(ppo *p, double m[PM_N]);
/* The JSON object of feature statistics for the checkpoint (malloc'd). */
char *ppo_feature_stats_json(const ppo *p);

#endif
