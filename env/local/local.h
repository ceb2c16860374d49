/* local.h: the `local` backend, the Gym-style API over real processes on this machine.
 *
 * A node is a cgroup with the CPU quota and memory limit of its node type (cores, memory_gib);
 * a pod is a process in a child cgroup of its node: replicas of `kisim target` on 127.0.0.1
 * ports, noisy neighbours and batch pods run with stress-ng. One `kisim collect` child measures
 * every node; Locust (loadgen/locust.h) drives the replicas, and its measurements feed the same
 * reward function as the sim (env/core/reward.h). Time is wall time: a decision interval lasts
 * env.decision_interval_s seconds. env/LOCAL.md says what is real here and what is not.
 *
 * Needs root. Everything it starts lives in cgroups under local.cgroup_parent/INSTANCE and is
 * killed and removed by local_free (and by the next local_init after a crash). */
#ifndef KISIM_LOCAL_H
#define KISIM_LOCAL_H

#include <stdint.h>

#include "common/config.h"
#include "spaces/view.h"

typedef struct local local;

/* Checks root, finds the cgroup hierarchies and programs, removes stale groups of crashed runs
 * under the parent, makes the node groups and starts the collector. KISIM_EUNSUPPORTED (not
 * root, no cgroups), KISIM_EIO (a program missing or failing to start, naming it). */
int local_init(local **out, const kisim_config *cfg);
/* Stops Locust, the collector and every pod, and removes the instance's groups and files. */
void local_free(local *l);
/* Starts an episode: stops the previous one's processes, starts the noisy neighbours (on
 * local.noisy.nodes nodes drawn from `seed`) and the initial batch pods, lets the collector
 * measure them, and stops at the first decision (an initial replica to place). */
int local_reset(local *l, uint64_t seed);
/* The observation (spaces.h layout) and action mask of the current decision. */
void local_observe(const local *l, float *obs, uint8_t *mask);
/* One decision (see sim_step): places the pending pod (starting its process), applies the
 * replica delta, then runs decision intervals of wall time until a pod is pending or the episode
 * ends. KISIM_EINTR-like KISIM_ESTATE "interrupted" when env_interrupt() was called. */
int local_step(local *l, const int32_t action[2], float *reward, uint8_t *terminated,
               uint8_t *truncated, float *info);
/* The scheduler's view (sched_view), with `truth` reading the backend's own state. */
void local_view(local *l, sched_view *v);

/* True state, for the oracle and tests. */
int local_noisy_on(const local *l, int node);    /* noisy neighbours running on node */
int local_replicas_on(const local *l, int node); /* service replicas on node */
/* Service-time inflation a replica would see on node: the CPU demand of the node's pods over
 * its quota (the CFS fair-share slowdown), at least 1; with the pending pod's expected demand
 * added when with_pending. */
double local_ls_inflation(const local *l, int node, int with_pending);

/* One replica's Locust statistics over the episode so far (cumulative since Locust started). */
typedef struct {
    int node;
    int port;
    long requests, failures;
    double p50_ms, p95_ms, p99_ms;
} local_replica_stats;
/* Fills up to cap replicas' statistics (replicas still running); returns how many, or a
 * negative error (no traffic yet: KISIM_ESTATE). */
int local_replica_stats_read(local *l, local_replica_stats *out, int cap);
/* The cgroup (relative to each controller's root) of node i, for tests. */
const char *local_node_cgroup(const local *l, int node);

#endif
