/* rebalance.c: the rebalancer (rebalance.h). */
#include "scheduler/rebalance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "spaces/spaces.h"
#include "telemetry/store.h"

#define N_CLASSES 5

typedef struct {
    char node[TELEM_FRAME_NAME_MAX + 1];
    telem_frame_pod pod;
    int cls;
} known_pod;

typedef struct {
    known_pod *p;
    int n, cap, oom;
} pod_list;

static int pod_class(const telem_frame_pod *pod)
{
    static const struct {
        int feature, cls;
    } dominant[] = {{FEAT_CPU_UTILIZATION, POD_CTX_CLASS_CPU_BOUND},
                    {FEAT_MEMORY_BANDWIDTH_GBPS, POD_CTX_CLASS_MEMORY_BOUND},
                    {FEAT_DISK_IOPS, POD_CTX_CLASS_IO_BOUND}};
    int cls = POD_CTX_CLASS_LATENCY_SENSITIVE;
    float best = 0.3f;
    for (int k = 0; k < 3; k++) {
        int f = dominant[k].feature;
        if (!pod->available[f]) continue;
        float v = feature_normalize(f, pod->features[f]);
        if (v >= best) best = v, cls = dominant[k].cls;
    }
    return cls;
}

void rebalance_pod_context(const telem_frame_pod *pod, float *ctx)
{
    memset(ctx, 0, KISIM_P * sizeof *ctx);
    ctx[pod_class(pod)] = 1;
}

static void collect(void *arg, const char *node, const telem_frame_pod *pod)
{
    pod_list *l = arg;
    if (l->oom) return;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        known_pod *p = realloc(l->p, (size_t)cap * sizeof *p);
        if (!p) {
            l->oom = 1;
            return;
        }
        l->p = p;
        l->cap = cap;
    }
    known_pod *k = &l->p[l->n++];
    snprintf(k->node, sizeof k->node, "%s", node);
    k->pod = *pod;
    k->cls = pod_class(pod);
}

static int by_delta(const void *a, const void *b)
{
    const rebalance_move *x = a, *y = b;
    if (x->delta != y->delta) return y->delta - x->delta;
    return strcmp(x->pod, y->pod);
}

int rebalance_plan(score_service *s, int min_delta, int max_moves, rebalance_move **moves,
                   int *n_moves)
{
    *moves = NULL;
    *n_moves = 0;
    telem_store *st = score_service_store(s);
    pod_list pods = {0};
    char **names = NULL;
    int n = 0, err = telem_store_fresh_nodes(st, &names, &n);
    score_reply rep[N_CLASSES];
    int scored[N_CLASSES] = {0};
    rebalance_move *out = NULL;
    if (err) return err;
    telem_store_each_pod(st, collect, &pods);
    if (pods.oom) {
        err = kisim_seterr(KISIM_ENOMEM, "rebalance: out of memory");
        goto cleanup;
    }
    if (n < 2 || pods.n == 0) goto cleanup; /* nowhere to move, or nothing to move */
    out = calloc((size_t)pods.n, sizeof *out);
    if (!out) {
        err = kisim_seterr(KISIM_ENOMEM, "rebalance: out of memory");
        goto cleanup;
    }
    int m = 0;
    for (int i = 0; i < pods.n; i++) {
        known_pod *kp = &pods.p[i];
        int c = kp->cls - POD_CTX_CLASS_LATENCY_SENSITIVE;
        if (!scored[c]) {
            score_request req = {.verb = SCORE_VERB_REBALANCE,
                                 .n = n > SCORE_MAX_NODES ? SCORE_MAX_NODES : n,
                                 .nodes = (const char *const *)names};
            rebalance_pod_context(&kp->pod, req.pod);
            if ((err = score_service_score(s, &req, &rep[c]))) goto cleanup;
            scored[c] = 1;
        }
        const score_reply *r = &rep[c];
        int from = -1, best = -1;
        for (int j = 0; j < r->n; j++)
            if (!strcmp(names[j], kp->node)) from = j;
        for (int j = 0; j < r->n; j++)
            if (j != from && r->nodes[j].status == SCORE_NODE_OK &&
                (best < 0 || r->nodes[j].score > r->nodes[best].score))
                best = j;
        if (from < 0 || best < 0 || r->nodes[from].status != SCORE_NODE_OK) continue;
        int delta = r->nodes[best].score - r->nodes[from].score;
        if (delta < min_delta || delta <= 0) continue;
        rebalance_move *mv = &out[m++];
        snprintf(mv->pod, sizeof mv->pod, "%s", kp->pod.name);
        snprintf(mv->from, sizeof mv->from, "%s", kp->node);
        snprintf(mv->to, sizeof mv->to, "%s", names[best]);
        mv->from_score = r->nodes[from].score;
        mv->to_score = r->nodes[best].score;
        mv->delta = delta;
        mv->link = r->link;
    }
    qsort(out, (size_t)m, sizeof *out, by_delta);
    *n_moves = m < max_moves ? m : max_moves;
    *moves = out;
    out = NULL;
cleanup:
    for (int c = 0; c < N_CLASSES; c++)
        if (scored[c]) score_reply_free(&rep[c]);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(pods.p);
    free(out);
    return err;
}
