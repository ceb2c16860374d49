/* backend.h: what an env backend is. A backend fills one table of its own functions
 * (backend_ops: its lifecycle, its pods, its true state) and embeds a `backend` in its state;
 * everything else of the Gym-style API is written once, here, over that table: the action check,
 * placing and scaling, the intervals up to the next decision, the reward and the episode
 * metrics, the pod, service and mask parts of the observation and the scheduler's view. Adding
 * a backend (`sim`, `local`, later `kubernetes`) means writing the functions of one table. */
#ifndef KISIM_BACKEND_H
#define KISIM_BACKEND_H

#include <stdint.h>

#include "common/config.h"
#include "env/core/decision.h"
#include "spaces/spaces.h"
#include "spaces/view.h"

typedef struct backend backend;

/* A backend's functions. `env` is its own state (the one that embeds the backend, backend.env);
 * a backend with no such thing as the true state still fills the truth functions with what it
 * can observe. */
typedef struct {
    const char *name; /* "sim", "local": the prefix of its messages */

    /* Allocates the state for cfg (which it copies), calls backend_init on its embedded
     * backend and returns that in *out; KISIM_EUNSUPPORTED when it cannot run here. */
    int (*init)(backend **out, const kisim_config *cfg);
    /* Frees everything, backend_free included; NULL is safe. */
    void (*free)(void *env);
    /* The backend's part of starting an episode from seed (backend_reset has zeroed the shared
     * counters, t included): its RNG, nodes and initial pods, a full telemetry window. */
    int (*reset)(void *env, uint64_t seed);

    /* The pending pod: whether it fits on node, what the orchestrator sees of it, starting it
     * on node (0 or a negative kisim_err). */
    int (*fits)(const void *env, int node);
    void (*pending_view)(const void *env, pod_view *v);
    int (*place)(void *env, int node);
    /* How many pods it keeps, and removing pod `pod` of them (a scale-down's victim, by the
     * index decision_scale_down gives). */
    int (*n_pods)(const void *env);
    void (*remove)(void *env, int pod);

    /* Node i as the orchestrator sees it, and its orchestrator features (FEAT_CPU_REQUESTED_RATIO
     * .. the last feature), normalised, written into the newest sample of its window. */
    const node_view *(*node)(const void *env, int node);
    void (*orchestrator)(const void *env, int node, float *sample);

    /* The episode's latency percentiles and error rate (info[INFO_EP_P50_MS .. P99_MS],
     * info[INFO_EP_ERROR_RATE]): each backend measures them its own way. */
    void (*episode_info)(const void *env, float *info);

    /* Its side of the decision sequencing (decision.h): makes the pending pod the next wanted
     * replica (replica = 1) or a background arrival (0); runs one interval, adding its reward
     * terms and metrics to info (backend_interval_account, backend_interval_reward) and setting
     * dec.done at the end; ranks pod i for a scale-down (decision_ops.replica_rank). */
    void (*make_pending)(void *env, int replica);
    int (*advance)(void *env, float *info);
    int (*replica_rank)(const void *env, int i, int *node_replicas, double *placed_at);

    /* The true state (sched_truth, spaces/view.h). */
    double (*ls_inflation)(const void *env, int node, int with_pending);
    int (*replicas_on)(const void *env, int node);
    int (*noisy_on)(const void *env, int node);
} backend_ops;

/* The state the shared code reads and writes, embedded in the backend's own. The backend keeps
 * its pods, nodes, clock source and RNG; it writes the interval metrics and t. */
struct backend {
    const backend_ops *ops;  /* static, not owned */
    void *env;               /* the backend state that embeds this */
    const kisim_config *cfg; /* the backend's copy */
    int n_nodes, n_max, window;
    decision dec; /* the sequencing counters; dec.env is this backend */
    double t;     /* episode seconds: simulated, or wall time since the traffic started */

    /* Telemetry ring: [n_max][2 * ring_len][F] normalised samples, each written at slot k and
     * k + ring_len so that a window is one contiguous run; head = newest slot in [0, ring_len).
     * The observation's window ends `lag` samples before the newest. */
    float *ring; /* owned */
    int ring_len, ring_head, lag;
    /* Features the backend measured in its last sample ([KISIM_F_MEASURED]), or NULL for all:
     * the others are marked unavailable in the observation. Not owned. */
    const uint8_t *measured;

    /* The last interval's service metrics. */
    double p50, p95, p99, error_rate, offered_rps, served_rps, utilization, cost;
    double down_s; /* how long the service has been down (error rate > 0.5) */

    /* Episode accumulators. */
    double ep_offered, ep_ok, ep_cost, ep_replica_s, ep_reward;
    int ep_steps, ep_replicas_placed, ep_replicas_contended;

    /* backend_view's copies and the true state it hands out. */
    node_view *view_nodes; /* [n_max] owned */
    pod_view view_pod;
    service_view view_service;
    sched_truth truth;
};

/* Fills b for a backend `env` with these ops: the sizes from cfg (the backend's copy, which b
 * keeps a pointer to), a ring of window + lag samples per node, the decision's RNG (the
 * backend's) and arrival probability. KISIM_ENOMEM. */
int backend_init(backend *b, const backend_ops *ops, void *env, rng *r, const kisim_config *cfg,
                 int lag);
/* Frees what backend_init allocated (not b itself, which the backend embeds). */
void backend_free(backend *b);

/* Starts an episode: zeroes the shared counters, calls ops->reset, then asks for the initial
 * replicas and stops at the first decision. */
int backend_reset(backend *b, uint64_t seed);
/* One decision (env_step without the observation): checks the action against the mask (an
 * invalid one fails with KISIM_EINVALID_ACTION in `error` mode and changes nothing, or costs
 * env.invalid_penalty), places the pending pod, applies the replica delta, runs intervals until
 * a pod is pending or the episode ends; writes reward, terminated, truncated and
 * info[KISIM_N_INFO], the episode metrics at its end. KISIM_ESTATE after the episode ended. */
int backend_step(backend *b, const int32_t action[2], float *reward, uint8_t *terminated,
                 uint8_t *truncated, float *info);
/* The observation (spaces.h layout) and the action mask of the current decision. */
void backend_observe(const backend *b, float *obs, uint8_t *mask);
/* The action mask alone (mask[n_max + 3]). */
void backend_mask(const backend *b, uint8_t *mask);
/* The scheduler's view; obs_nodes and action_mask are left NULL for the caller to fill. */
void backend_view(backend *b, sched_view *v);

/* For the backend's interval: after it has set p50 .. p99, error_rate and offered_rps, adds
 * the interval's `offered` and `ok` requests over dt seconds to the served rate, the cost, the
 * episode sums and the time the service has been down. */
void backend_interval_account(backend *b, double offered, double ok, double dt);
/* Then, at the interval's end (t set, departures done, the sample taken): adds its reward terms
 * and metrics to info (`contended` replicas on a node with a noisy neighbour) and ends the
 * episode when the service was down for env.terminate_down_s (dec.done = 1) or t reached the
 * horizon (2). */
void backend_interval_reward(backend *b, double offered, double ok, int contended, float *info);

#endif
