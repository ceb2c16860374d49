/* rebalance.h: the rebalancer (scheduler/README.md; the seed README's "Proactive
 * Rebalancer"): which pods, of those the telemetry store knows, are worth moving off their
 * node, with the score gain.
 *
 * Method: every fresh node (the first SCORE_MAX_NODES of them) is scored once per pod class
 * present, through the policy chain (verb "rebalance"). A pod's class comes from its own
 * telemetry: the largest of its normalised cpu_utilization (cpu-bound), memory_bandwidth_gbps
 * (memory-bound) and disk_iops (io-bound) if it reaches 0.3, else latency-sensitive; the rest of
 * the pod context is 0 (the store does not know requests). A pod on node X is listed when the
 * best other node Y (the first of the highest score) scores at least min_delta more, and more
 * than X: "pod X -> Y (delta: s_Y - s_X)", largest deltas first, then by pod name.
 *
 * Cost: two passes over the store's pods under its read lock, nothing copied per pod; memory
 * O(nodes + max_moves), CPU O(pods log max_moves). A cluster of 1,000 nodes x 1,024 pods plans
 * in about half a second in a Debug build (tests/itest_rebalance.c); rebalance_start runs a plan in
 * its own thread so the BatchScore thread goes on answering score requests meanwhile. */
#ifndef KISIM_REBALANCE_H
#define KISIM_REBALANCE_H

#include "scheduler/score.h"
#include "telemetry/frame.h"

#define REBALANCE_MAX_MOVES 10000 /* moves one plan lists at most (the protocol's "max") */

typedef struct {
    char pod[TELEM_FRAME_NAME_MAX + 1];
    char from[TELEM_FRAME_NAME_MAX + 1], to[TELEM_FRAME_NAME_MAX + 1];
    int from_score, to_score, delta;
    score_link link; /* the link that scored the pod's class */
} rebalance_move;

/* The moves (malloc'd, *n of them, at most max_moves, in 1..REBALANCE_MAX_MOVES), in the
 * caller's thread. KISIM_EINPUT for max_moves out of range, KISIM_ENOMEM. */
int rebalance_plan(score_service *s, int min_delta, int max_moves, rebalance_move **moves, int *n);
/* The pod context the rebalancer uses for a pod with these features. */
void rebalance_pod_context(const telem_frame_pod *pod, float *ctx);

/* A plan in its own thread. s must outlive the job (rebalance_finish before closing it). */
typedef struct rebalance_job rebalance_job;
/* Starts the plan; KISIM_ENOMEM if no thread could be made. */
int rebalance_start(rebalance_job **out, score_service *s, int min_delta, int max_moves);
/* 1 once the plan has ended (rebalance_finish will not wait), else 0. Any thread. */
int rebalance_done(rebalance_job *j);
/* Waits for the plan, hands over its moves (as rebalance_plan) and frees j. Returns the plan's
 * error, its message set in the caller's thread. */
int rebalance_finish(rebalance_job *j, rebalance_move **moves, int *n);

#endif
