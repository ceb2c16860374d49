/* fit_cli.c: `kisim dataset` and `kisim fit-scorer` (agent/fit.h, agent/DATASET.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/fit.h"
#include "agent/verbs.h"
#include "common/cli_args.h"
#include "common/clock.h"
#include "common/err.h"

static void dataset_usage(FILE *out)
{
    fprintf(out, "usage: kisim dataset --config FILE --scorer NAME --events N --out FILE "
                 "[--seed S] [--quiet]\n"
                 "       kisim dataset convert IN OUT\n"
                 "  Runs the environment with the baseline scorer NAME placing pods and records\n"
                 "  one event per decision (shadow mode): agent/DATASET.md. The file name picks\n"
                 "  the format: FILE.kds the binary shard format, anything else JSON lines.\n"
                 "  --seed S   first episode seed (default 0; evaluation starts at 1000000)\n"
                 "  convert    reads IN and writes OUT, each in the format its name picks\n");
}

static int dataset_convert(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "dataset convert: expected IN and OUT\n(kisim dataset --help for usage)\n");
        return 2;
    }
    ds_set d;
    double t0 = clock_mono_s();
    int err = dataset_read(&d, argv[2]);
    double t1 = clock_mono_s();
    if (!err) {
        err = dataset_write(&d, argv[3]);
        if (!err)
            fprintf(stderr, "dataset: %d events read from %s in %.3f s, written to %s in %.3f s\n",
                    d.n, argv[2], t1 - t0, argv[3], clock_mono_s() - t1);
        dataset_free(&d);
    }
    if (err) fprintf(stderr, "%s\n", kisim_errmsg());
    return err ? kisim_exit_code(err) : 0;
}

int verb_dataset(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "convert")) return dataset_convert(argc, argv);
    const char *config = NULL, *scorer = "k8s-default", *out = NULL;
    long events = -1;
    uint64_t seed = 0;
    int quiet = 0;
    const args_opt opts[] = {
        ARGS_OPT_STR("config", 'c', &config),
        ARGS_OPT_STR("scorer", 's', &scorer),
        ARGS_OPT_LONG("events", 'n', &events, 1, 100000000),
        ARGS_OPT_STR("out", 'o', &out),
        ARGS_OPT_U64("seed", 'S', &seed),
        ARGS_OPT_FLAG("quiet", 'q', &quiet),
    };
    int err = args_parse("dataset", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(dataset_usage, err);
    if (!err && optind < argc)
        err = kisim_seterr(KISIM_EUSAGE, "dataset: unexpected argument \"%s\"", argv[optind]);
    if (!err && (!config || !out || events < 0))
        err = kisim_seterr(KISIM_EUSAGE, "dataset: --config, --events and --out are required");
    kisim_config cfg;
    if (!err) err = cfg_read(&cfg, config);
    if (!err) err = dataset_collect(&cfg, scorer, (int)events, seed, out, !quiet);
    if (err) {
        fprintf(stderr, "%s\n", kisim_errmsg());
        if (err == KISIM_EUSAGE) fprintf(stderr, "(kisim dataset --help for usage)\n");
        return kisim_exit_code(err);
    }
    if (!quiet) fprintf(stderr, "dataset: %ld events in %s\n", events, out);
    return 0;
}

static void fit_usage(FILE *out)
{
    fprintf(
        out,
        "usage: kisim fit-scorer --model attention|mlp|xgboost --data FILE --epochs E --out FILE\n"
        "         [--label contention|latency|bootstrap] [--lr X] [--patience P]\n"
        "         [--feature-drop P] [--d-model D] [--seed S] [--quiet]\n"
        "  Trains a scorer on `kisim dataset` events; every fifth episode validates.\n"
        "  Prints per epoch the weighted loss, AUC and top-1 agreement with the oracle;\n"
        "  stops after P epochs without a better validation loss (default 3) and\n"
        "  writes the best epoch's model. For xgboost, E is the most boosting rounds\n"
        "  (one thread, max_depth 6, eta 0.3) and P counts rounds. One thread throughout:\n"
        "  the same data and seed give the same model.\n");
}

/* --lr and --feature-drop: a number in (0, inf) and in [0, 1), with their own message. */
static int parse_rate(const char *opt, const char *arg, int is_lr, float *out)
{
    char *end;
    double x = strtod(arg, &end);
    if (*end || end == arg || !(x >= 0) || (is_lr ? x <= 0 : x >= 1))
        return kisim_seterr(KISIM_EUSAGE, "fit-scorer: --%s \"%s\" must be a number in %s", opt,
                            arg, is_lr ? "(0, inf)" : "[0, 1)");
    *out = (float)x;
    return 0;
}

static int parse_lr(void *ctx, const char *arg)
{
    return parse_rate("lr", arg, 1, ctx);
}

static int parse_feature_drop(void *ctx, const char *arg)
{
    return parse_rate("feature-drop", arg, 0, ctx);
}

int verb_fit_scorer(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *out = NULL;
    fit_options o = {.epochs = 10,
                     .patience = 3,
                     .d_model = 128,
                     .lr = 1e-3f,
                     .feature_drop = 0.1f,
                     .label = "contention",
                     .seed = 1,
                     .progress = 1};
    int quiet = 0;
    const args_opt opts[] = {
        ARGS_OPT_STR("model", 'm', &model),
        ARGS_OPT_STR("data", 'd', &data),
        ARGS_OPT_INT("epochs", 'e', &o.epochs, 1, 100000),
        ARGS_OPT_STR("out", 'o', &out),
        ARGS_OPT_STR("label", 'l', &o.label),
        ARGS_OPT_CALL("lr", 'r', parse_lr, &o.lr),
        ARGS_OPT_INT("patience", 'p', &o.patience, 1, 100000),
        ARGS_OPT_CALL("feature-drop", 'f', parse_feature_drop, &o.feature_drop),
        ARGS_OPT_INT("d-model", 'D', &o.d_model, 4, 4096),
        ARGS_OPT_U64("seed", 'S', &o.seed),
        ARGS_OPT_FLAG("quiet", 'q', &quiet),
    };
    int err = args_parse("fit-scorer", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(fit_usage, err);
    if (quiet) o.progress = 0;
    /* the feed-forward and head widths follow d_model (256 and 64 at the default 128) */
    o.ff = 2 * o.d_model;
    o.head_hidden = o.d_model / 2 > 0 ? o.d_model / 2 : 1;
    if (!err && optind < argc)
        err = kisim_seterr(KISIM_EUSAGE, "fit-scorer: unexpected argument \"%s\"", argv[optind]);
    if (!err && (!model || !data || !out))
        err = kisim_seterr(KISIM_EUSAGE, "fit-scorer: --model, --data and --out are required");
    if (!err && strcmp(o.label, "contention") && strcmp(o.label, "latency") &&
        strcmp(o.label, "bootstrap"))
        err = kisim_seterr(KISIM_EUSAGE,
                           "fit-scorer: --label \"%s\": expected contention, "
                           "latency or bootstrap",
                           o.label);
    if (!err && strcmp(model, "attention") && strcmp(model, "mlp") && strcmp(model, "xgboost"))
        err = kisim_seterr(KISIM_EUSAGE,
                           "fit-scorer: --model \"%s\": expected attention, mlp "
                           "or xgboost",
                           model);
    ds_set d;
    if (!err) err = dataset_read(&d, data);
    if (!err) {
        o.model = model;
        err = fit_scorer(&d, &o, out);
        dataset_free(&d);
    }
    if (err) {
        fprintf(stderr, "%s\n", kisim_errmsg());
        if (err == KISIM_EUSAGE) fprintf(stderr, "(kisim fit-scorer --help for usage)\n");
        return kisim_exit_code(err);
    }
    if (o.progress) fprintf(stderr, "fit-scorer: wrote %s\n", out);
    return 0;
}
