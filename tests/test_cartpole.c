/* test_cartpole.c: the built-in CartPole-v1 against Gymnasium's equations worked by hand, its
 * termination bounds, truncation at 500 steps, and seeded resets. */
#include "env/cartpole/cartpole.h"

#include "test.h"

static void test_one_step_by_hand(void)
{
    /* From rest, push right (force 10 N):
     * temp = 10 / 1.1 = 9.090909; theta_acc = (0 - 1 * 9.090909) / (0.5 * (4/3 - 0.1/1.1))
     *      = -9.090909 / 0.621212 = -14.634146; x_acc = 9.090909 - 0.05 * -14.634146 / 1.1
     *      = 9.756098. Euler: x = 0, x_dot = 0.02 * 9.756098 = 0.195122, theta = 0,
     * theta_dot = 0.02 * -14.634146 = -0.292683. */
    cartpole c = {{0, 0, 0, 0}, 0, {{0}}};
    float obs[4], r;
    uint8_t term, trunc;
    cartpole_step(&c, 1, obs, &r, &term, &trunc);
    CHECK_NEAR(obs[0], 0, 1e-7);
    CHECK_NEAR(obs[1], 0.195122, 1e-6);
    CHECK_NEAR(obs[2], 0, 1e-7);
    CHECK_NEAR(obs[3], -0.292683, 1e-6);
    CHECK(r == 1 && !term && !trunc);
    /* second step, push left: x = 0 + 0.02 * 0.195122 = 0.00390244 */
    cartpole_step(&c, 0, obs, &r, &term, &trunc);
    CHECK_NEAR(obs[0], 0.00390244, 1e-7);
    CHECK_NEAR(obs[2], 0.02 * -0.292683, 1e-7);
}

static void test_termination_and_truncation(void)
{
    cartpole c = {{2.39, 1.0, 0, 0}, 0, {{0}}};
    float obs[4], r;
    uint8_t term, trunc;
    cartpole_step(&c, 1, obs, &r, &term, &trunc); /* x = 2.39 + 0.02 = 2.41 > 2.4 */
    CHECK(term && !trunc && r == 1);
    cartpole d = {{0, 0, 0.2094, 0.1}, 0, {{0}}}; /* theta -> 0.2114 > 12 degrees (0.20944) */
    cartpole_step(&d, 1, obs, &r, &term, &trunc);
    CHECK(term);
    cartpole e = {{0, 0, 0, 0}, 499, {{0}}};
    cartpole_step(&e, 1, obs, &r, &term, &trunc);
    CHECK(!term && trunc);
}

static void test_seeded_reset(void)
{
    cartpole a, b;
    float oa[4], ob[4];
    cartpole_reset(&a, 7, oa);
    cartpole_reset(&b, 7, ob);
    CHECK(memcmp(oa, ob, sizeof oa) == 0);
    for (int i = 0; i < 4; i++)
        CHECK(oa[i] >= -0.05f && oa[i] < 0.05f);
    cartpole_reset(&b, 8, ob);
    CHECK(memcmp(oa, ob, sizeof oa) != 0);
}

int main(void)
{
    RUN(test_one_step_by_hand);
    RUN(test_termination_and_truncation);
    RUN(test_seeded_reset);
    TEST_MAIN_END();
}
