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
 * killed and removed by its free function (and by the next init after a crash). */
#ifndef KISIM_LOCAL_H
#define KISIM_LOCAL_H

#include "env/core/backend.h"

typedef struct local local;

/* The local backend's functions for env_init (env/env.c): the decisions, the observation and
 * the scheduler's view are env/core/backend.c's over this table. init checks root, finds the
 * cgroup hierarchies and programs, removes stale groups of crashed runs under the parent, makes
 * the node groups and starts the collector: KISIM_EUNSUPPORTED (not root, no cgroups),
 * KISIM_EIO (a program missing or failing to start, naming it). free stops Locust, the
 * collector and every pod, and removes the instance's groups and files. reset stops the
 * previous episode's processes, starts the noisy neighbours (on local.noisy.nodes nodes drawn
 * from the seed) and the initial batch pods and lets the collector measure them. A step starts
 * the pending pod's process and runs decision intervals of wall time; it fails with
 * KISIM_ESTATE "interrupted" when env_interrupt() was called. The true state (sched_truth):
 * noisy neighbours and replicas per node, and as the inflation a replica would see the CPU
 * demand of the node's pods over its quota (the CFS fair-share slowdown), at least 1. The
 * backend's `env` (backend.env) is the `local *` the functions below take. */
extern const backend_ops local_backend;

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

#endif
