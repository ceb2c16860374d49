/* env.c: the Gym-style API over the configured backend. A backend is one table of its own
 * functions (backend_ops, env/core/backend.h); the step, the observation and the scheduler's
 * view are env/core/backend.c's over that table, so this file only picks the table. */
#include "env/env.h"

#include <stdlib.h>

#include "common/err.h"
#include "env/core/backend.h"
#include "env/local/local.h"
#include "env/sim/sim.h"

/* Indexed by cfg_backend; NULL where this build has no such backend. */
static const backend_ops *const backends[] = {
    [BACKEND_SIM] = &sim_backend, [BACKEND_LOCAL] = &local_backend, [BACKEND_KUBERNETES] = NULL};

struct kisim_env {
    backend *b; /* owned: the backend's state, freed by b->ops->free */
    kisim_config cfg;
    env_spaces spaces;
    int started;
};

int env_init(kisim_env **out, const kisim_config *cfg)
{
    *out = NULL;
    const backend_ops *ops = backends[cfg->env.backend];
    if (!ops)
        return kisim_seterr(KISIM_EUNSUPPORTED,
                            "env: backend \"kubernetes\" is not available in this build (use "
                            "\"sim\" or \"local\")");
    kisim_env *e = calloc(1, sizeof *e);
    if (!e) return kisim_seterr(KISIM_ENOMEM, "env: out of memory");
    e->cfg = *cfg;
    spaces_init(&e->spaces, cfg->env.max_nodes, cfg->env.window);
    int err = ops->init(&e->b, cfg);
    if (err) {
        free(e);
        return err;
    }
    *out = e;
    return 0;
}

void env_free(kisim_env *e)
{
    if (!e) return;
    if (e->b) e->b->ops->free(e->b->env);
    free(e);
}

void env_get_spaces(const kisim_env *e, env_spaces *sp)
{
    *sp = e->spaces;
}

int env_reset(kisim_env *e, uint64_t seed, float *obs, uint8_t *mask)
{
    int err = backend_reset(e->b, seed);
    if (err) return err;
    e->started = 1;
    backend_observe(e->b, obs, mask);
    return 0;
}

int env_step(kisim_env *e, const int32_t action[2], float *obs, uint8_t *mask, float *reward,
             uint8_t *terminated, uint8_t *truncated, float *info)
{
    if (!e->started) return kisim_seterr(KISIM_ESTATE, "env: step before reset");
    int err = backend_step(e->b, action, reward, terminated, truncated, info);
    if (err) return err;
    backend_observe(e->b, obs, mask);
    return 0;
}

void env_sched_view(kisim_env *e, const float *obs, const uint8_t *mask, sched_view *v)
{
    backend_view(e->b, v);
    v->obs_nodes = obs + e->spaces.off_nodes;
    v->action_mask = mask;
}

const kisim_config *env_config(const kisim_env *e)
{
    return &e->cfg;
}

int env_arrays_init(env_arrays *a, const kisim_env *e)
{
    a->obs = malloc((size_t)e->spaces.obs_dim * sizeof *a->obs);
    a->mask = malloc((size_t)e->spaces.mask_dim);
    a->info = malloc((size_t)e->spaces.n_info * sizeof *a->info);
    if (a->obs && a->mask && a->info) return 0;
    env_arrays_free(a);
    return kisim_seterr(KISIM_ENOMEM, "env: out of memory for the observation arrays");
}

void env_arrays_free(env_arrays *a)
{
    free(a->obs);
    free(a->mask);
    free(a->info);
    a->obs = a->info = NULL;
    a->mask = NULL;
}
