/* cartpole.c: Gymnasium's CartPole-v1 (classic_control/cartpole.py), Euler integration. */
#include "env/cartpole/cartpole.h"

#include <math.h>

#define GRAVITY 9.8
#define MASS_CART 1.0
#define MASS_POLE 0.1
#define TOTAL_MASS (MASS_CART + MASS_POLE)
#define HALF_LENGTH 0.5
#define POLE_MASS_LENGTH (MASS_POLE * HALF_LENGTH)
#define FORCE_MAG 10.0
#define TAU 0.02
#define THETA_LIMIT (12 * 2 * M_PI / 360)
#define X_LIMIT 2.4

static void observe(const cartpole *c, float obs[CARTPOLE_OBS])
{
    for (int i = 0; i < 4; i++)
        obs[i] = (float)c->s[i];
}

void cartpole_reset_next(cartpole *c, float obs[CARTPOLE_OBS])
{
    for (int i = 0; i < 4; i++)
        c->s[i] = -0.05 + 0.1 * rng_uniform(&c->rng);
    c->steps = 0;
    observe(c, obs);
}

void cartpole_reset(cartpole *c, uint64_t seed, float obs[CARTPOLE_OBS])
{
    rng_seed(&c->rng, seed);
    cartpole_reset_next(c, obs);
}

void cartpole_step(cartpole *c, int action, float obs[CARTPOLE_OBS], float *reward,
                   uint8_t *terminated, uint8_t *truncated)
{
    double x = c->s[0], x_dot = c->s[1], theta = c->s[2], theta_dot = c->s[3];
    double force = action ? FORCE_MAG : -FORCE_MAG;
    double cos_t = cos(theta), sin_t = sin(theta);
    double temp = (force + POLE_MASS_LENGTH * theta_dot * theta_dot * sin_t) / TOTAL_MASS;
    double theta_acc = (GRAVITY * sin_t - cos_t * temp) /
                       (HALF_LENGTH * (4.0 / 3.0 - MASS_POLE * cos_t * cos_t / TOTAL_MASS));
    double x_acc = temp - POLE_MASS_LENGTH * theta_acc * cos_t / TOTAL_MASS;
    c->s[0] = x + TAU * x_dot;
    c->s[1] = x_dot + TAU * x_acc;
    c->s[2] = theta + TAU * theta_dot;
    c->s[3] = theta_dot + TAU * theta_acc;
    c->steps++;
    observe(c, obs);
    *reward = 1.0f;
    *terminated =
        c->s[0] < -X_LIMIT || c->s[0] > X_LIMIT || c->s[2] < -THETA_LIMIT || c->s[2] > THETA_LIMIT;
    *truncated = !*terminated && c->steps >= CARTPOLE_MAX_STEPS;
}
