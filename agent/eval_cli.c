/* eval_cli.c: `kisim eval`: evaluates one or more scorers on a config and prints a comparison
 * table (default) or the results JSON. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/eval.h"
#include "agent/fit.h"
#include "agent/policy_actor.h"
#include "agent/verbs.h"
#include "common/cli_args.h"
#include "common/err.h"
#include "env/baselines/baseline.h"
#include "env/env.h"

static void eval_usage(FILE *out)
{
    fprintf(
        out,
        "usage: kisim eval --config FILE [--scorer NAMES] [--policy FILE] [--episodes E]\n"
        "                  [--seed S] [--sample] [--json] [--out FILE] [--trace FILE] [--quiet]\n\n"
        "Runs E episodes per scorer (episode i with seed S + i; defaults from the config's\n"
        "eval block: held-out seeds from 1000000) and prints, per scorer, the mean and 95%%\n"
        "confidence interval over episodes of request-weighted p50/p95/p99 latency, error\n"
        "rate, throughput, cost, contended share and reward.\n\n"
        "  --scorer NAMES  comma-separated, or \"all\" (default): ");
    for (const char *const *n = baseline_names(); *n; n++)
        fprintf(out, "%s%s", *n, n[1] ? ", " : "\n");
    fprintf(
        out,
        "  --policy FILE   a trained policy (kisim train's best.safetensors): evaluated alone,\n"
        "                  or as the scorer \"policy\" next to others (--scorer all,policy);\n"
        "                  --model FILE is the same\n"
        "                  the scorers attention, mlp, xgboost (kisim fit-scorer's output)\n"
        "                  read their model from --model FILE too\n"
        "  --sample        the policy samples its actions instead of taking the most likely\n"
        "  --json          print JSON instead of the table: one object for one scorer,\n"
        "                  an array of objects for several\n"
        "  --out FILE      also write the JSON to FILE (atomically)\n"
        "  --trace FILE    write one CSV row per decision: scorer, seed, step, action and\n"
        "                  every info value (reward terms, latency, replicas, ...)\n"
        "  --quiet         no progress lines\n");
}

/* SIGINT/SIGTERM end a local env's interval at once, and the episode loop stops before the next
 * episode (eval.c); the run then fails and frees its envs, so no process or cgroup is left. */
static void on_signal(int sig)
{
    (void)sig;
    env_interrupt();
}

/* The table shows the metrics up to the reward; the JSON has them all. */
#define TABLE_METRICS (EVAL_reward + 1)

static void print_table(const eval_result *r, int n)
{
    static const char *const labels[] = {
#define EVAL_LABEL(key, info, label, fmt) label,
        EVAL_METRICS(EVAL_LABEL)
#undef EVAL_LABEL
    };
    printf("%-15s", "scorer");
    for (int m = 0; m < TABLE_METRICS; m++)
        printf(" %16s", labels[m]);
    printf("\n");
    for (int i = 0; i < n; i++) {
        printf("%-15s", r[i].scorer);
        for (int m = 0; m < TABLE_METRICS; m++) {
            static const char *const fmts[] = {
#define EVAL_FMT(key, info, label, fmt) fmt,
                EVAL_METRICS(EVAL_FMT)
#undef EVAL_FMT
            };
            char mean[32], half[32], cell[72];
            snprintf(mean, sizeof mean, fmts[m], r[i].agg[m].mean);
            snprintf(half, sizeof half, fmts[m], (r[i].agg[m].hi - r[i].agg[m].lo) / 2);
            snprintf(cell, sizeof cell, "%s±%s", mean, half);
            printf(" %17s", cell); /* ± is two bytes, one column */
        }
        printf("\n");
    }
    printf(
        "\nmean ± half-width of the 95%% confidence interval over %d episodes (seeds %llu..%llu)\n",
        r[0].episodes, (unsigned long long)r[0].seed,
        (unsigned long long)(r[0].seed + (uint64_t)r[0].episodes - 1));
}

/* Closes the trace's temp file and renames it into place, or removes it after a failure. */
static int finish_trace(FILE *f, const char *tmp, const char *path, int err)
{
    int bad = ferror(f) | fflush(f) | fsync(fileno(f));
    bad |= fclose(f);
    if (!err && bad) err = kisim_seterr(KISIM_EIO, "eval: --trace: cannot write %s", tmp);
    if (!err && rename(tmp, path) != 0)
        err = kisim_seterr(KISIM_EIO, "eval: --trace: cannot rename %s to %s: %s", tmp, path,
                           strerror(errno));
    if (err) unlink(tmp);
    return err;
}

/* Splits "a,b" into scorer names, "all" standing for every baseline; returns the count or a
 * negative error. */
static int parse_scorers(char *list, const char **names, int max)
{
    int n = 0;
    for (char *tok = strtok(list, ","); tok && n < max; tok = strtok(NULL, ",")) {
        if (strcmp(tok, "all") != 0) {
            names[n++] = tok;
            continue;
        }
        for (const char *const *s = baseline_names(); *s && n < max; s++)
            names[n++] = *s;
    }
    if (n == 0) return kisim_seterr(KISIM_EUSAGE, "eval: --scorer: no scorer named");
    return n;
}

/* The supervised scorers of agent/fit.h, loaded from --model FILE. */
static int is_learned(const char *name)
{
    return !strcmp(name, "attention") || !strcmp(name, "mlp") || !strcmp(name, "xgboost");
}

int verb_eval(int argc, char **argv)
{
    const char *config = NULL, *out_path = NULL, *trace_path = NULL, *names[32];
    const char *scorers = "", *policy = NULL;
    long episodes = -1;
    uint64_t seed = 0;
    int have_seed = 0, json = 0, quiet = 0, sample = 0;
    const args_opt opts[] = {
        ARGS_OPT_STR("config", 'c', &config),
        ARGS_OPT_STR("scorer", 's', &scorers),
        ARGS_OPT_LONG("episodes", 'e', &episodes, 1, 1000000),
        {.name = "seed", .letter = 'S', .kind = ARGS_U64, .to.u64 = &seed, .given = &have_seed},
        ARGS_OPT_FLAG("json", 'j', &json),
        ARGS_OPT_STR("out", 'o', &out_path),
        ARGS_OPT_FLAG("quiet", 'q', &quiet),
        ARGS_OPT_STR("trace", 't', &trace_path),
        ARGS_OPT_STR("policy", 'p', &policy),
        ARGS_OPT_STR("model", 0, &policy),
        ARGS_OPT_FLAG("sample", 'x', &sample),
    };
    int err = args_parse("eval", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(eval_usage, err);
    char scorer_arg[512];
    snprintf(scorer_arg, sizeof scorer_arg, "%s", scorers);
    if (!err && optind < argc)
        err = kisim_seterr(KISIM_EUSAGE, "eval: unexpected argument \"%s\"", argv[optind]);
    if (!err && !config) err = kisim_seterr(KISIM_EUSAGE, "eval: --config FILE is required");
    kisim_config cfg;
    if (!err) err = cfg_read(&cfg, config);
    if (!scorer_arg[0]) snprintf(scorer_arg, sizeof scorer_arg, "%s", policy ? "policy" : "all");
    int n = err ? 0 : parse_scorers(scorer_arg, names, 32);
    if (n < 0) err = n;
    for (int i = 0; i < n && !err; i++)
        if (!strcmp(names[i], "policy") && !policy)
            err = kisim_seterr(KISIM_EUSAGE, "eval: the scorer \"policy\" needs --model FILE");
        else if (is_learned(names[i]) && !policy)
            err =
                kisim_seterr(KISIM_EUSAGE, "eval: the scorer \"%s\" needs --model FILE", names[i]);
    if (err) {
        fprintf(stderr, "%s\n", kisim_errmsg());
        if (err == KISIM_EUSAGE) fprintf(stderr, "(kisim eval --help for usage)\n");
        return kisim_exit_code(err);
    }
    if (episodes < 0) episodes = cfg.eval.episodes;
    if (!have_seed) seed = cfg.eval.seed;

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    eval_options opt = {!quiet, NULL, 1};
    char trace_tmp[4200];
    if (trace_path) {
        snprintf(trace_tmp, sizeof trace_tmp, "%s.tmp.%ld", trace_path, (long)getpid());
        opt.trace = fopen(trace_tmp, "w");
        if (!opt.trace) {
            fprintf(stderr, "eval: --trace: cannot write %s: %s\n", trace_tmp, strerror(errno));
            return 1;
        }
        eval_trace_header(opt.trace);
    }
    eval_result *res = calloc((size_t)n, sizeof *res);
    cJSON *all = cJSON_CreateArray();
    for (int i = 0; i < n && !err; i++) {
        eval_actor actor;
        err = !strcmp(names[i], "policy") ? eval_actor_policy_file(&actor, policy, &cfg, sample)
              : is_learned(names[i])      ? eval_actor_learned(&actor, names[i], policy, &cfg)
                                          : eval_actor_scorer(&actor, names[i], seed);
        if (!err) err = eval_run_actor(&cfg, &actor, (int)episodes, seed, &opt, &res[i]);
        eval_actor_free(&actor);
        if (!err) cJSON_AddItemToArray(all, eval_result_json(&res[i], &cfg));
    }
    if (!err) {
        cJSON *doc = n == 1 ? cJSON_GetArrayItem(all, 0) : all;
        char *text = cJSON_Print(doc);
        if (json)
            printf("%s\n", text);
        else
            print_table(res, n);
        if (out_path) {
            size_t len = strlen(text);
            char *line = malloc(len + 2);
            if (line) {
                memcpy(line, text, len);
                memcpy(line + len, "\n", 2);
            }
            err = line ? write_file_atomic(out_path, line)
                       : kisim_seterr(KISIM_ENOMEM, "eval: out of memory");
            free(line);
        }
        free(text);
    }
    if (opt.trace) err = finish_trace(opt.trace, trace_tmp, trace_path, err);
    if (err) fprintf(stderr, "%s\n", kisim_errmsg());
    for (int i = 0; i < n; i++)
        eval_result_free(&res[i]);
    free(res);
    cJSON_Delete(all);
    return kisim_exit_code(err);
}
