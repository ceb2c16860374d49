/* train_cli.c: `kisim train`: options, then agent/train.c. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "agent/train.h"
#include "agent/verbs.h"
#include "common/cli_args.h"
#include "common/err.h"

static void train_usage(FILE *out)
{
    fprintf(
        out,
        "usage: kisim train --config FILE [--out DIR] [--resume DIR] [--total-steps N]\n"
        "                   [--seed S] [--stop-after-updates U] [--quiet]\n\n"
        "Trains a PPO policy on the config's env (train.env: the cluster, or the built-in\n"
        "CartPole) with the config's train block, and writes DIR/config.json,\n"
        "DIR/metrics.jsonl, DIR/last.safetensors and DIR/best.safetensors (default DIR:\n"
        "runs/train). Training episodes use seeds from env.seed upwards; validation for\n"
        "best.safetensors uses train.eval_seed (900000) upwards; `kisim eval` defaults to\n"
        "1000000 upwards, so evaluation seeds are held out.\n\n"
        "  --resume DIR          continue DIR's run from DIR/last.safetensors (same results as\n"
        "                        an uninterrupted run); the config defaults to DIR/config.json\n"
        "  --total-steps N       override train.total_steps\n"
        "  --seed S              override train.seed (the learner's seed)\n"
        "  --stop-after-updates U  stop after U updates, saving last.safetensors\n"
        "  --quiet               no progress display\n"
        "SIGINT or SIGTERM stops after the current update with last.safetensors saved.\n");
}

int verb_train(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"out", required_argument, 0, 'o'},
                                         {"resume", required_argument, 0, 'r'},
                                         {"total-steps", required_argument, 0, 'n'},
                                         {"seed", required_argument, 0, 's'},
                                         {"stop-after-updates", required_argument, 0, 'u'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *config = NULL;
    train_options opt = {"runs/train", NULL, 1, 0};
    uint64_t steps = 0, seed = 0;
    int have_steps = 0, have_seed = 0, have_out = 0, err = 0, c;
    long stop = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:o:r:n:s:u:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'o':
            opt.out_dir = optarg, have_out = 1;
            break;
        case 'r':
            opt.resume_dir = optarg;
            break;
        case 'n':
            err = args_u64("train", "--total-steps", optarg, &steps), have_steps = 1;
            break;
        case 's':
            err = args_u64("train", "--seed", optarg, &seed), have_seed = 1;
            break;
        case 'u':
            err = args_int("train", "--stop-after-updates", optarg, 1, 100000000, &stop);
            break;
        case 'q':
            opt.progress = 0;
            break;
        case 'h':
            train_usage(stdout);
            return 0;
        default:
            train_usage(stderr);
            return 2;
        }
        if (err) break;
    }
    opt.stop_after = (int)stop;
    if (!err && optind < argc)
        err = kisim_seterr(KISIM_EUSAGE, "train: unexpected argument \"%s\"", argv[optind]);
    char resumed_cfg[4200];
    if (!err && !config && opt.resume_dir) {
        snprintf(resumed_cfg, sizeof resumed_cfg, "%s/config.json", opt.resume_dir);
        config = resumed_cfg;
    }
    if (!err && !config) err = kisim_seterr(KISIM_EUSAGE, "train: --config FILE is required");
    if (!err && opt.resume_dir && !have_out) opt.out_dir = opt.resume_dir;
    kisim_config cfg;
    if (!err) err = cfg_read(&cfg, config);
    if (!err && have_steps) cfg.train.total_steps = steps;
    if (!err && have_seed) cfg.train.seed = seed;
    if (!err) err = train_run(&cfg, &opt);
    if (err) {
        fprintf(stderr, "%s\n", kisim_errmsg());
        if (err == KISIM_EUSAGE) fprintf(stderr, "(kisim train --help for usage)\n");
    }
    return kisim_exit_code(err);
}
