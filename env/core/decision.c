/* decision.c: the decision sequencing every backend shares (decision.h): the next pending pod,
 * the intervals up to the next decision, and a scale-down's victim. */
#include "env/core/decision.h"

#include "spaces/spaces.h"

int decision_next_pending(decision *d)
{
    d->has_pending = 0;
    if (d->replicas_placed < d->replicas_wanted) {
        if (d->ops->make_pending(d->env, 1)) return d->has_pending = 1;
        d->unschedulable++;
    }
    if (rng_uniform(d->rng) < d->arrival_prob) {
        if (d->ops->make_pending(d->env, 0)) return d->has_pending = 1;
        d->unschedulable++;
    }
    return 0;
}

int decision_next(decision *d, int advance, float *info)
{
    float scratch[KISIM_N_INFO] = {0};
    if (!info) info = scratch;
    if (!advance && decision_next_pending(d)) return 0;
    while (!d->done) {
        int err = d->ops->advance(d->env, info);
        if (err) return err;
        if (!d->done && decision_next_pending(d)) break;
    }
    return 0;
}

int decision_scale_down(decision *d, int n_pods)
{
    d->replicas_wanted--;
    if (d->replicas_wanted >= d->replicas_placed) return -1;
    int victim = -1, vr = 0;
    double vt = 0;
    for (int i = 0; i < n_pods; i++) {
        int pr;
        double pt;
        if (!d->ops->replica_rank(d->env, i, &pr, &pt)) continue;
        if (victim < 0 || pr > vr || (pr == vr && pt > vt)) {
            victim = i;
            vr = pr;
            vt = pt;
        }
    }
    if (victim >= 0) d->replicas_placed--;
    return victim;
}
