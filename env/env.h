/* env.h: the Gym-style C API over every backend (`sim`, `local`; `kubernetes` plugs in as one
 * more table of the same functions, backend_ops in env/core/backend.h, the way redis's ae_*.c
 * back-ends do).
 *
 *   env_init(&e, cfg) -> env_reset(e, seed, obs, mask) -> env_step(...)* -> env_free(e)
 *
 * The caller owns every array: obs float32[obs_dim], mask uint8[mask_dim], info
 * float32[n_info] (shapes from env_get_spaces). An episode ends with terminated (the service
 * was down for env.terminate_down_s: error rate above 50%) or truncated (the horizon was
 * reached); after that, step fails with KISIM_ESTATE until the next reset. */
#ifndef KISIM_ENV_H
#define KISIM_ENV_H

#include <stdint.h>

#include "common/config.h"
#include "env/core/interrupt.h"
#include "spaces/spaces.h"
#include "spaces/view.h"

typedef struct kisim_env kisim_env;

/* KISIM_EUNSUPPORTED for a backend this build does not have yet, or that cannot run here (local
 * without root). */
int env_init(kisim_env **out, const kisim_config *cfg);
void env_free(kisim_env *e);
void env_get_spaces(const kisim_env *e, env_spaces *sp);
/* Starts an episode; the same seed gives the same trajectory for the same actions. */
int env_reset(kisim_env *e, uint64_t seed, float *obs, uint8_t *mask);
/* action[0] = node in [0, N_max), action[1] = scale in {0, 1, 2} (-1, 0, +1). */
int env_step(kisim_env *e, const int32_t action[2], float *obs, uint8_t *mask, float *reward,
             uint8_t *terminated, uint8_t *truncated, float *info);
/* The scheduler's view of the current decision for the baselines; obs and mask are the arrays
 * the last reset/step wrote. */
void env_sched_view(kisim_env *e, const float *obs, const uint8_t *mask, sched_view *v);
const kisim_config *env_config(const kisim_env *e);

/* The arrays one env's reset and step write, shaped by env_get_spaces; owned by the caller. */
typedef struct {
    float *obs;    /* [obs_dim] */
    uint8_t *mask; /* [mask_dim] */
    float *info;   /* [n_info] */
} env_arrays;
/* Allocates a's arrays for e: 0, or KISIM_ENOMEM with none allocated. */
int env_arrays_init(env_arrays *a, const kisim_env *e);
/* Frees them; an all-NULL a (e.g. zero-initialised, never allocated) is safe. */
void env_arrays_free(env_arrays *a);

/* env_interrupt(), env_interrupted(), env_interrupt_clear(): env/core/interrupt.h. */

#endif
