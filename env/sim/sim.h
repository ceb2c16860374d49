/* sim.h: the `sim` backend, an embedded cluster model that is deterministic for a seed.
 *
 * Nodes with capacities (cores, memory, LLC, memory bandwidth, disk IOPS, network packets,
 * GPUs); pods with requested and actual usage; a latency-sensitive service whose replicas are
 * M/M/1 queues with contention-inflated service times; background pods and noisy neighbours
 * arriving and leaving. Time advances in decision intervals; each step places the pending pod
 * and applies a replica delta, then advances to the next interval with a pending pod.
 * env/MODEL.md explains the model and its numbers. */
#ifndef KISIM_SIM_H
#define KISIM_SIM_H

#include "env/core/backend.h"

/* The sim's functions for env_init (env/env.c): the decisions, the observation and the
 * scheduler's view are env/core/backend.c's over this table. Its true state (sched_truth) is
 * the model's own: the contention a replica would see, replicas and noisy neighbours per node.
 * The same seed gives the same episode, byte for byte. */
extern const backend_ops sim_backend;

#endif
