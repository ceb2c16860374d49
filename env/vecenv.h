/* vecenv.h: K environments stepped together in one process, into caller-owned flat arrays
 * (obs [K, obs_dim], mask [K, mask_dim], rewards [K], terminated [K], truncated [K],
 * info [K, n_info]); the layout learners and the ZeroMQ server use.
 *
 * Auto-reset: when env k's episode ends, its reward, terminated/truncated and info are the
 * final step's (info carries the ep_* episode statistics), and its obs and mask are already the
 * first of its next episode. Seeds: episode j of env k uses seed + k + K * j, where `seed` is
 * the one given to vecenv_reset; so K envs never share an episode seed. */
#ifndef KISIM_VECENV_H
#define KISIM_VECENV_H

#include "env/env.h"

typedef struct vecenv vecenv;

int vecenv_init(vecenv **out, const kisim_config *cfg, int k);
void vecenv_free(vecenv *v);
int vecenv_size(const vecenv *v);
kisim_env *vecenv_env(vecenv *v, int k);
int vecenv_reset(vecenv *v, uint64_t seed, float *obs, uint8_t *mask);
/* vecenv_reset for K envs that are envs first .. first+K-1 of a larger vector env of `total`
 * envs spread over several processes (the ZeroMQ server, one per machine): episode j of env k
 * uses seed + first + k + total * j, so the pieces together seed exactly like one vecenv of
 * `total` envs. vecenv_reset is vecenv_reset_span(v, seed, 0, K, ...). */
int vecenv_reset_span(vecenv *v, uint64_t seed, uint64_t first, uint64_t total, float *obs,
                      uint8_t *mask);
/* actions: int32 [K, 2]. On an invalid action (error mode) returns its error with the env's
 * index in the message; envs before it have stepped. */
int vecenv_step(vecenv *v, const int32_t *actions, float *obs, uint8_t *mask, float *rewards,
                uint8_t *terminated, uint8_t *truncated, float *info);
/* The index j of env k's current episode (its seed is seed + k + K * j). */
uint64_t vecenv_episode(const vecenv *v, int k);
/* Restores env k to episode j after `n` actions ([n, 2]): resets it with that episode's seed and
 * replays them (envs are deterministic), writing its obs and mask. For resuming training. */
int vecenv_replay(vecenv *v, int k, uint64_t j, const int32_t *actions, int n, float *obs,
                  uint8_t *mask);

#endif
