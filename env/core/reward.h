/* reward.h: the reward of one decision interval, the same function for every backend
 * (env/MODEL.md "Reward"). The sim feeds it from its queueing model, the local backend from
 * Locust's measurements (env/LOCAL.md says which source feeds which term). */
#ifndef KISIM_REWARD_H
#define KISIM_REWARD_H

#include "common/config.h"

/* What one interval of the service measured. */
typedef struct {
    double p50_ms, p95_ms, p99_ms; /* latency percentiles of the interval's requests */
    double error_rate;             /* failed / offered, in [0, 1] */
    double ok, offered;            /* requests that succeeded, requests offered */
    int replicas;                  /* running replicas */
    int contended;                 /* of which on a node with a noisy neighbour */
    /* Metrics reported in info, not rewarded: */
    double t; /* episode seconds at the interval's end */
    double offered_rps, served_rps;
    double cost;     /* the interval's replica cost */
    int noisy_nodes; /* nodes with a noisy neighbour at the end */
} reward_interval;

/* Adds the interval's weighted terms (config's reward block) to info[INFO_R_LATENCY ..
 * INFO_R_CONTENTION], adds its cost to info[INFO_COST] and sets the interval metrics (time,
 * latencies, error rate, rates, replicas, contended share, noisy nodes). The terms: -latency *
 * max(0, p / slo - 1) (p = reward.latency_percentile, only when something was offered), -errors *
 * error_rate, +throughput * ok / offered (1 when nothing was offered), -cost * replicas /
 * max_replicas, -contention * contended / replicas. */
void reward_add_interval(const kisim_config *c, const reward_interval *m, float *info);
/* Sets info[INFO_REWARD] to the sum of the step's terms (r_latency .. r_invalid) and returns it. */
float reward_total(float *info);

#endif
