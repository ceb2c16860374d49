/* train_cli.c: `kisim train`: options, then agent/train.c. */
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
    const char *config = NULL;
    train_options opt = {"runs/train", NULL, 1, 0};
    uint64_t steps = 0, seed = 0;
    int have_steps = 0, have_seed = 0, have_out = 0, quiet = 0;
    long stop = 0;
    const args_opt opts[] = {
        ARGS_OPT_STR("config", 'c', &config),
        {.name = "out",
         .letter = 'o',
         .kind = ARGS_STR,
         .to.str = &opt.out_dir,
         .given = &have_out},
        ARGS_OPT_STR("resume", 'r', &opt.resume_dir),
        {.name = "total-steps",
         .letter = 'n',
         .kind = ARGS_U64,
         .to.u64 = &steps,
         .given = &have_steps},
        {.name = "seed", .letter = 's', .kind = ARGS_U64, .to.u64 = &seed, .given = &have_seed},
        ARGS_OPT_LONG("stop-after-updates", 'u', &stop, 1, 100000000),
        ARGS_OPT_FLAG("quiet", 'q', &quiet),
    };
    int err = args_parse("train", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(train_usage, err);
    if (quiet) opt.progress = 0;
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
