/* ppo_envs.h: the vectorised environments a PPO learner trains on, behind one small interface:
 * the cluster env (in-process vecenv over the config's backend, with random feature masking)
 * and the built-in CartPole. Both auto-reset in the same step, as Gymnasium's vector envs do:
 * after an episode ends, `done` is set and the observation is the next episode's first. When an
 * episode ends, its statistics are written to ep[k] (EP_STATS order). */
#ifndef KISIM_PPO_ENVS_H
#define KISIM_PPO_ENVS_H

#include <stdint.h>

#include "common/config.h"
#include "policy/ckpt.h"

/* Episode statistics reported when an episode ends: X(id, name). */
#define PPO_EP_STATS(X)                                                                            \
    X(RETURN, "return")                                                                            \
    X(LENGTH, "length")                                                                            \
    X(P99_MS, "p99_ms")                                                                            \
    X(CONTENDED, "contended_share")                                                                \
    X(COST, "cost")                                                                                \
    X(ERROR_RATE, "error_rate")
typedef enum {
#define EP_ENUM(id, name) EP_##id,
    PPO_EP_STATS(EP_ENUM)
#undef EP_ENUM
        EP_N_STATS
} ppo_ep_stat;
extern const char *const ppo_ep_stat_names[EP_N_STATS];

typedef struct ppo_envs ppo_envs;
struct ppo_envs {
    int k;               /* number of envs */
    int obs_dim;         /* per env */
    int mask_dim;        /* action mask per env; 0 = no mask */
    int n_nodes, window; /* cluster geometry (0 for flat envs) */
    int n_actions;       /* flat envs: categories */
    int (*reset)(ppo_envs *e, uint64_t seed, float *obs, uint8_t *mask);
    int (*step)(ppo_envs *e, const int32_t *actions, float *obs, uint8_t *mask, float *reward,
                uint8_t *done, uint8_t *ep_done, float *ep);
    void (*free)(ppo_envs *e);
    /* Checkpointing for --resume: save adds the envs' state as tensors (data valid until the
     * next step); load restores it (cluster envs by replaying each episode's actions from its
     * seed) and writes the current obs and mask. */
    int (*save)(ppo_envs *e, ckpt *c);
    int (*load)(ppo_envs *e, const ckpt *c, float *obs, uint8_t *mask, const char *path);
    void *state;
};

/* The config's env (cfg->train.env): K = train.num_envs cluster envs, or CartPole. Feature
 * masking draws from its own stream seeded by train.seed. */
int ppo_envs_open(ppo_envs *e, const kisim_config *cfg);

#endif
