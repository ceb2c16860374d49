/* backend.c: the Gym-style step, observation and view every backend shares (backend.h), over
 * the backend's table of functions. */
#include "env/core/backend.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "env/core/action.h"
#include "env/core/obs.h"
#include "env/core/reward.h"

/* The decision sequencing's side, over the backend's table: a pending pod is schedulable when
 * it fits on some node. */
static int dec_make_pending(void *env, int replica)
{
    backend *b = env;
    b->ops->make_pending(b->env, replica);
    for (int n = 0; n < b->n_nodes; n++)
        if (b->ops->fits(b->env, n)) return 1;
    return 0;
}
static int dec_advance(void *env, float *info)
{
    backend *b = env;
    return b->ops->advance(b->env, info);
}
static int dec_replica_rank(const void *env, int i, int *node_replicas, double *placed_at)
{
    const backend *b = env;
    return b->ops->replica_rank(b->env, i, node_replicas, placed_at);
}
static const decision_ops backend_decision_ops = {dec_make_pending, dec_advance, dec_replica_rank};

int backend_init(backend *b, const backend_ops *ops, void *env, rng *r, const kisim_config *cfg,
                 int lag)
{
    memset(b, 0, sizeof *b);
    b->ops = ops;
    b->env = env;
    b->cfg = cfg;
    b->n_nodes = cfg_node_count(cfg);
    b->n_max = cfg->env.max_nodes;
    b->window = cfg->env.window;
    b->lag = lag;
    b->ring_len = b->window + lag;
    b->dec = (decision){.ops = &backend_decision_ops,
                        .env = b,
                        .rng = r,
                        .arrival_prob = cfg->workload.background.arrival_prob};
    b->truth = (sched_truth){env, ops->ls_inflation, ops->replicas_on, ops->noisy_on};
    b->view_nodes = calloc((size_t)b->n_max, sizeof *b->view_nodes);
    b->ring = calloc((size_t)b->n_max * 2 * (size_t)b->ring_len * KISIM_F, sizeof *b->ring);
    if (!b->view_nodes || !b->ring)
        return kisim_seterr(KISIM_ENOMEM, "%s: out of memory for %d nodes", ops->name, b->n_max);
    return 0;
}

void backend_free(backend *b)
{
    free(b->view_nodes);
    free(b->ring);
    b->view_nodes = NULL;
    b->ring = NULL;
}

int backend_reset(backend *b, uint64_t seed)
{
    b->t = 0;
    b->dec.done = b->dec.unschedulable = 0;
    b->p50 = b->p95 = b->p99 = b->error_rate = b->offered_rps = b->served_rps = 0;
    b->utilization = b->cost = b->down_s = 0;
    b->ep_offered = b->ep_ok = b->ep_cost = b->ep_replica_s = b->ep_reward = 0;
    b->ep_steps = b->ep_replicas_placed = b->ep_replicas_contended = 0;
    int err = b->ops->reset(b->env, seed);
    if (err) return err;
    b->dec.replicas_placed = 0;
    b->dec.replicas_wanted = b->cfg->workload.service.initial_replicas;
    return decision_next(&b->dec, 0, NULL);
}

/* Before traffic starts (t = 0) the Deployment's initial replicas are placed without time
 * passing, and the replica count cannot change. */
static int bootstrapping(const backend *b)
{
    return b->t == 0 && b->dec.replicas_placed < b->dec.replicas_wanted;
}

static action_state action_of(const backend *b)
{
    const kisim_config *c = b->cfg;
    return (action_state){b->n_max,
                          b->n_nodes,
                          b->dec.replicas_wanted,
                          c->workload.service.min_replicas,
                          c->workload.service.max_replicas,
                          bootstrapping(b)};
}

void backend_mask(const backend *b, uint8_t *m)
{
    for (int i = 0; i < b->n_max; i++)
        m[i] = b->dec.has_pending && !b->dec.done && i < b->n_nodes && b->ops->fits(b->env, i);
    action_state st = action_of(b);
    action_scale_mask(&st, m + b->n_max);
}

/* Starts the pending pod on node; a replica counts as placed, and as contended when a noisy
 * neighbour runs there. */
static int place_pending(backend *b, int node, float *info)
{
    pod_view pv;
    b->ops->pending_view(b->env, &pv);
    info[INFO_PLACED_NODE] = (float)node;
    int err = b->ops->place(b->env, node);
    if (err) return err;
    b->dec.has_pending = 0;
    if (pv.is_replica) {
        int contended = b->ops->noisy_on(b->env, node) > 0;
        info[INFO_PLACED_REPLICA] = 1;
        info[INFO_PLACED_CONTENDED] = (float)contended;
        b->ep_replicas_placed++;
        b->ep_replicas_contended += contended;
        b->dec.replicas_placed++;
    }
    return 0;
}

/* Scale-down: decision_scale_down's victim, if a placed replica goes. */
static void scale_down(backend *b)
{
    int victim = decision_scale_down(&b->dec, b->ops->n_pods(b->env));
    if (victim >= 0) b->ops->remove(b->env, victim);
}

static void episode_info(const backend *b, float *info)
{
    info[INFO_EP_DONE] = 1;
    info[INFO_EP_LENGTH] = (float)b->ep_steps;
    info[INFO_EP_REWARD] = (float)b->ep_reward;
    b->ops->episode_info(b->env, info);
    info[INFO_EP_THROUGHPUT_RPS] = (float)(b->t > 0 ? b->ep_ok / b->t : 0);
    info[INFO_EP_COST] = (float)b->ep_cost;
    info[INFO_EP_CONTENDED_SHARE] =
        (float)(b->ep_replicas_placed ? (double)b->ep_replicas_contended / b->ep_replicas_placed
                                      : 0);
    info[INFO_EP_REPLICA_SECONDS] = (float)b->ep_replica_s;
}

int backend_step(backend *b, const int32_t action[2], float *reward, uint8_t *terminated,
                 uint8_t *truncated, float *info)
{
    if (b->dec.done)
        return kisim_seterr(KISIM_ESTATE, "%s: step after the episode ended; reset", b->ops->name);
    uint8_t mask[CFG_MAX_NODES + 3];
    backend_mask(b, mask);
    memset(info, 0, KISIM_N_INFO * sizeof *info);
    info[INFO_PLACED_NODE] = -1;
    action_state st = action_of(b);
    int invalid = action_check(&st, action, mask);
    if (invalid && b->cfg->env.invalid_action == INVALID_ACTION_ERROR) return invalid;
    int err = 0;
    if (invalid) {
        kisim_clearerr();
        info[INFO_INVALID_ACTION] = 1;
        info[INFO_R_INVALID] = (float)b->cfg->env.invalid_penalty;
        b->dec.has_pending = 0; /* a background pod is dropped; a wanted replica comes back */
    } else {
        err = place_pending(b, action[0], info);
        if (!err && action[1] == 0) scale_down(b);
        if (!err && action[1] == 2) b->dec.replicas_wanted++;
    }
    b->dec.unschedulable = 0;
    /* Placing the initial replicas takes no time; every other decision is followed by time. */
    if (!err) err = decision_next(&b->dec, !bootstrapping(b), info);
    if (err) return err;
    info[INFO_UNSCHEDULABLE] = (float)b->dec.unschedulable;
    float r = reward_total(info);
    b->ep_reward += r;
    b->ep_steps++;
    *reward = r;
    *terminated = b->dec.done == 1;
    *truncated = b->dec.done == 2;
    if (b->dec.done) episode_info(b, info);
    return 0;
}

/* Node i's window: it ends `lag` samples before the newest, and the doubled ring makes it one
 * contiguous run, oldest first. The orchestrator knows its own requests without lag: the
 * newest sample shows the pods placed since it was taken. */
static void write_window(const backend *b, int i, float *dst)
{
    int T = b->window;
    int start = ((b->ring_head - b->lag - (T - 1)) % b->ring_len + b->ring_len) % b->ring_len;
    const float *ring = b->ring + ((size_t)i * 2 * b->ring_len + start) * KISIM_F;
    memcpy(dst, ring, (size_t)T * KISIM_F * sizeof *dst);
    b->ops->orchestrator(b->env, i, dst + (size_t)(T - 1) * KISIM_F);
}

void backend_observe(const backend *b, float *obs, uint8_t *mask)
{
    env_spaces sp;
    spaces_init(&sp, b->n_max, b->window);
    size_t per_node = (size_t)b->window * KISIM_F;
    float *nodes = obs + sp.off_nodes;
    for (int i = 0; i < b->n_nodes; i++)
        write_window(b, i, nodes + (size_t)i * per_node);
    memset(nodes + (size_t)b->n_nodes * per_node, 0,
           (size_t)(b->n_max - b->n_nodes) * per_node * sizeof *nodes);
    pod_view pv;
    b->ops->pending_view(b->env, &pv);
    obs_write_pod(obs + sp.off_pod, b->dec.has_pending ? &pv : NULL);
    obs_service m = {b->dec.replicas_wanted, b->offered_rps, b->p50, b->p95, b->p99,
                     b->error_rate,          b->utilization, b->t};
    obs_write_service(obs + sp.off_service, b->cfg, &m);
    backend_mask(b, mask);
    obs_write_masks(obs, &sp, mask, b->cfg);
    /* Features the backend cannot measure here are marked unavailable too. */
    for (int f = 0; b->measured && f < KISIM_F_MEASURED; f++)
        obs[sp.off_availability + f] = !b->cfg->cluster.unavailable[f] && b->measured[f];
}

void backend_view(backend *b, sched_view *v)
{
    memset(v, 0, sizeof *v);
    for (int i = 0; i < b->n_max; i++) {
        if (i < b->n_nodes)
            b->view_nodes[i] = *b->ops->node(b->env, i);
        else
            memset(&b->view_nodes[i], 0, sizeof b->view_nodes[i]);
    }
    b->ops->pending_view(b->env, &b->view_pod);
    const kisim_config *c = b->cfg;
    b->view_service =
        (service_view){b->dec.replicas_wanted,           c->workload.service.min_replicas,
                       c->workload.service.max_replicas, b->utilization,
                       c->workload.service.hpa_target,   c->workload.service.hpa_tolerance};
    v->n_max = b->n_max;
    v->window = b->window;
    v->nodes = b->view_nodes;
    v->pod = &b->view_pod;
    v->service = &b->view_service;
    v->truth = &b->truth;
}

void backend_interval_account(backend *b, double offered, double ok, double dt)
{
    const kisim_config *c = b->cfg;
    b->served_rps = dt > 0 ? ok / dt : 0;
    b->cost = b->dec.replicas_placed * dt / 3600.0 * c->reward.replica_price_per_hour;
    b->ep_offered += offered;
    b->ep_ok += ok;
    b->ep_cost += b->cost;
    b->ep_replica_s += b->dec.replicas_placed * dt;
    b->down_s = b->error_rate > 0.5 ? b->down_s + dt : 0;
}

void backend_interval_reward(backend *b, double offered, double ok, int contended, float *info)
{
    const kisim_config *c = b->cfg;
    int noisy_nodes = 0;
    for (int i = 0; i < b->n_nodes; i++)
        noisy_nodes += b->ops->noisy_on(b->env, i) > 0;
    reward_interval m = {b->p50,
                         b->p95,
                         b->p99,
                         b->error_rate,
                         ok,
                         offered,
                         b->dec.replicas_placed,
                         contended,
                         b->t,
                         b->offered_rps,
                         b->served_rps,
                         b->cost,
                         noisy_nodes};
    reward_add_interval(c, &m, info);
    if (c->env.terminate_down_s > 0 && b->down_s >= c->env.terminate_down_s)
        b->dec.done = 1;
    else if (b->t >= c->env.horizon_s)
        b->dec.done = 2;
}
