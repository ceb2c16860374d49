/* train_state.h: what last.safetensors carries beyond the model so that --resume continues
 * exactly where training stopped: Adam's moments and step, the learner's counters and rng, the
 * current observations, the feature statistics, and the envs' state (ppo_envs save/load). */
#ifndef KISIM_TRAIN_STATE_H
#define KISIM_TRAIN_STATE_H

#include "agent/ppo.h"
#include "policy/ckpt.h"

typedef struct {
    uint64_t counters[4]; /* update, global_step, adam_t, format */
} train_state;

/* Adds the learner's and envs' state to c (data borrowed from p and st until the write). */
int train_state_capture(ppo *p, train_state *st, ckpt *c);
void train_state_free(train_state *st);
/* Restores p (freshly ppo_init'ed with the same config) from DIR/last.safetensors. */
int train_state_resume(ppo *p, const char *dir);

#endif
