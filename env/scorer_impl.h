/* scorer_impl.h: what scorer.c, scorer_k8s.c, scorer_oracle.c and the scorer tests share; not a
 * public API (double-underscore names). The per-node formulas (scorer_k8s.c) are exposed so the
 * tests can check each against hand-computed values and the oracle can reuse the default. */
#ifndef KISIM_SCORER_IMPL_H
#define KISIM_SCORER_IMPL_H

#include <stdint.h>

#include "env/scorer.h"

/* One scorer: writes scores[i] in [0, 100] for every node i with scorer__masked(v, i); the
 * caller has already set the others to -1. Returns 0 or a negative kisim_err with a message. */
typedef int scorer__score_fn(scorer *s, const sched_view *v, double *scores);

/* Node i may receive the pod: inside the node range and set in the action mask. */
static inline int scorer__masked(const sched_view *v, int i)
{
    return i >= 0 && i < v->n_max && v->action_mask[i];
}

/* kube-scheduler's non-zero request convention for the incoming pod: 100m CPU, 200 MiB. */
#define SCORER__DEFAULT_CPU_M 100
#define SCORER__DEFAULT_MEM_B (200LL * 1024 * 1024)

/* NodeResourcesFit scoring strategies, 0..100 (integer, as kube-scheduler computes them). */
int64_t scorer__least_allocated(const node_view *n, const pod_view *p);
int64_t scorer__most_allocated(const node_view *n, const pod_view *p);
/* NodeResourcesBalancedAllocation, 0..100. */
int64_t scorer__balanced_allocation(const node_view *n, const pod_view *p);
/* kube-scheduler's default score: (LeastAllocated + BalancedAllocation) / 2, in 0..100. */
double scorer__k8s_default(const node_view *n, const pod_view *p);
/* TargetLoadPacking (trimaran, target 40%) for node i of the view, 0..100; needs obs_nodes. */
int64_t scorer__target_load_packing(const sched_view *v, int i);

/* The oracle (env/scorer_oracle.c, which reads sched_view.truth); the other scorers are static
 * functions in env/scorer.c, beside the table. */
scorer__score_fn scorer__oracle_scores;

#endif
