/* bench_ppo.c: `kisim bench ppo`: training steps per second of the whole PPO loop (env steps,
 * forward passes, GAE, minibatch updates), one thread, on the built-in CartPole with CleanRL's
 * ppo.py defaults and on the quickstart sim; the median of several timed runs. */
#include <getopt.h>
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

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
    static const struct option opts[] = {{"runs", required_argument, 0, 'r'},
                                         {"seconds", required_argument, 0, 's'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    long runs = 3;
    double seconds = 3;
    int json = 0, err = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:s:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            err = args_int("bench ppo", "--runs", optarg, 1, 1000, &runs);
            break;
        case 's':
            err = args_double("bench ppo", "--seconds", optarg, 0.1, 3600, &seconds);
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (err) {
            fprintf(stderr, "%s\n", kisim_errmsg());
            return 2;
        }
    }
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
            qsort(rate, (size_t)runs, sizeof *rate, cmp_double);
            double med = runs % 2 ? rate[runs / 2] : (rate[runs / 2 - 1] + rate[runs / 2]) / 2;
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
