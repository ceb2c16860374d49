/* dataset.c: shadow-mode scheduling events from the sim, as JSON lines (agent/DATASET.md). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/fit.h"
#include "common/cli_args.h"
#include "common/err.h"
#include "common/log.h"
#include "env/env.h"
#include "env/scorer.h"
#include "env/sim.h"
#include "env/spaces.h"

static cJSON *farr(const float *x, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)x[i]));
    return a;
}

/* One event's JSON line (malloc'd). Labels per candidate node from the hidden state, at the
 * moment of the decision: what the pod would get on that node. */
static char *event_line(const sched_view *v, const float *obs, const env_spaces *sp, int episode,
                        uint64_t seed, int step, int chosen, int oracle)
{
    int N = v->n_max, T = v->window, F = KISIM_F;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "episode", episode);
    cJSON_AddNumberToObject(o, "seed", (double)seed);
    cJSON_AddNumberToObject(o, "step", step);
    cJSON_AddNumberToObject(o, "n", N);
    cJSON_AddNumberToObject(o, "T", T);
    cJSON_AddItemToObject(o, "nodes", farr(obs + sp->off_nodes, N * T * F));
    cJSON_AddItemToObject(o, "availability", farr(obs + sp->off_availability, F));
    cJSON_AddItemToObject(o, "pod", farr(obs + sp->off_pod, KISIM_P));
    cJSON *m = cJSON_AddArrayToObject(o, "node_mask");
    cJSON *yc = cJSON_CreateArray(), *yl = cJSON_CreateArray(), *inf = cJSON_CreateArray();
    cJSON *yb = cJSON_CreateArray();
    for (int i = 0; i < N; i++) {
        cJSON_AddItemToArray(m, cJSON_CreateNumber(v->action_mask[i] != 0));
        /* slots past the cluster's nodes (zero allocatable) have no state: label 0 */
        int real = v->nodes[i].cpu_alloc_m > 0;
        double in = real ? sim_ls_inflation(v->hidden, i, 1) : 0;
        cJSON_AddItemToArray(yc, cJSON_CreateNumber(real && sim_noisy_on(v->hidden, i) == 0));
        cJSON_AddItemToArray(yl, cJSON_CreateNumber(real && in <= DATASET_SLO_INFLATION));
        cJSON_AddItemToArray(inf, cJSON_CreateNumber(in));
        /* the seed's bootstrap label over the last sample's (normalised) telemetry */
        const float *w = v->obs_nodes + ((size_t)i * T + T - 1) * F;
        double b = 0.4 * (1 - w[FEAT_CPU_UTILIZATION]) + 0.4 * (1 - w[FEAT_MEMORY_UTILIZATION]) +
                   0.2 * (1 - w[FEAT_L3_CACHE_MISS_RATE]);
        cJSON_AddItemToArray(yb, cJSON_CreateNumber(b));
    }
    cJSON_AddNumberToObject(o, "chosen", chosen);
    cJSON_AddNumberToObject(o, "oracle", oracle);
    cJSON_AddStringToObject(o, "outcome", "running");
    cJSON *lab = cJSON_AddObjectToObject(o, "labels");
    cJSON_AddItemToObject(lab, "contention", yc);
    cJSON_AddItemToObject(lab, "latency", yl);
    cJSON_AddItemToObject(lab, "inflation", inf);
    cJSON_AddItemToObject(lab, "bootstrap", yb);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

int dataset_collect(const kisim_config *cfg, const char *scorer_name, int events, uint64_t seed,
                    const char *path, int progress)
{
    kisim_env *e = NULL;
    scorer *sc = NULL, *orc = NULL;
    float *obs = NULL, *info = NULL;
    uint8_t *mask = NULL;
    char *text = NULL;
    size_t len = 0, cap = 0;
    int err = env_init(&e, cfg);
    if (!err) err = scorer_create(&sc, scorer_name, seed);
    if (!err) err = scorer_create(&orc, "oracle", seed + 1);
    if (err) goto out;
    env_spaces sp;
    env_get_spaces(e, &sp);
    obs = malloc((size_t)sp.obs_dim * sizeof *obs);
    mask = malloc((size_t)sp.mask_dim);
    info = malloc((size_t)sp.n_info * sizeof *info);
    if (!obs || !mask || !info) {
        err = kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
        goto out;
    }
    log_progress prog;
    log_progress_begin(&prog, "dataset", "events", events);
    int got = 0;
    for (int ep = 0; got < events && !err; ep++) {
        uint64_t s = seed + (uint64_t)ep;
        err = env_reset(e, s, obs, mask);
        scorer_reset(sc, s);
        scorer_reset(orc, s ^ 0x6f7261636c65ULL);
        uint8_t term = 0, trunc = 0;
        for (int step = 0; !err && !term && !trunc && got < events; step++) {
            sched_view v;
            env_sched_view(e, obs, mask, &v);
            int node = scorer_pick(sc, &v);
            int best = node >= 0 ? scorer_pick(orc, &v) : node;
            if (node < 0 || best < 0) {
                err = node < 0 ? node : best;
                break;
            }
            char *line = event_line(&v, obs, &sp, ep, s, step, node, best);
            size_t l = strlen(line);
            if (len + l + 2 > cap) {
                cap = (len + l + 2) * 2;
                char *t = realloc(text, cap);
                if (!t) {
                    free(line);
                    err = kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
                    break;
                }
                text = t;
            }
            memcpy(text + len, line, l);
            text[len + l] = '\n';
            len += l + 1;
            text[len] = 0;
            free(line);
            got++;
            if (progress) log_progress_update(&prog, got);
            int32_t action[2] = {node, hpa_scale_action(v.service, mask + v.n_max)};
            float reward;
            err = env_step(e, action, obs, mask, &reward, &term, &trunc, info);
        }
    }
    if (!err) err = write_bytes_atomic(path, text ? text : "", len);
out:
    free(text);
    free(obs);
    free(mask);
    free(info);
    if (sc) scorer_free(sc);
    if (orc) scorer_free(orc);
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
            return kisim_seterr(KISIM_EINPUT, "%s:%d: \"%s\"[%d] is not a number", path, line,
                                key, i);
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
    int err = get_int(o, "n", 1, 100000, &ev->n, path, line);
    if (!err) err = get_int(o, "T", 1, 10000, &ev->T, path, line);
    if (!err) err = get_int(o, "episode", 0, 1 << 30, &ev->episode, path, line);
    if (!err) err = get_int(o, "step", 0, 1 << 30, &ev->step, path, line);
    if (!err) err = get_int(o, "chosen", 0, ev->n - 1, &ev->chosen, path, line);
    if (!err) err = get_int(o, "oracle", 0, ev->n - 1, &ev->oracle, path, line);
    if (err) return err;
    int n = ev->n;
    ev->nodes = malloc((size_t)n * ev->T * KISIM_F * sizeof(float));
    ev->y_contention = malloc((size_t)n * 4 * sizeof(float) + (size_t)n);
    if (!ev->nodes || !ev->y_contention) return kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
    ev->y_latency = ev->y_contention + n;
    ev->inflation = ev->y_latency + n;
    ev->y_bootstrap = ev->inflation + n;
    ev->mask = (uint8_t *)(ev->y_bootstrap + n);
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
    for (int i = 0; i < n && !err; i++) ev->mask[i] = mk[i] > 0.5f;
    free(mk);
    return err;
}

int dataset_read(ds_set *d, const char *path)
{
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
        cJSON *o = cJSON_Parse(buf);
        if (!o) {
            err = kisim_seterr(KISIM_EINPUT, "%s:%d: not a JSON object", path, line);
            break;
        }
        if (d->n == d->cap) {
            d->cap = d->cap ? 2 * d->cap : 256;
            ds_event *t = realloc(d->ev, (size_t)d->cap * sizeof *t);
            if (!t) err = kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
            else d->ev = t;
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
