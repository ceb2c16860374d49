/* dataset.c: shadow-mode scheduling events from the sim; reading and writing them as JSON lines
 * (agent/DATASET.md), the shard format by name (dataset_shard.c). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/fit.h"
#include "common/cli_args.h"
#include "common/err.h"
#include "common/json_strict.h"
#include "common/log.h"
#include "env/baselines/baseline.h"
#include "env/env.h"
#include "spaces/spaces.h"

static cJSON *farr(const float *x, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)x[i]));
    return a;
}

static const char *const outcome_names[] = {"running", "oom_killed", "evicted"};

const char *dataset_outcome_name(int outcome)
{
    return outcome >= 0 && outcome <= DS_EVICTED ? outcome_names[outcome] : "running";
}

int dataset_outcome_parse(const char *name)
{
    for (int i = 0; i <= DS_EVICTED; i++)
        if (!strcmp(name, outcome_names[i])) return i;
    return -1;
}

int dataset_event_alloc(ds_event *e, int n, int T)
{
    e->n = n, e->T = T;
    e->nodes = malloc((size_t)n * T * KISIM_F * sizeof(float));
    e->y_contention = malloc((size_t)n * 4 * sizeof(float) + (size_t)n);
    if (!e->nodes || !e->y_contention) {
        free(e->nodes), free(e->y_contention);
        e->nodes = e->y_contention = NULL;
        return kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
    }
    e->y_latency = e->y_contention + n;
    e->inflation = e->y_latency + n;
    e->y_bootstrap = e->inflation + n;
    e->mask = (uint8_t *)(e->y_bootstrap + n);
    return 0;
}

int dataset_is_shard(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && !strcmp(path + n - 4, ".kds");
}

/* One event as its JSON line (malloc'd, no newline). Every writer goes through here, so a
 * JSONL file read and written again is byte-identical. */
static char *event_json(const ds_event *e)
{
    int n = e->n;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "episode", e->episode);
    cJSON_AddNumberToObject(o, "seed", (double)e->seed);
    cJSON_AddNumberToObject(o, "step", e->step);
    cJSON_AddNumberToObject(o, "n", n);
    cJSON_AddNumberToObject(o, "T", e->T);
    cJSON_AddItemToObject(o, "nodes", farr(e->nodes, n * e->T * KISIM_F));
    cJSON_AddItemToObject(o, "availability", farr(e->avail, KISIM_F));
    cJSON_AddItemToObject(o, "pod", farr(e->pod, KISIM_P));
    cJSON *m = cJSON_AddArrayToObject(o, "node_mask");
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(m, cJSON_CreateNumber(e->mask[i] != 0));
    cJSON_AddNumberToObject(o, "chosen", e->chosen);
    cJSON_AddNumberToObject(o, "oracle", e->oracle);
    cJSON_AddStringToObject(o, "outcome", dataset_outcome_name(e->outcome));
    cJSON *lab = cJSON_AddObjectToObject(o, "labels");
    cJSON_AddItemToObject(lab, "contention", farr(e->y_contention, n));
    cJSON_AddItemToObject(lab, "latency", farr(e->y_latency, n));
    cJSON_AddItemToObject(lab, "inflation", farr(e->inflation, n));
    cJSON_AddItemToObject(lab, "bootstrap", farr(e->y_bootstrap, n));
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static int write_jsonl(const ds_set *d, const char *path)
{
    char *text = NULL;
    size_t len = 0, cap = 0;
    int err = 0;
    for (int k = 0; k < d->n && !err; k++) {
        char *line = event_json(&d->ev[k]);
        size_t l = line ? strlen(line) : 0;
        if (line && len + l + 2 > cap) {
            cap = (len + l + 2) * 2;
            char *t = realloc(text, cap);
            if (t)
                text = t;
            else
                cap = 0;
        }
        if (!line || !cap)
            err = kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
        else {
            memcpy(text + len, line, l);
            text[len + l] = '\n';
            len += l + 1;
        }
        free(line);
    }
    if (!err) err = write_bytes_atomic(path, text ? text : "", len);
    free(text);
    return err;
}

int dataset_write(const ds_set *d, const char *path)
{
    return dataset_is_shard(path) ? dataset_shard_write(d, path) : write_jsonl(d, path);
}

/* The event of one decision: observation, masks, choices, and labels per candidate node from
 * backend's true state at that moment (v->truth): what the pod would get on that node. */
static int make_event(ds_event *ev, const sched_view *v, const float *obs, const env_spaces *sp,
                      int episode, uint64_t seed, int step, int chosen, int oracle)
{
    int N = v->n_max, T = v->window, F = KISIM_F;
    const sched_truth *t = v->truth;
    memset(ev, 0, sizeof *ev);
    if (!t)
        return kisim_seterr(KISIM_EUNSUPPORTED,
                            "dataset: the labels need the backend's true state, which the sim "
                            "and local backends provide");
    int err = dataset_event_alloc(ev, N, T);
    if (err) return err;
    ev->episode = episode, ev->seed = seed, ev->step = step;
    ev->chosen = chosen, ev->oracle = oracle, ev->outcome = DS_RUNNING;
    memcpy(ev->nodes, obs + sp->off_nodes, (size_t)N * T * F * sizeof(float));
    memcpy(ev->avail, obs + sp->off_availability, sizeof ev->avail);
    memcpy(ev->pod, obs + sp->off_pod, sizeof ev->pod);
    for (int i = 0; i < N; i++) {
        ev->mask[i] = v->action_mask[i] != 0;
        /* slots past the cluster's nodes (zero allocatable) have no state: label 0 */
        int real = v->nodes[i].cpu_alloc_m > 0;
        double in = real ? t->ls_inflation(t->state, i, 1) : 0;
        ev->y_contention[i] = real && t->noisy_on(t->state, i) == 0;
        ev->y_latency[i] = real && in <= DATASET_SLO_INFLATION;
        ev->inflation[i] = (float)in;
        /* the seed's bootstrap label over the last sample's (normalised) telemetry */
        const float *w = v->obs_nodes + ((size_t)i * T + T - 1) * F;
        ev->y_bootstrap[i] =
            (float)(0.4 * (1 - w[FEAT_CPU_UTILIZATION]) + 0.4 * (1 - w[FEAT_MEMORY_UTILIZATION]) +
                    0.2 * (1 - w[FEAT_L3_CACHE_MISS_RATE]));
    }
    return 0;
}

static int push(ds_set *d, ds_event *e)
{
    if (d->n == d->cap) {
        int cap = d->cap ? 2 * d->cap : 256;
        ds_event *t = realloc(d->ev, (size_t)cap * sizeof *t);
        if (!t) return kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
        d->ev = t, d->cap = cap;
    }
    d->ev[d->n++] = *e;
    return 0;
}

int dataset_collect(const kisim_config *cfg, const char *baseline_name, int events, uint64_t seed,
                    const char *path, int progress)
{
    kisim_env *e = NULL;
    baseline *sc = NULL, *orc = NULL;
    env_arrays a = {0};
    ds_set d;
    memset(&d, 0, sizeof d);
    int err = env_init(&e, cfg);
    if (!err) err = baseline_create(&sc, baseline_name, seed);
    if (!err) err = baseline_create(&orc, "oracle", seed + 1);
    if (!err) err = env_arrays_init(&a, e);
    if (err) goto out;
    env_spaces sp;
    env_get_spaces(e, &sp);
    float *obs = a.obs, *info = a.info;
    uint8_t *mask = a.mask;
    log_progress prog;
    log_progress_begin(&prog, "dataset", "events", events);
    for (int ep = 0; d.n < events && !err; ep++) {
        uint64_t s = seed + (uint64_t)ep;
        err = env_reset(e, s, obs, mask);
        baseline_reset(sc, s);
        baseline_reset(orc, s ^ 0x6f7261636c65ULL);
        uint8_t term = 0, trunc = 0;
        for (int step = 0; !err && !term && !trunc && d.n < events; step++) {
            sched_view v;
            env_sched_view(e, obs, mask, &v);
            int node = baseline_pick(sc, &v);
            int best = node >= 0 ? baseline_pick(orc, &v) : node;
            if (node < 0 || best < 0) {
                err = node < 0 ? node : best;
                break;
            }
            ds_event ev;
            err = make_event(&ev, &v, obs, &sp, ep, s, step, node, best);
            if (!err && (err = push(&d, &ev))) free(ev.nodes), free(ev.y_contention);
            if (err) break;
            if (progress) log_progress_update(&prog, d.n);
            int32_t action[2] = {node, hpa_scale_action(v.service, mask + v.n_max)};
            float reward;
            err = env_step(e, action, obs, mask, &reward, &term, &trunc, info);
        }
    }
    if (!err) err = dataset_write(&d, path);
out:
    dataset_free(&d);
    env_arrays_free(&a);
    if (sc) baseline_free(sc);
    if (orc) baseline_free(orc);
    if (e) env_free(e);
    return err;
}

static int get_floats(const cJSON *o, const char *key, float *dst, int n, const char *path,
                      int line)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
        return kisim_seterr(KISIM_EINPUT, "%s:%d: \"%s\" must be an array of %d numbers", path,
                            line, key, n);
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        if (!cJSON_IsNumber(x))
            return kisim_seterr(KISIM_EINPUT, "%s:%d: \"%s\"[%d] is not a number", path, line, key,
                                i);
        dst[i++] = (float)x->valuedouble;
    }
    return 0;
}

static int get_int(const cJSON *o, const char *key, int lo, int hi, int *out, const char *path,
                   int line)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(x) || x->valuedouble < lo || x->valuedouble > hi)
        return kisim_seterr(KISIM_EINPUT, "%s:%d: \"%s\" must be a number in [%d, %d]", path, line,
                            key, lo, hi);
    *out = (int)x->valuedouble;
    return 0;
}

static int parse_event(ds_event *ev, const cJSON *o, const char *path, int line)
{
    memset(ev, 0, sizeof *ev);
    int n = 0, T = 0;
    int err = get_int(o, "n", 1, 100000, &n, path, line);
    if (!err) err = get_int(o, "T", 1, 10000, &T, path, line);
    if (!err) err = get_int(o, "episode", 0, 1 << 30, &ev->episode, path, line);
    if (!err) err = get_int(o, "step", 0, 1 << 30, &ev->step, path, line);
    if (!err) err = get_int(o, "chosen", 0, n - 1, &ev->chosen, path, line);
    if (!err) err = get_int(o, "oracle", 0, n - 1, &ev->oracle, path, line);
    const cJSON *sd = cJSON_GetObjectItemCaseSensitive(o, "seed");
    const cJSON *oc = cJSON_GetObjectItemCaseSensitive(o, "outcome");
    if (!err &&
        (!cJSON_IsNumber(sd) || sd->valuedouble < 0 || sd->valuedouble > 9007199254740992.0))
        err =
            kisim_seterr(KISIM_EINPUT, "%s:%d: \"seed\" must be a number in [0, 2^53]", path, line);
    if (!err && (!cJSON_IsString(oc) || dataset_outcome_parse(oc->valuestring) < 0))
        err = kisim_seterr(KISIM_EINPUT,
                           "%s:%d: \"outcome\" must be \"running\", "
                           "\"oom_killed\" or \"evicted\"",
                           path, line);
    /* n * T * F can pass INT_MAX (n and T are each in range): check the nodes array's length
     * in 64 bits before allocating n * T * F floats for it. */
    long long want = (long long)n * T * KISIM_F;
    const cJSON *na = cJSON_GetObjectItemCaseSensitive(o, "nodes");
    if (!err && (!cJSON_IsArray(na) || cJSON_GetArraySize(na) != want))
        err = kisim_seterr(KISIM_EINPUT,
                           "%s:%d: \"nodes\" must be an array of n * T * %d = %lld "
                           "numbers",
                           path, line, KISIM_F, want);
    if (err) return err;
    ev->seed = (uint64_t)sd->valuedouble;
    ev->outcome = dataset_outcome_parse(oc->valuestring);
    err = dataset_event_alloc(ev, n, T);
    if (err) return err;
    float *mk = malloc((size_t)n * sizeof(float));
    if (!mk) return kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
    err = get_floats(o, "nodes", ev->nodes, n * ev->T * KISIM_F, path, line);
    if (!err) err = get_floats(o, "availability", ev->avail, KISIM_F, path, line);
    if (!err) err = get_floats(o, "pod", ev->pod, KISIM_P, path, line);
    if (!err) err = get_floats(o, "node_mask", mk, n, path, line);
    const cJSON *lab = cJSON_GetObjectItemCaseSensitive(o, "labels");
    if (!err && !cJSON_IsObject(lab))
        err = kisim_seterr(KISIM_EINPUT, "%s:%d: \"labels\" must be an object", path, line);
    if (!err) err = get_floats(lab, "contention", ev->y_contention, n, path, line);
    if (!err) err = get_floats(lab, "latency", ev->y_latency, n, path, line);
    if (!err) err = get_floats(lab, "inflation", ev->inflation, n, path, line);
    if (!err) err = get_floats(lab, "bootstrap", ev->y_bootstrap, n, path, line);
    for (int i = 0; i < n && !err; i++)
        ev->mask[i] = mk[i] > 0.5f;
    free(mk);
    return err;
}

int dataset_read(ds_set *d, const char *path)
{
    if (dataset_is_shard(path)) return dataset_shard_read(d, path);
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "rb");
    if (!f) return kisim_seterr(KISIM_EIO, "dataset %s: cannot open it", path);
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got;
    int line = 0, err = 0;
    while (!err && (got = getline(&buf, &cap, f)) > 0) {
        line++;
        if (got <= 1) continue;
        json_error je;
        cJSON *o = json_strict_parse(buf, (size_t)got, NULL, &je);
        if (!o) {
            err = kisim_seterr(KISIM_EINPUT, "%s:%d: not a JSON object (%s)", path, line, je.text);
            break;
        }
        if (d->n == d->cap) {
            d->cap = d->cap ? 2 * d->cap : 256;
            ds_event *t = realloc(d->ev, (size_t)d->cap * sizeof *t);
            if (!t)
                err = kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
            else
                d->ev = t;
        }
        if (!err) {
            err = parse_event(&d->ev[d->n], o, path, line);
            d->n++;
        }
        cJSON_Delete(o);
    }
    free(buf);
    fclose(f);
    if (!err && d->n == 0) err = kisim_seterr(KISIM_EINPUT, "dataset %s: no events", path);
    if (err) dataset_free(d);
    return err;
}

void dataset_free(ds_set *d)
{
    for (int i = 0; i < d->n; i++) {
        free(d->ev[i].nodes);
        free(d->ev[i].y_contention);
    }
    free(d->ev);
    memset(d, 0, sizeof *d);
}
