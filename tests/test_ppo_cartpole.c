/* test_ppo_cartpole.c: the learner learns. PPO with CleanRL's CartPole defaults must reach a
 * mean return above 150 within 100k steps (a random policy scores about 22); the same seed
 * gives the same parameters bit for bit. The full 5-seed validation is
 * experiments/cartpole_ppo.sh (label experiment). */
#include "agent/ppo.h"
#include "common/err.h"
#include "test.h"

static kisim_config cartpole_config(void)
{
    kisim_config cfg;
    cfg_default(&cfg);
    cfg.train.env = TRAIN_ENV_CARTPOLE;
    cfg.train.num_envs = 4;
    cfg.train.num_steps = 128;
    cfg.train.total_steps = 100000;
    cfg.train.norm_obs = 0;
    cfg.train.norm_reward = 0;
    cfg.train.feature_mask_prob = 0;
    return cfg;
}

static void test_learns_cartpole(void)
{
    kisim_config cfg = cartpole_config();
    ppo p;
    int err = ppo_init(&p, &cfg);
    CHECK_MSG(err == 0, "%s", kisim_errmsg());
    if (err) return;
    double m[PM_N], sum = 0, n = 0, first = NAN;
    while (p.update < p.num_updates) {
        CHECK(ppo_iterate(&p, m) == 0);
        if (isnan(first) && m[PM_EPISODES] > 0) first = m[PM_EP_RETURN];
        if (p.update > p.num_updates - 20 && m[PM_EPISODES] > 0)
            sum += m[PM_EP_RETURN] * m[PM_EPISODES], n += m[PM_EPISODES];
    }
    double late = n ? sum / n : 0;
    fprintf(stderr, "first update's mean return %.1f, last 20 updates' %.1f\n", first, late);
    CHECK(first < 60);
    CHECK_MSG(late > 150, "mean return %.1f after 100k steps", late);
    ppo_free(&p);
}

static void test_same_seed_same_parameters(void)
{
    kisim_config cfg = cartpole_config();
    cfg.train.total_steps = 8192;
    ppo a, b;
    double m[PM_N];
    CHECK(ppo_init(&a, &cfg) == 0 && ppo_init(&b, &cfg) == 0);
    while (a.update < a.num_updates)
        ppo_iterate(&a, m), ppo_iterate(&b, m);
    CHECK(memcmp(a.model.p.params, b.model.p.params, a.model.p.total * sizeof(float)) == 0);
    ppo_free(&b);
    cfg.train.seed = 2;
    CHECK(ppo_init(&b, &cfg) == 0);
    while (b.update < b.num_updates)
        ppo_iterate(&b, m);
    CHECK(memcmp(a.model.p.params, b.model.p.params, a.model.p.total * sizeof(float)) != 0);
    ppo_free(&a);
    ppo_free(&b);
}

int main(void)
{
    RUN(test_learns_cartpole);
    RUN(test_same_seed_same_parameters);
    TEST_MAIN_END();
}
