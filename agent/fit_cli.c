/* fit_cli.c: `kisim dataset` and `kisim fit-scorer` (agent/fit.h, agent/DATASET.md). */
#include <getopt.h>
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
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"scorer", required_argument, 0, 's'},
        {"events", required_argument, 0, 'n'}, {"out", required_argument, 0, 'o'},
        {"seed", required_argument, 0, 'S'},   {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *config = NULL, *scorer = "k8s-default", *out = NULL;
    long events = -1;
    uint64_t seed = 0;
    int quiet = 0, err = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:s:n:o:S:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 's':
            scorer = optarg;
            break;
        case 'n':
            err = args_int("dataset", "--events", optarg, 1, 100000000, &events);
            break;
        case 'o':
            out = optarg;
            break;
        case 'S':
            err = args_u64("dataset", "--seed", optarg, &seed);
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            dataset_usage(stdout);
            return 0;
        default:
            dataset_usage(stderr);
            return 2;
        }
        if (err) break;
    }
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

int verb_fit_scorer(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"data", required_argument, 0, 'd'},
                                         {"epochs", required_argument, 0, 'e'},
                                         {"out", required_argument, 0, 'o'},
                                         {"label", required_argument, 0, 'l'},
                                         {"lr", required_argument, 0, 'r'},
                                         {"patience", required_argument, 0, 'p'},
                                         {"feature-drop", required_argument, 0, 'f'},
                                         {"d-model", required_argument, 0, 'D'},
                                         {"seed", required_argument, 0, 'S'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *model = NULL, *data = NULL, *out = NULL;
    fit_options o = {.epochs = 10,
                     .patience = 3,
                     .d_model = 128,
                     .ff = 256,
                     .head_hidden = 64,
                     .lr = 1e-3f,
                     .feature_drop = 0.1f,
                     .label = "contention",
                     .seed = 1,
                     .progress = 1};
    long v;
    double x;
    char *end;
    int err = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:d:e:o:l:r:p:f:D:S:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 'e':
            err = args_int("fit-scorer", "--epochs", optarg, 1, 100000, &v);
            o.epochs = (int)v;
            break;
        case 'o':
            out = optarg;
            break;
        case 'l':
            o.label = optarg;
            break;
        case 'p':
            err = args_int("fit-scorer", "--patience", optarg, 1, 100000, &v);
            o.patience = (int)v;
            break;
        case 'D':
            err = args_int("fit-scorer", "--d-model", optarg, 4, 4096, &v);
            o.d_model = (int)v, o.ff = 2 * (int)v, o.head_hidden = (int)v / 2 > 0 ? (int)v / 2 : 1;
            break;
        case 'S':
            err = args_u64("fit-scorer", "--seed", optarg, &o.seed);
            break;
        case 'r':
        case 'f':
            x = strtod(optarg, &end);
            if (*end || end == optarg || !(x >= 0) || (c == 'f' && x >= 1) || (c == 'r' && x <= 0))
                err = kisim_seterr(KISIM_EUSAGE, "fit-scorer: --%s \"%s\" must be a number in %s",
                                   c == 'r' ? "lr" : "feature-drop", optarg,
                                   c == 'r' ? "(0, inf)" : "[0, 1)");
            else if (c == 'r')
                o.lr = (float)x;
            else
                o.feature_drop = (float)x;
            break;
        case 'q':
            o.progress = 0;
            break;
        case 'h':
            fit_usage(stdout);
            return 0;
        default:
            fit_usage(stderr);
            return 2;
        }
        if (err) break;
    }
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
