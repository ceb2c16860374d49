/* action.h: the action rules every backend shares: the scale mask (no scaling while the initial
 * replicas roll out, replica bounds) and the check of an action against the mask, with the
 * message a user sees for an invalid one. */
#ifndef KISIM_ACTION_H
#define KISIM_ACTION_H

#include <stdint.h>

/* The replica count and its bounds, as the scale mask needs them. */
typedef struct {
    int n_max, n_nodes;  /* node slots, nodes that exist */
    int replicas_wanted; /* placed + pending */
    int min_replicas, max_replicas;
    int bootstrapping; /* the initial replicas are being placed (t = 0) */
} action_state;

/* m[3]: -1 allowed (above min, not bootstrapping), 0 always, +1 allowed (below max, not
 * bootstrapping). */
void action_scale_mask(const action_state *st, uint8_t m[3]);
/* 0 if a is allowed by mask[n_max + 3]; else KISIM_EINVALID_ACTION with a message naming the
 * node or scale and why. */
int action_check(const action_state *st, const int32_t a[2], const uint8_t *mask);

#endif
