/* dataset.c: shadow-mode scheduling events from an env (agent/DATASET.md); the files they go
 * to are read and written by dataset_jsonl.c and dataset_shard.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/fit.h"
#include "common/err.h"
#include "common/log.h"
#include "env/baselines/baseline.h"
#include "env/env.h"
#include "spaces/spaces.h"

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
