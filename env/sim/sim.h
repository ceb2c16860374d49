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

#include <stdint.h>

#include "common/config.h"
#include "spaces/spaces.h"
#include "spaces/view.h"

typedef struct sim sim;

/* Allocates a sim for the config (which it copies). KISIM_ENOMEM, or the load pattern's error
 * (e.g. an unreadable trace). Call sim_reset before the first step. */
int sim_init(sim **out, const kisim_config *cfg);
void sim_free(sim *s);
/* Starts an episode from `seed`: the same seed gives the same episode, byte for byte. */
int sim_reset(sim *s, uint64_t seed);
/* Writes the observation (spaces.h layout) and the action mask of the current decision. */
void sim_observe(const sim *s, float *obs, uint8_t *mask);
/* One decision: action[0] = node, action[1] = scale (0, 1, 2 = -1, 0, +1). Writes reward,
 * terminated, truncated and info[KISIM_N_INFO]. In `error` mode an invalid action returns
 * KISIM_EINVALID_ACTION with a message and changes nothing. After the episode ended, returns
 * KISIM_ESTATE until the next reset. */
int sim_step(sim *s, const int32_t action[2], float *reward, uint8_t *terminated,
             uint8_t *truncated, float *info);
/* What a scheduler may read about the current decision; arrays owned by the sim, valid until
 * the next step. obs_nodes and action_mask are left NULL for the caller to fill. */
void sim_view(sim *s, sched_view *v);
int sim_done(const sim *s);

/* Hidden state, for the oracle and tests. */
/* Service-time inflation (>= 1) a latency-sensitive replica sees on `node` in the true state,
 * with the pending pod added there when `with_pending` is set. */
double sim_ls_inflation(const sim *s, int node, int with_pending);
/* Service replicas on `node`. */
int sim_replicas_on(const sim *s, int node);
/* Active noisy neighbours on `node`. */
int sim_noisy_on(const sim *s, int node);

#endif
