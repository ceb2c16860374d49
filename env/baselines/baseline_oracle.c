/* baseline_oracle.c: the oracle, a scorer that reads the backend's true state (sched_truth: the
 * sim's hidden contention, or which local nodes run a noisy neighbour). An upper bound for the
 * other scorers, never deployable. */
#include "common/err.h"
#include "env/baselines/baseline_impl.h"

/* Mostly the contention the placement causes, with the Kubernetes default as a tie-breaker
 * (and as the whole signal among nodes the true state cannot tell apart). */
#define ORACLE_CONTENTION_WEIGHT 0.9

/* Contention score, 0..100:
 * - a service replica: 100 / the service-time inflation it would see there;
 * - any other pod: 100 / (1 + the harm it does to the replicas already there), the harm being
 *   replicas x the inflation it adds to each. */
static double oracle_contention(const sched_truth *t, const pod_view *pod, int node)
{
    double with_pod = t->ls_inflation(t->state, node, 1);
    double c;
    if (pod->is_replica) {
        c = 100 / (with_pod > 1 ? with_pod : 1);
    } else {
        double added = with_pod - t->ls_inflation(t->state, node, 0);
        c = 100 / (1 + t->replicas_on(t->state, node) * (added > 0 ? added : 0));
    }
    return c;
}

int baseline__oracle_scores(baseline *s, const sched_view *v, double *scores)
{
    (void)s;
    if (!v->truth)
        return kisim_seterr(KISIM_EUNSUPPORTED,
                            "scorer oracle: needs the backend's true state, which the sim and "
                            "local backends provide; use another scorer with this backend");
    for (int i = 0; i < v->n_max; i++) {
        if (!baseline__masked(v, i)) continue;
        scores[i] = ORACLE_CONTENTION_WEIGHT * oracle_contention(v->truth, v->pod, i) +
                    (1 - ORACLE_CONTENTION_WEIGHT) * baseline__k8s_default(&v->nodes[i], v->pod);
    }
    return 0;
}
