/* sim.h: the `sim` backend, an embedded cluster model that is deterministic for a seed.
 *
 * Nodes with capacities (cores, memory, LLC, memory bandwidth, disk IOPS, network packets,
 * GPUs); pods with requested and actual usage; a latency-sensitive service whose replicas are
 * M/M/1 queues with contention-inflated service times; background pods and noisy neighbours
 * arriving and leaving. env/MODEL.md explains the model and its numbers. */
#ifndef KISIM_SIM_H
#define KISIM_SIM_H

#include <stdint.h>

#include "common/config.h"
#include "common/rng.h"
#include "env/load.h"
#include "env/scorer.h"

typedef enum { SIM_POD_SERVICE, SIM_POD_BACKGROUND, SIM_POD_NOISY } sim_pod_kind;

/* Actual resource use of a pod or node, in raw units. */
typedef struct {
    double cpu;       /* cores busy */
    double mem_gib;
    double llc_mb;    /* working set competing for the LLC */
    double membw;     /* GB/s */
    double iops;
    double kpps;      /* thousands of packets per second, rx + tx */
} sim_usage;

typedef struct {
    sim_pod_kind kind;
    int node;
    pod_class cls;
    int noisy_kind;        /* noisy_kind when kind == SIM_POD_NOISY */
    double expires_at;     /* background and noisy pods leave then; service replicas never */
    double cpu_req, mem_req_gib;
    int gpus;
    sim_usage use;         /* static use (service replicas: recomputed every interval) */
} sim_pod;

typedef struct {
    const cfg_node_type *type;
    node_view view;        /* orchestrator's view: allocatable and requests */
    sim_usage use;         /* sum of actual use of the pods on it */
    int noisy;             /* active noisy neighbours */
    int replicas;          /* service replicas on it */
} sim_node;

typedef struct sim sim;

/* Capacity-planning helpers shared with the oracle and tests. */
int sim_init(sim **out, const kisim_config *cfg);
void sim_free(sim *s);
int sim_reset(sim *s, uint64_t seed);

/* The service-time inflation (>= 1) a latency-sensitive replica sees on `node` in the true
 * state, with the pending pod added there when `with_pending` is set. */
double sim_ls_inflation(const sim *s, int node, int with_pending);
/* Service replicas on `node`. */
int sim_replicas_on(const sim *s, int node);
/* Active noisy neighbours on `node` (hidden: no scheduler sees this). */
int sim_noisy_on(const sim *s, int node);

#endif
