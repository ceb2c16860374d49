/* sim_internal.h: the sim's state, shared by sim.c (pods and decisions), sim_service.c (the
 * service's latency, cost and reward over an interval) and sim_telemetry.c (features, the
 * telemetry ring and the observation). Not for use outside env/sim*.c. */
#ifndef KISIM_SIM_INTERNAL_H
#define KISIM_SIM_INTERNAL_H

#include "common/rng.h"
#include "env/core/backend.h"
#include "env/sim/sim.h"
#include "loadgen/load.h"

typedef struct sim sim;

typedef enum { SIM_POD_SERVICE, SIM_POD_BACKGROUND, SIM_POD_NOISY } sim_pod_kind;

/* Actual resource use, raw units. */
typedef struct {
    double cpu; /* cores busy */
    double mem_gib;
    double llc_mb; /* working set competing for the LLC */
    double membw;  /* GB/s */
    double iops;
    double kpps; /* thousands of packets per second, rx + tx */
} sim_usage;

typedef struct {
    sim_pod_kind kind;
    pod_class cls;
    int node;
    int noisy_kind;    /* when kind == SIM_POD_NOISY */
    double expires_at; /* background and noisy pods leave then; replicas never expire */
    double placed_at;
    double cpu_req, mem_req_gib;
    int gpus;
    sim_usage use; /* replicas: recomputed every interval from the load they serve */
} sim_pod;

typedef struct {
    const cfg_node_type *type;
    node_view view; /* allocatable and requested, as the orchestrator sees them */
    sim_usage use;  /* sum of the actual use of its pods */
    int noisy;      /* active noisy neighbours */
    int replicas;   /* service replicas */
} sim_node;

struct sim {
    backend base;     /* the state every backend shares (env/core/backend.h): sizes, t, the
                       * decision counters, the telemetry ring, the interval and episode metrics */
    kisim_config cfg; /* a copy */
    load_pattern load;
    rng rng;
    sim_node *nodes; /* [n_max] owned */
    sim_pod *pods;   /* live pods, owned; unordered (removal swaps the last in) */
    int n_pods, cap_pods;

    sim_pod pending; /* the pod this decision places (when base.dec.has_pending) */
    double next_noisy_t;

    /* Episode accumulators beyond the shared ones. comp_w/comp_theta hold every (replica,
     * interval) latency component, so that episode percentiles are request-weighted over the
     * whole episode. */
    double *comp_w, *comp_theta;
    int n_comp, cap_comp;
    double ep_at_cap;
};

/* sim.c */
int sim__add_pod(sim *s, const sim_pod *p);
void sim__remove_pod(sim *s, int i);
int sim__fits(const sim *s, const sim_pod *p, int node);
void sim__replica_use(const sim *s, double served_rps, double cpu_busy, sim_usage *u);

/* sim_service.c: advances one interval and fills the reward terms of `info`
 * (backend_ops.advance). */
int sim__advance(void *env, float *info);
/* Service-time inflation (>= 1) of a replica on a node with this use; *stall (optional) gets
 * the part that keeps the CPU busy (memory stalls). */
double sim__inflation(const sim *s, const sim_usage *use, const cfg_node_type *type, double *stall);
/* The episode's latency percentiles, request-weighted over the whole episode, and error rate
 * (backend_ops.episode_info). */
void sim__episode_info(const void *env, float *info);

/* sim_telemetry.c */
void sim__node_features(const sim *s, int node, double raw[KISIM_F]);
void sim__sample(sim *s);      /* pushes one telemetry sample per node */
void sim__fill_window(sim *s); /* fills the whole ring from the current state */
/* Node i's orchestrator features, normalised, into sample (backend_ops.orchestrator). */
void sim__orchestrator(const void *env, int node, float *sample);

#endif
