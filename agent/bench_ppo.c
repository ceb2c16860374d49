/* bench_ppo.c: `kisim bench ppo`: training steps per second of the whole PPO loop (env steps,
 * forward passes, GAE, minibatch updates), one thread, on the built-in CartPole with CleanRL's
 * ppo.py defaults and on the quickstart sim; the median of several timed runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ppo.h"
#include "agent/verbs.h"
#include "common/cli_args.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/provenance.h"
#include "common/stats.h"

/* Trains for about `seconds`; writes steps per second. */
static int time_training(const kisim_config *cfg, double seconds, double *rate)
{
    ppo p;
    int err = ppo_init(&p, cfg);
    double m[PM_N], t0 = clock_mono_s();
    while (!err && clock_mono_s() - t0 < seconds && p.update < p.num_updates)
        err = ppo_iterate(&p, m);
    *rate = (double)p.global_step / (clock_mono_s() - t0);
    ppo_free(&p);
    return err;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kisim bench ppo [--runs R] [--seconds S] [--json]\n\n"
            "PPO training steps per second, whole loop, one thread: CartPole with CleanRL's\n"
            "ppo.py defaults (4 envs x 128 steps, 4 minibatches, 4 epochs, 64-64 tanh) and the\n"
            "quickstart sim (16 envs x 128 steps). Median of R runs (default 3) of S seconds\n"
            "(default 3). --json prints [{\"env\": \"cartpole\"|\"sim\", \"steps_per_s\": x}].\n");
}

int bench_ppo_main(int argc, char **argv)
{
    long runs = 3;
    double seconds = 3;
    int json = 0;
    const args_opt opts[] = {ARGS_OPT_LONG("runs", 'r', &runs, 1, 1000),
                             ARGS_OPT_DOUBLE("seconds", 's', &seconds, 0.1, 3600),
                             ARGS_OPT_FLAG("json", 'j', &json)};
    int err = args_parse("bench ppo", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(usage, err);
    if (err) return args_fail(err);
    const char *envs[2] = {"cartpole", "sim"};
    if (json)
        printf("[");
    else
        printf("kisim %s (git %s), PPO training, one thread, median of %ld runs of %.1f s\n",
               kisim_version(), kisim_git_commit(), runs, seconds);
    for (int e = 0; e < 2 && !err; e++) {
        kisim_config cfg;
        cfg_default(&cfg);
        cfg.train.total_steps = 1000000000;
        if (e == 0) {
            cfg.train.env = TRAIN_ENV_CARTPOLE;
            cfg.train.num_envs = 4;
            cfg.train.norm_obs = cfg.train.norm_reward = 0;
        }
        double *rate = calloc((size_t)runs, sizeof *rate);
        for (int r = 0; r < runs && !err; r++)
            err = time_training(&cfg, seconds, &rate[r]);
        if (!err) {
            double med = stats_median(rate, (int)runs);
            if (json)
                printf("%s{\"env\": \"%s\", \"steps_per_s\": %.0f}", e ? ", " : "", envs[e], med);
            else
                printf("  %-8s %10.0f steps/s\n", envs[e], med);
            fflush(stdout);
        }
        free(rate);
    }
    if (json) printf("]\n");
    if (err) fprintf(stderr, "%s\n", kisim_errmsg());
    return kisim_exit_code(err);
}
