/* baseline_impl.h: what scorer.c, scorer_k8s.c, scorer_oracle.c and the scorer tests share; not a
 * public API (double-underscore names). The per-node formulas (scorer_k8s.c) are exposed so the
 * tests can check each against hand-computed values and the oracle can reuse the default. */
#ifndef KISIM_BASELINE_IMPL_H
#define KISIM_BASELINE_IMPL_H

#include <stdint.h>

#include "env/baselines/baseline.h"

/* One scorer: writes scores[i] in [0, 100] for every node i with baseline__masked(v, i); the
 * caller has already set the others to -1. Returns 0 or a negative kisim_err with a message. */
typedef int baseline__score_fn(baseline *s, const sched_view *v, double *scores);

/* Node i may receive the pod: inside the node range and set in the action mask. */
static inline int baseline__masked(const sched_view *v, int i)
{
    return i >= 0 && i < v->n_max && v->action_mask[i];
}

/* kube-scheduler's non-zero request convention for the incoming pod: 100m CPU, 200 MiB. */
#define BASELINE__DEFAULT_CPU_M 100
#define BASELINE__DEFAULT_MEM_B (200LL * 1024 * 1024)

/* NodeResourcesFit scoring strategies, 0..100 (integer, as kube-scheduler computes them). */
int64_t baseline__least_allocated(const node_view *n, const pod_view *p);
int64_t baseline__most_allocated(const node_view *n, const pod_view *p);
/* NodeResourcesBalancedAllocation, 0..100. */
int64_t baseline__balanced_allocation(const node_view *n, const pod_view *p);
/* kube-scheduler's default score: (LeastAllocated + BalancedAllocation) / 2, in 0..100. */
double baseline__k8s_default(const node_view *n, const pod_view *p);
/* TargetLoadPacking (trimaran, target 40%) for node i of the view, 0..100; needs obs_nodes. */
int64_t baseline__target_load_packing(const sched_view *v, int i);

/* The oracle (env/baselines/baseline_oracle.c, which reads sched_view.truth); the other scorers are
 * static functions in env/baselines/baseline.c, beside the table. */
baseline__score_fn baseline__oracle_scores;

#endif
