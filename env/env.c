/* env.c: dispatches the Gym-style API to the configured backend. Each backend supplies the same
 * static operations: the sim (env/sim*.c) and the local backend (env/local*.c). */
#include "env/env.h"

#include <signal.h>
#include <stdlib.h>

#include "common/err.h"
#include "env/local/local.h"
#include "env/sim/sim.h"

typedef struct {
    const char *name;
    int (*init)(void **state, const kisim_config *cfg);
    void (*free)(void *state);
    int (*reset)(void *state, uint64_t seed);
    void (*observe)(const void *state, float *obs, uint8_t *mask);
    int (*step)(void *state, const int32_t action[2], float *reward, uint8_t *terminated,
                uint8_t *truncated, float *info);
    void (*view)(void *state, sched_view *v);
} env_backend;

static int sim_op_init(void **state, const kisim_config *cfg)
{
    return sim_init((sim **)state, cfg);
}
static void sim_op_free(void *state)
{
    sim_free(state);
}
static int sim_op_reset(void *state, uint64_t seed)
{
    return sim_reset(state, seed);
}
static void sim_op_observe(const void *state, float *obs, uint8_t *mask)
{
    sim_observe(state, obs, mask);
}
static int sim_op_step(void *state, const int32_t action[2], float *reward, uint8_t *terminated,
                       uint8_t *truncated, float *info)
{
    return sim_step(state, action, reward, terminated, truncated, info);
}
static void sim_op_view(void *state, sched_view *v)
{
    sim_view(state, v);
}

static const env_backend sim_backend = {"sim",          sim_op_init, sim_op_free, sim_op_reset,
                                        sim_op_observe, sim_op_step, sim_op_view};

static int local_op_init(void **state, const kisim_config *cfg)
{
    return local_init((local **)state, cfg);
}
static void local_op_free(void *state)
{
    local_free(state);
}
static int local_op_reset(void *state, uint64_t seed)
{
    return local_reset(state, seed);
}
static void local_op_observe(const void *state, float *obs, uint8_t *mask)
{
    local_observe(state, obs, mask);
}
static int local_op_step(void *state, const int32_t action[2], float *reward, uint8_t *terminated,
                         uint8_t *truncated, float *info)
{
    return local_step(state, action, reward, terminated, truncated, info);
}
static void local_op_view(void *state, sched_view *v)
{
    local_view(state, v);
}

static const env_backend local_backend = {"local",        local_op_init,    local_op_free,
                                          local_op_reset, local_op_observe, local_op_step,
                                          local_op_view};

/* Indexed by cfg_backend; NULL where this build has no such backend. */
static const env_backend *const backends[] = {
    [BACKEND_SIM] = &sim_backend, [BACKEND_LOCAL] = &local_backend, [BACKEND_KUBERNETES] = NULL};

struct kisim_env {
    const env_backend *backend;
    void *state; /* owned, the backend's */
    kisim_config cfg;
    env_spaces spaces;
    int started;
};

int env_init(kisim_env **out, const kisim_config *cfg)
{
    *out = NULL;
    const env_backend *b = backends[cfg->env.backend];
    if (!b)
        return kisim_seterr(KISIM_EUNSUPPORTED,
                            "env: backend \"kubernetes\" is not available in this build (use "
                            "\"sim\" or \"local\")");
    kisim_env *e = calloc(1, sizeof *e);
    if (!e) return kisim_seterr(KISIM_ENOMEM, "env: out of memory");
    e->backend = b;
    e->cfg = *cfg;
    spaces_init(&e->spaces, cfg->env.max_nodes, cfg->env.window);
    int err = e->backend->init(&e->state, cfg);
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
    if (e->state) e->backend->free(e->state);
    free(e);
}

void env_get_spaces(const kisim_env *e, env_spaces *sp)
{
    *sp = e->spaces;
}

int env_reset(kisim_env *e, uint64_t seed, float *obs, uint8_t *mask)
{
    int err = e->backend->reset(e->state, seed);
    if (err) return err;
    e->started = 1;
    e->backend->observe(e->state, obs, mask);
    return 0;
}

int env_step(kisim_env *e, const int32_t action[2], float *obs, uint8_t *mask, float *reward,
             uint8_t *terminated, uint8_t *truncated, float *info)
{
    if (!e->started) return kisim_seterr(KISIM_ESTATE, "env: step before reset");
    int err = e->backend->step(e->state, action, reward, terminated, truncated, info);
    if (err) return err;
    e->backend->observe(e->state, obs, mask);
    return 0;
}

void env_sched_view(kisim_env *e, const float *obs, const uint8_t *mask, sched_view *v)
{
    e->backend->view(e->state, v);
    v->obs_nodes = obs + e->spaces.off_nodes;
    v->action_mask = mask;
}

const kisim_config *env_config(const kisim_env *e)
{
    return &e->cfg;
}
