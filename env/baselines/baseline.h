/* baseline.h: the baseline node scorers behind one interface, the heuristics a learned policy is
 * compared with.
 *
 * A scorer reads what a scheduler can know (the orchestrator's view of allocatable and requested
 * resources, and the env's observation: telemetry window, pod context, service state, masks) and
 * scores every candidate node 0..100; the highest-scoring node wins, ties broken at random with
 * the scorer's own seeded rng (kube-scheduler's selectHost does the same). The oracle also reads
 * the backend's true state (sched_truth): an upper bound, never a deployable scorer.
 * Names: random, round-robin, k8s-default, most-allocated, load-aware, oracle. */
#ifndef KISIM_BASELINE_H
#define KISIM_BASELINE_H

#include <stdint.h>

#include "common/rng.h"
#include "spaces/view.h"

typedef struct baseline baseline;

/* NULL-terminated list of the scorer names this build knows. */
const char *const *baseline_names(void);
/* Creates the scorer `name` with its own rng seeded by `seed`. KISIM_EUSAGE with a message
 * listing the valid names when unknown. */
int baseline_create(baseline **out, const char *name, uint64_t seed);
void baseline_free(baseline *s);
const char *baseline_name(const baseline *s);
/* Reseeds the scorer's rng and clears its state (round-robin position): call at episode start. */
void baseline_reset(baseline *s, uint64_t seed);
/* Scores every node: scores[i] in [0, 100] for nodes whose mask bit is set, -1 for the others.
 * KISIM_EUNSUPPORTED when the scorer needs state the view lacks (oracle without `truth`). */
int baseline_score(baseline *s, const sched_view *v, double *scores);
/* The node to place the pending pod on: a highest-scoring masked node, ties at random.
 * Returns the node index, or a negative kisim_err (e.g. no node in the mask). */
int baseline_pick(baseline *s, const sched_view *v);

/* The Kubernetes HPA rule: desired = ceil(current * utilization / target), no change while
 * |utilization / target - 1| <= tolerance, clamped to [min, max]. */
int hpa_desired(const service_view *sv);
/* The scale action (0, 1, 2 for -1, 0, +1) that moves one replica towards hpa_desired(),
 * respecting the scale mask (action_mask[n_max..n_max+2]). */
int hpa_scale_action(const service_view *sv, const uint8_t *scale_mask);

#endif
