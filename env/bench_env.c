/* bench_env.c: `kisim bench env`: decisions per second of the sim backend, one thread,
 * in-process, for several cluster sizes; the median of several timed runs. The policy is as
 * cheap as a policy can be (the first masked node after a random start, no scaling), so the
 * number measures the environment: stepping, the queueing model, telemetry and the observation
 * write, with episode resets included. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli_args.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/provenance.h"
#include "common/rng.h"
#include "common/stats.h"
#include "env/baselines/baseline.h"
#include "env/env.h"
#include "env/verbs.h"

/* Steps one env for about `seconds`; returns decisions per second, or a negative error. */
static double time_run(kisim_env *e, const env_spaces *sp, double seconds, uint64_t seed,
                       float *obs, uint8_t *mask, float *info)
{
    rng r;
    rng_seed(&r, seed);
    uint64_t episode = seed;
    int err = env_reset(e, episode, obs, mask);
    long steps = 0;
    double t0 = clock_mono_s(), now = t0;
    while (!err && now - t0 < seconds) {
        for (int k = 0; k < 256 && !err; k++) {
            int start = (int)rng_below(&r, (uint32_t)sp->n_max), node = start;
            while (!mask[node])
                node = (node + 1) % sp->n_max;
            int32_t action[2] = {node, 1};
            float reward;
            uint8_t term, trunc;
            err = env_step(e, action, obs, mask, &reward, &term, &trunc, info);
            steps++;
            if (!err && (term || trunc)) err = env_reset(e, ++episode, obs, mask);
        }
        now = clock_mono_s();
    }
    return err ? err : steps / (now - t0);
}

static int bench_nodes(kisim_config *cfg, int nodes, int runs, double seconds, double *median)
{
    cfg->cluster.nodes = nodes;
    cfg->cluster.node_types[0].count = nodes;
    cfg->cluster.n_node_types = 1;
    cfg->env.max_nodes = nodes;
    /* Background pods in proportion, so bigger clusters are as busy as small ones. */
    cfg->workload.background.initial_pods = nodes * 3 / 2;
    kisim_env *e = NULL;
    int err = env_init(&e, cfg);
    if (err) return err;
    env_spaces sp;
    env_get_spaces(e, &sp);
    env_arrays a = {0};
    err = env_arrays_init(&a, e);
    double *rate = malloc((size_t)runs * sizeof *rate);
    if (!err && !rate) err = kisim_seterr(KISIM_ENOMEM, "bench: out of memory");
    for (int i = 0; i < runs && !err; i++) {
        rate[i] = time_run(e, &sp, seconds, 1000u * (uint64_t)i, a.obs, a.mask, a.info);
        if (rate[i] < 0) err = (int)rate[i];
    }
    if (!err) *median = stats_median(rate, runs);
    env_arrays_free(&a);
    free(rate);
    env_free(e);
    return err;
}

static void bench_usage(FILE *out)
{
    fprintf(out, "usage: kisim bench env [--config FILE] [--nodes N,N,...] [--runs R]\n"
                 "                       [--seconds S] [--json]\n\n"
                 "Decisions per second of the sim backend, single thread, in-process; the\n"
                 "median of R runs of S seconds each, for each cluster size (default 16,64,256;\n"
                 "5 runs of 1 s). The config (default: built-in defaults) sets everything but the\n"
                 "node count. --json prints [{\"nodes\": n, \"decisions_per_s\": x}, ...].\n");
}

int bench_env_main(int argc, char **argv)
{
    const char *config = NULL, *nodes = "16,64,256";
    long runs = 5;
    double seconds = 1.0;
    int json = 0;
    const args_opt opts[] = {
        ARGS_OPT_STR("config", 'c', &config), ARGS_OPT_STR("nodes", 'n', &nodes),
        ARGS_OPT_LONG("runs", 'r', &runs, 1, 1000),
        ARGS_OPT_DOUBLE("seconds", 's', &seconds, 0.01, 3600), ARGS_OPT_FLAG("json", 'j', &json)};
    int err = args_parse("bench env", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(bench_usage, err);
    char nodes_arg[256];
    snprintf(nodes_arg, sizeof nodes_arg, "%s", nodes);
    kisim_config cfg;
    if (!err) err = config ? cfg_read(&cfg, config) : (cfg_default(&cfg), 0);
    long sizes[16];
    int n_sizes = 0;
    for (char *tok = strtok(nodes_arg, ","); !err && tok && n_sizes < 16; tok = strtok(NULL, ","))
        err = args_int("bench env", "--nodes", tok, 1, 4096, &sizes[n_sizes++]);
    if (err) return args_fail(err);
    if (json)
        printf("[");
    else
        printf("kisim %s (git %s), sim backend, one thread, median of %ld runs of %.1f s\n",
               kisim_version(), kisim_git_commit(), runs, seconds);
    for (int i = 0; i < n_sizes && !err; i++) {
        double median = 0;
        err = bench_nodes(&cfg, (int)sizes[i], (int)runs, seconds, &median);
        if (err) break;
        if (json)
            printf("%s{\"nodes\": %ld, \"decisions_per_s\": %.0f}", i ? ", " : "", sizes[i],
                   median);
        else
            printf("  %5ld nodes: %10.0f decisions/s\n", sizes[i], median);
        fflush(stdout);
    }
    if (json) printf("]\n");
    return err ? args_fail(err) : 0;
}
