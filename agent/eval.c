/* eval.c: runs a baseline scorer (placement) with the HPA rule (replicas) over episodes and
 * summarises the episode statistics. */
#include "agent/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/provenance.h"
#include "env/baselines/baseline.h"
#include "env/env.h"

const char *const eval_metric_keys[EVAL_N_METRICS] = {
#define EVAL_KEY(key, info, label, fmt) #key,
    EVAL_METRICS(EVAL_KEY)
#undef EVAL_KEY
};

static const int eval_info_index[EVAL_N_METRICS] = {
#define EVAL_INFO(key, info, label, fmt) info,
    EVAL_METRICS(EVAL_INFO)
#undef EVAL_INFO
};

void eval_trace_header(FILE *f)
{
    fputs("scorer,seed,step,node,scale", f);
    for (int i = 0; i < KISIM_N_INFO; i++)
        fprintf(f, ",%s", info_names[i]);
    fputc('\n', f);
}

static void trace_row(FILE *f, const char *who, uint64_t seed, int step, const int32_t a[2],
                      const float *info)
{
    fprintf(f, "%s,%llu,%d,%d,%d", who, (unsigned long long)seed, step, a[0], a[1] - 1);
    for (int i = 0; i < KISIM_N_INFO; i++)
        fprintf(f, ",%.9g", info[i]);
    fputc('\n', f);
}

/* ---- the baseline actor: a scorer places, the HPA rule scales ---- */

static int scorer_act(eval_actor *a, kisim_env *e, const float *obs, const uint8_t *mask,
                      int32_t action[2])
{
    sched_view v;
    env_sched_view(e, obs, mask, &v);
    int node = baseline_pick(a->state, &v);
    if (node < 0) return node;
    action[0] = node;
    action[1] = hpa_scale_action(v.service, mask + v.n_max);
    return 0;
}

static void scorer_actor_reset(eval_actor *a, uint64_t seed)
{
    baseline_reset(a->state, seed);
}

static void scorer_actor_free(eval_actor *a)
{
    baseline_free(a->state);
}

int eval_actor_scorer(eval_actor *a, const char *name, uint64_t seed)
{
    memset(a, 0, sizeof *a);
    baseline *sc;
    int err = baseline_create(&sc, name, seed);
    if (err) return err;
    snprintf(a->name, sizeof a->name, "%s", name);
    a->act = scorer_act;
    a->reset = scorer_actor_reset;
    a->free = scorer_actor_free;
    a->state = sc;
    return 0;
}

void eval_actor_free(eval_actor *a)
{
    if (a && a->free) a->free(a);
    if (a) a->free = NULL;
}

/* Plays one episode; copies its ep_* statistics into row. */
static int play_episode(kisim_env *e, eval_actor *actor, uint64_t seed, float *obs, uint8_t *mask,
                        float *info, double *row, FILE *trace)
{
    int err = env_reset(e, seed, obs, mask);
    if (err) return err;
    actor->reset(actor, seed);
    uint8_t term = 0, trunc = 0;
    for (int step = 0; !term && !trunc; step++) {
        int32_t action[2];
        err = actor->act(actor, e, obs, mask, action);
        if (err) return err;
        float reward;
        err = env_step(e, action, obs, mask, &reward, &term, &trunc, info);
        if (err) return err;
        if (trace) trace_row(trace, actor->name, seed, step, action, info);
    }
    for (int m = 0; m < EVAL_N_METRICS; m++)
        row[m] = info[eval_info_index[m]];
    return 0;
}

int eval_run_actor(const kisim_config *cfg, eval_actor *actor, int episodes, uint64_t seed,
                   const eval_options *opt, eval_result *out)
{
    eval_options none = {0, NULL, 0};
    if (!opt) opt = &none;
    memset(out, 0, sizeof *out);
    snprintf(out->scorer, sizeof out->scorer, "%s", actor->name);
    out->episodes = episodes;
    out->seed = seed;
    kisim_env *e = NULL;
    env_arrays a = {0};
    int err = env_init(&e, cfg);
    if (!err) err = env_arrays_init(&a, e);
    if (err) goto cleanup;
    out->values = calloc((size_t)episodes * EVAL_N_METRICS, sizeof *out->values);
    if (!out->values) {
        err = kisim_seterr(KISIM_ENOMEM, "eval: out of memory");
        goto cleanup;
    }
    log_progress prog;
    char label[64];
    snprintf(label, sizeof label, "eval %s", actor->name);
    log_progress_begin(&prog, label, "episodes", episodes);
    for (int i = 0; i < episodes && !err; i++) {
        /* SIGINT/SIGTERM (eval_cli.c) only set the flag: stop between episodes. */
        if (opt->stop_on_interrupt && env_interrupted()) {
            err = kisim_seterr(KISIM_ESTATE,
                               "eval: interrupted by a signal after %d of %d "
                               "episodes of %s",
                               i, episodes, actor->name);
            break;
        }
        err = play_episode(e, actor, seed + (uint64_t)i, a.obs, a.mask, a.info,
                           out->values + (size_t)i * EVAL_N_METRICS, opt->trace);
        if (opt->progress) log_progress_update(&prog, i + 1);
    }
    if (err) goto cleanup;
    double *col = malloc((size_t)episodes * sizeof *col);
    if (!col) {
        err = kisim_seterr(KISIM_ENOMEM, "eval: out of memory");
        goto cleanup;
    }
    for (int m = 0; m < EVAL_N_METRICS; m++) {
        for (int i = 0; i < episodes; i++)
            col[i] = out->values[(size_t)i * EVAL_N_METRICS + m];
        stats_summarize(col, episodes, &out->agg[m]);
    }
    free(col);
cleanup:
    env_arrays_free(&a);
    env_free(e);
    if (err) eval_result_free(out);
    return err;
}

int eval_run(const kisim_config *cfg, const char *name, int episodes, uint64_t seed,
             const eval_options *opt, eval_result *out)
{
    eval_actor a;
    memset(out, 0, sizeof *out);
    int err = eval_actor_scorer(&a, name, seed);
    if (err) return err;
    err = eval_run_actor(cfg, &a, episodes, seed, opt, out);
    eval_actor_free(&a);
    return err;
}

void eval_result_free(eval_result *r)
{
    free(r->values);
    r->values = NULL;
}

cJSON *eval_result_json(const eval_result *r, const kisim_config *cfg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "scorer", r->scorer);
    cJSON_AddNumberToObject(o, "episodes", r->episodes);
    cJSON_AddNumberToObject(o, "seed", (double)r->seed);
    cJSON *prov = provenance_json(cfg);
    if (prov) {
        cJSON *seeds = cJSON_AddObjectToObject(prov, "seeds");
        cJSON_AddNumberToObject(seeds, "first", (double)r->seed);
        cJSON_AddNumberToObject(seeds, "last", (double)(r->seed + (uint64_t)r->episodes - 1));
        cJSON_AddItemToObject(o, "provenance", prov);
    }
    cJSON *agg = cJSON_AddObjectToObject(o, "aggregate");
    for (int m = 0; m < EVAL_N_METRICS; m++) {
        cJSON *s = cJSON_AddObjectToObject(agg, eval_metric_keys[m]);
        cJSON_AddNumberToObject(s, "mean", r->agg[m].mean);
        double ci[2] = {r->agg[m].lo, r->agg[m].hi};
        cJSON_AddItemToObject(s, "ci95", cJSON_CreateDoubleArray(ci, 2));
        cJSON_AddNumberToObject(s, "std", r->agg[m].std);
    }
    cJSON *eps = cJSON_AddArrayToObject(o, "per_episode");
    for (int i = 0; i < r->episodes; i++) {
        cJSON *ep = cJSON_CreateObject();
        cJSON_AddNumberToObject(ep, "seed", (double)(r->seed + (uint64_t)i));
        for (int m = 0; m < EVAL_N_METRICS; m++)
            cJSON_AddNumberToObject(ep, eval_metric_keys[m],
                                    r->values[(size_t)i * EVAL_N_METRICS + m]);
        cJSON_AddItemToArray(eps, ep);
    }
    return o;
}
