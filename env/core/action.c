/* action.c: the scale mask and action check of every backend (action.h). */
#include "env/core/action.h"

#include "common/err.h"

void action_scale_mask(const action_state *st, uint8_t m[3])
{
    m[0] = !st->bootstrapping && st->replicas_wanted > st->min_replicas;
    m[1] = 1;
    m[2] = !st->bootstrapping && st->replicas_wanted < st->max_replicas;
}

int action_check(const action_state *st, const int32_t a[2], const uint8_t *mask)
{
    if (a[0] < 0 || a[0] >= st->n_max)
        return kisim_seterr(KISIM_EINVALID_ACTION, "invalid action: node %d is outside [0, %d)",
                            a[0], st->n_max);
    if (!mask[a[0]])
        return kisim_seterr(KISIM_EINVALID_ACTION, "invalid action: node %d is masked (%s)", a[0],
                            a[0] >= st->n_nodes ? "no such node in this cluster"
                                                : "the pending pod does not fit there");
    if (a[1] < 0 || a[1] > 2)
        return kisim_seterr(KISIM_EINVALID_ACTION,
                            "invalid action: scale %d is outside {0, 1, 2} (-1, 0, +1)", a[1]);
    if (!mask[st->n_max + a[1]])
        return kisim_seterr(KISIM_EINVALID_ACTION,
                            "invalid action: scale %+d is masked (replicas %d, bounds [%d, %d]%s)",
                            a[1] - 1, st->replicas_wanted, st->min_replicas, st->max_replicas,
                            st->bootstrapping ? ", initial rollout" : "");
    return 0;
}
