/* cartpole.h: a built-in CartPole-v1 with Gymnasium's physics, termination and truncation, to
 * validate the PPO learner against published references (CleanRL's ppo.py). Observation
 * float32[4] = (x, x_dot, theta, theta_dot); action 0 pushes left, 1 right; reward 1 for every
 * step including the last; terminated when |x| > 2.4 or |theta| > 12 degrees; truncated at 500
 * steps. The state is double, as in Gymnasium; reset draws each component uniformly in
 * [-0.05, 0.05) from the env's own seeded rng. */
#ifndef KISIM_CARTPOLE_H
#define KISIM_CARTPOLE_H

#include <stdint.h>

#include "common/rng.h"

#define CARTPOLE_OBS 4
#define CARTPOLE_ACTIONS 2
#define CARTPOLE_MAX_STEPS 500

typedef struct {
    double s[4]; /* x, x_dot, theta, theta_dot */
    int steps;
    rng rng;
} cartpole;

void cartpole_reset(cartpole *c, uint64_t seed, float obs[CARTPOLE_OBS]);
/* Reset drawing from the env's own stream (for auto-reset after an episode). */
void cartpole_reset_next(cartpole *c, float obs[CARTPOLE_OBS]);
/* One step; action must be 0 or 1 (anything else pushes right, like a nonzero action). */
void cartpole_step(cartpole *c, int action, float obs[CARTPOLE_OBS], float *reward,
                   uint8_t *terminated, uint8_t *truncated);

#endif
