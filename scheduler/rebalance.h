/* rebalance.h: the rebalancer (scheduler/README.md; the seed README's "Proactive
 * Rebalancer"): which pods, of those the telemetry store knows, are worth moving off their
 * node, with the score gain.
 *
 * Method: every fresh node is scored once per pod class present, through the policy chain
 * (verb "rebalance"). A pod's class comes from its own telemetry: the largest of its normalised
 * cpu_utilization (cpu-bound), memory_bandwidth_gbps (memory-bound) and disk_iops (io-bound) if
 * it reaches 0.3, else latency-sensitive; the rest of the pod context is 0 (the store does not
 * know requests). A pod on node X is listed when the best other node Y scores at least
 * min_delta more: "pod X -> Y (delta: s_Y - s_X)", largest deltas first. */
#ifndef KISIM_REBALANCE_H
#define KISIM_REBALANCE_H

#include "scheduler/score.h"
#include "telemetry/frame.h"

typedef struct {
    char pod[TELEM_FRAME_NAME_MAX + 1];
    char from[TELEM_FRAME_NAME_MAX + 1], to[TELEM_FRAME_NAME_MAX + 1];
    int from_score, to_score, delta;
    score_link link; /* the link that scored the pod's class */
} rebalance_move;

/* The moves (malloc'd, *n of them, at most max_moves). */
int rebalance_plan(score_service *s, int min_delta, int max_moves, rebalance_move **moves, int *n);
/* The pod context the rebalancer uses for a pod with these features. */
void rebalance_pod_context(const telem_frame_pod *pod, float *ctx);

#endif
