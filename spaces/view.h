/* view.h: what a scheduler may read for one decision, the same on every backend and in the
 * scoring service: the orchestrator's view of the nodes, the pending pod and the service, the
 * observation's telemetry and masks, and (for the oracle and the dataset labels only) the
 * backend's true state behind function pointers. */
#ifndef KISIM_VIEW_H
#define KISIM_VIEW_H

#include <stdint.h>

/* The orchestrator's view of one node: allocatable and the sum of requests of the pods on it.
 * Requests use kube-scheduler's non-zero convention: a pod without requests counts as 100m CPU
 * and 200 MiB (the sim's pods always have requests). */
typedef struct {
    int64_t cpu_alloc_m; /* allocatable CPU, millicores */
    int64_t mem_alloc_b; /* allocatable memory, bytes */
    int pods_alloc;      /* max pods */
    int gpus_alloc;
    int64_t cpu_req_m; /* requested by pods already on the node */
    int64_t mem_req_b;
    int pods;
    int gpus_req;
} node_view;

/* Workload classes, the pod context's one-hot order. */
typedef enum {
    POD_LATENCY_SENSITIVE,
    POD_CPU_BOUND,
    POD_MEMORY_BOUND,
    POD_IO_BOUND,
    POD_BATCH,
    POD_CLASSES
} pod_class;

/* The pending pod as the orchestrator sees it. */
typedef struct {
    int64_t cpu_req_m;
    int64_t mem_req_b;
    int64_t cpu_limit_m; /* 0 = no limit (TargetLoadPacking then assumes 1.5 x request) */
    int gpus;
    pod_class cls;
    int is_replica; /* a replica of the latency-sensitive service */
} pod_view;

/* The service as an HPA sees it. */
typedef struct {
    int replicas; /* current replicas (placed + pending) */
    int min_replicas, max_replicas;
    double cpu_utilization; /* mean CPU utilisation of the replicas, of their request (0..) */
    double hpa_target, hpa_tolerance;
} service_view;

/* The backend's true state, for the oracle and the dataset's labels (agent/dataset.c): what the
 * environment knows and a deployable scheduler cannot (the sim's hidden contention, the local
 * backend's noisy neighbours). Every backend with a true state fills all three functions. */
typedef struct sched_truth {
    const void *state; /* the backend's, passed back to the functions */
    /* Service-time inflation (>= 1) a latency-sensitive replica sees on `node`, with the pending
     * pod added there when `with_pending` is set. */
    double (*ls_inflation)(const void *state, int node, int with_pending);
    int (*replicas_on)(const void *state, int node); /* service replicas on `node` */
    int (*noisy_on)(const void *state, int node);    /* active noisy neighbours on `node` */
} sched_truth;

/* Everything a scorer may read for one decision. Arrays are owned by the env / caller and valid
 * until the next step. */
typedef struct {
    int n_max;              /* N_max: length of nodes, node scores and the node mask */
    int window;             /* T */
    const node_view *nodes; /* [n_max]; entries past the cluster's nodes are zero */
    const pod_view *pod;
    const service_view *service;
    const float *obs_nodes;     /* [n_max, T, F] normalised telemetry, oldest sample first */
    const uint8_t *action_mask; /* [n_max + 3]: node mask, then scale mask (-1, 0, +1) */
    const sched_truth *truth;   /* the backend's true state, or NULL (the oracle, the datasets) */
} sched_view;

#endif
