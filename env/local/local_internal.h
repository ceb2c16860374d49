/* local_internal.h: the local backend's state, shared by local.c (lifecycle and decisions),
 * local_pods.c (the processes of pods), local_telemetry.c (the collector, its frames and the
 * observation) and local_service.c (Locust, intervals, reward). Not for use outside env/local*.c.
 */
#ifndef KISIM_LOCAL_INTERNAL_H
#define KISIM_LOCAL_INTERNAL_H

#include <limits.h>
#include <sys/types.h>

#include "common/rng.h"
#include "env/core/backend.h"
#include "env/local/local.h"
#include "env/local/local_cgroup.h"
#include "loadgen/load.h"
#include "loadgen/locust.h"
#include "spaces/spaces.h"

/* Room for a pod's or node's cgroup path relative to the roots (PARENT/INSTANCE/NODE/POD). */
#define LOCAL_REL_MAX (PATH_MAX + 64)

typedef enum { LOCAL_POD_REPLICA, LOCAL_POD_NOISY, LOCAL_POD_BATCH } local_pod_kind;

/* What a noisy neighbour and a batch pod request (a noisy neighbour requests little, like the
 * sim's: 100m CPU and 128 MiB), and what a replica's memory request is when the config asks
 * for more than a node has. */
#define LOCAL_NOISY_CPU_REQ 0.1
#define LOCAL_NOISY_MEM_REQ 0.125
#define LOCAL_BATCH_MEM_REQ 0.125

typedef struct {
    local_pod_kind kind;
    int node;
    pid_t pid;         /* 0 while pending */
    char name[24];     /* its cgroup folder under the node: r3, noisy0, b7 */
    int port;          /* replicas: 127.0.0.1:port */
    double placed_at;  /* episode seconds */
    double expires_at; /* batch pods leave then; INFINITY for the others */
    double cpu_req, mem_req_gib;
    double demand; /* cores it is configured to use (noisy, batch); replicas: measured */
    unsigned long long cpu_ns; /* its cgroup's CPU time at the last interval end */
} local_pod;

typedef struct {
    const cfg_node_type *type;
    char name[16];              /* n0, n1, ...: the collector's node names */
    char cgroup[PATH_MAX + 32]; /* PARENT/INSTANCE/nI */
    node_view view;             /* allocatable and requested, as the orchestrator sees them */
    int noisy, replicas;
} local_node;

struct local {
    backend base;     /* the state every backend shares (env/core/backend.h): sizes, t, the
                       * decision counters, the telemetry ring, the interval and episode metrics */
    kisim_config cfg; /* a copy */
    local_cgroup cg;
    load_pattern load;
    rng rng;
    char instance[64];       /* local_cgroup_instance() */
    char inst_rel[PATH_MAX]; /* PARENT/INSTANCE */
    char dir[PATH_MAX];      /* RUN_DIR/kisim-local-INSTANCE: logs, targets, Locust files */
    char kisim[PATH_MAX];    /* the kisim binary (collect, target) */
    local_node *nodes;       /* [n_max] owned */
    local_pod *pods;         /* running pods, owned; removal swaps the last in */
    int n_pods, cap_pods, next_id;

    local_pod pending; /* the pod this decision places (when base.dec.has_pending) */
    double t0;         /* CLOCK_MONOTONIC seconds when the traffic started (base.t = 0); 0 before */

    /* Telemetry: the collector's frames of one interval averaged per node into one sample of
     * base.ring (window samples per node, no lag). */
    pid_t collector;
    void *zctx, *sub; /* ZeroMQ context and the SUB socket the collector connects to */
    char endpoint[PATH_MAX + 16];
    double *acc;            /* [n_max][F] sums of this interval's frames (raw units) */
    int *acc_n;             /* [n_max][F] how many frames had the feature */
    uint8_t avail[KISIM_F]; /* 1 if the collector measured the feature in the last frame */
    long frames, bad_frames;

    /* Load. */
    locust *lc; /* NULL outside an episode's traffic */
    char config_path[PATH_MAX + 32], targets_path[PATH_MAX + 32];
    long req_prev, fail_prev;    /* Locust's cumulative counts at the last interval end */
    local_replica_stats *rstats; /* [cap_rstats]: the replicas at the last interval end */
    int n_rstats, cap_rstats;

    /* Episode accumulators beyond the shared ones. */
    double ep_p50, ep_p95, ep_p99; /* Locust's cumulative percentiles at the last interval */
    long ep_requests, ep_failures;
};

/* local_pods.c */
/* The pod's cgroup, relative to the roots: NODE_CGROUP/NAME. buf has LOCAL_REL_MAX bytes. */
void local__pod_cgroup(const local *l, const local_pod *p, char *buf);
/* The pending or placed pod as the orchestrator sees it. */
void local__pod_view(const local_pod *p, pod_view *v);
/* Starts pod p (kind, node, cpu_req... set) on p->node: its cgroup, its process; replicas are
 * up once /healthz answers. Adds it to the pods and the node's requests. */
int local__start_pod(local *l, local_pod *p);
/* Stops and removes pods[i]. */
void local__stop_pod(local *l, int i);
/* Stops every pod. */
void local__stop_all(local *l);
/* Rewrites Locust's target list from the running replicas. */
int local__update_targets(local *l);
int local__fits(const local *l, const local_pod *p, int node);
void local__make_replica(const local *l, local_pod *p);
void local__make_batch(local *l, local_pod *p);

/* local_telemetry.c */
int local__collector_start(local *l);
void local__collector_stop(local *l);
/* Receives frames until the monotonic time `until` (or an interrupt): 0, or KISIM_ESTATE when
 * interrupted. */
int local__receive_until(local *l, double until);
/* Pushes this interval's averaged sample into the ring and clears the sums. */
void local__sample(local *l);
/* Fills the whole ring with this interval's sample (at reset). */
void local__fill_window(local *l);
/* Node i's orchestrator features, normalised, into sample (backend_ops.orchestrator). */
void local__orchestrator(const void *env, int node, float *sample);

/* local_service.c */
/* Runs one decision interval of wall time; fills the reward terms and metrics of info. */
int local__advance(void *env, float *info);
/* The episode's percentiles (Locust's, cumulative) and error rate (backend_ops.episode_info). */
void local__episode_info(const void *env, float *info);
/* Stops Locust (at episode end and in local_free). */
void local__traffic_stop(local *l);

#endif
