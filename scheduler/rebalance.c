/* rebalance.c: the rebalancer (rebalance.h). The plan never copies the store's pods: a first
 * pass under the store's read lock finds the classes present, each is scored once, and a
 * second pass keeps the best max_moves moves in a bounded heap whose root is the worst kept. */
#include "scheduler/rebalance.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "spaces/spaces.h"
#include "telemetry/store.h"

#define N_CLASSES 5

typedef struct {
    const char *name;
    int idx; /* in plan.names */
} named;

typedef struct {
    char **names; /* [n] the scored nodes, in the store's order; owned */
    int n;
    named *by_name;        /* [n] the names sorted, for the lookup */
    const char *last_node; /* the store's name of the previous pod's node (same pass) */
    int last_idx;
    int present[N_CLASSES];
    score_reply rep[N_CLASSES]; /* each present class's scores */
    int best[N_CLASSES][2];     /* the first and second highest OK node of each, or -1 */
    int min_delta, max;
    rebalance_move *heap; /* [max], a min-heap of the kept moves (worst at the root) */
    int n_heap;
} plan;

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

static int by_name(const void *a, const void *b)
{
    return strcmp(((const named *)a)->name, ((const named *)b)->name);
}

/* The index of node in names, or -1. Pods arrive node by node, so the previous answer is
 * checked first (by pointer: the store's name, stable during one pass). */
static int node_index(plan *p, const char *node)
{
    if (node == p->last_node) return p->last_idx;
    int lo = 0, hi = p->n - 1, idx = -1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(node, p->by_name[mid].name);
        if (!c) {
            idx = p->by_name[mid].idx;
            break;
        }
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    p->last_node = node, p->last_idx = idx;
    return idx;
}

static void mark_class(void *arg, const char *node, const telem_frame_pod *pod)
{
    plan *p = arg;
    if (node_index(p, node) >= 0) p->present[pod_class(pod) - POD_CTX_CLASS_LATENCY_SENSITIVE] = 1;
}

/* a ranks before b: larger delta, then pod name, then origin node. */
static int better(const rebalance_move *a, int delta, const char *pod, const char *from)
{
    if (a->delta != delta) return a->delta > delta;
    int c = strcmp(a->pod, pod);
    return c ? c < 0 : strcmp(a->from, from) < 0;
}

static int ranks_before(const rebalance_move *a, const rebalance_move *b)
{
    return better(a, b->delta, b->pod, b->from);
}

static void sift_down(rebalance_move *h, int n, int i)
{
    for (;;) {
        int w = i, l = 2 * i + 1, r = l + 1;
        if (l < n && ranks_before(&h[w], &h[l])) w = l; /* the worse one goes up */
        if (r < n && ranks_before(&h[w], &h[r])) w = r;
        if (w == i) return;
        rebalance_move t = h[i];
        h[i] = h[w], h[w] = t, i = w;
    }
}

static void sift_up(rebalance_move *h, int i)
{
    while (i > 0 && ranks_before(&h[(i - 1) / 2], &h[i])) {
        rebalance_move t = h[i];
        h[i] = h[(i - 1) / 2], h[(i - 1) / 2] = t, i = (i - 1) / 2;
    }
}

static void offer(void *arg, const char *node, const telem_frame_pod *pod)
{
    plan *p = arg;
    int from = node_index(p, node), c = pod_class(pod) - POD_CTX_CLASS_LATENCY_SENSITIVE;
    if (from < 0 || !p->present[c]) return; /* the class appeared after the first pass */
    const score_reply *r = &p->rep[c];
    int to = p->best[c][0] == from ? p->best[c][1] : p->best[c][0];
    if (to < 0 || r->nodes[from].status != SCORE_NODE_OK) return;
    int delta = r->nodes[to].score - r->nodes[from].score;
    if (delta < p->min_delta || delta <= 0) return;
    int full = p->n_heap == p->max;
    if (full && !(delta > p->heap[0].delta ||
                  (delta == p->heap[0].delta && !better(&p->heap[0], delta, pod->name, node))))
        return;
    rebalance_move *mv = full ? &p->heap[0] : &p->heap[p->n_heap++];
    snprintf(mv->pod, sizeof mv->pod, "%s", pod->name);
    snprintf(mv->from, sizeof mv->from, "%s", node);
    snprintf(mv->to, sizeof mv->to, "%s", p->names[to]);
    mv->from_score = r->nodes[from].score;
    mv->to_score = r->nodes[to].score;
    mv->delta = delta;
    mv->link = r->link;
    if (full)
        sift_down(p->heap, p->n_heap, 0);
    else
        sift_up(p->heap, p->n_heap - 1);
}

/* The first and second highest-scoring OK nodes of a reply: the best other node of a pod's
 * node is the first unless that is its own. */
static void top_two(const score_reply *r, int *best)
{
    best[0] = best[1] = -1;
    for (int j = 0; j < r->n; j++) {
        if (r->nodes[j].status != SCORE_NODE_OK) continue;
        if (best[0] < 0 || r->nodes[j].score > r->nodes[best[0]].score)
            best[1] = best[0], best[0] = j;
        else if (best[1] < 0 || r->nodes[j].score > r->nodes[best[1]].score)
            best[1] = j;
    }
}

/* Scores each class the first pass found, over the scored nodes. */
static int score_classes(score_service *s, plan *p)
{
    for (int c = 0; c < N_CLASSES; c++) {
        if (!p->present[c]) continue;
        score_request req = {
            .verb = SCORE_VERB_REBALANCE, .n = p->n, .nodes = (const char *const *)p->names};
        req.pod[POD_CTX_CLASS_LATENCY_SENSITIVE + c] = 1;
        int err = score_service_score(s, &req, &p->rep[c]);
        if (err) {
            p->present[c] = 0;
            return err;
        }
        top_two(&p->rep[c], p->best[c]);
    }
    return 0;
}

static int final_order(const void *a, const void *b)
{
    const rebalance_move *x = a, *y = b;
    return ranks_before(x, y) ? -1 : ranks_before(y, x) ? 1 : 0;
}

static int plan_names(telem_store *st, plan *p)
{
    int n = 0, err = telem_store_fresh_nodes(st, &p->names, &n);
    if (err) return err;
    p->n = n > SCORE_MAX_NODES ? SCORE_MAX_NODES : n; /* one request's worth is scored */
    for (int i = p->n; i < n; i++)
        free(p->names[i]);
    p->by_name = malloc((size_t)(p->n ? p->n : 1) * sizeof *p->by_name);
    if (!p->by_name) return kisim_seterr(KISIM_ENOMEM, "rebalance: out of memory");
    for (int i = 0; i < p->n; i++)
        p->by_name[i] = (named){p->names[i], i};
    qsort(p->by_name, (size_t)p->n, sizeof *p->by_name, by_name);
    return 0;
}

static void plan_free(plan *p)
{
    for (int c = 0; c < N_CLASSES; c++)
        if (p->present[c]) score_reply_free(&p->rep[c]);
    for (int i = 0; i < p->n; i++)
        free(p->names[i]);
    free(p->names);
    free(p->by_name);
    free(p->heap);
}

int rebalance_plan(score_service *s, int min_delta, int max_moves, rebalance_move **moves,
                   int *n_moves)
{
    *moves = NULL;
    *n_moves = 0;
    if (max_moves < 1 || max_moves > REBALANCE_MAX_MOVES)
        return kisim_seterr(KISIM_EINPUT, "rebalance: max %d moves, expected 1..%d", max_moves,
                            REBALANCE_MAX_MOVES);
    telem_store *st = score_service_store(s);
    plan p = {.min_delta = min_delta, .max = max_moves};
    int err = plan_names(st, &p);
    if (!err && p.n >= 2) { /* with fewer, nowhere to move */
        telem_store_each_pod(st, mark_class, &p);
        err = score_classes(s, &p);
    }
    if (!err && p.n >= 2 && !(p.heap = malloc((size_t)max_moves * sizeof *p.heap)))
        err = kisim_seterr(KISIM_ENOMEM, "rebalance: out of memory for %d moves", max_moves);
    if (!err && p.heap) {
        p.last_node = NULL; /* a new pass: the store's pointers of the last one may be gone */
        telem_store_each_pod(st, offer, &p);
        qsort(p.heap, (size_t)p.n_heap, sizeof *p.heap, final_order);
        *moves = p.heap;
        *n_moves = p.n_heap;
        p.heap = NULL;
    }
    plan_free(&p);
    return err;
}

struct rebalance_job {
    pthread_t thread;
    score_service *s; /* borrowed */
    int min_delta, max_moves;
    rebalance_move *moves; /* the result, owned until rebalance_finish */
    int n, err;
    char msg[1024]; /* the plan thread's error message, for the caller's thread */
    atomic_int done;
};

static void *job_run(void *arg)
{
    rebalance_job *j = arg;
    j->err = rebalance_plan(j->s, j->min_delta, j->max_moves, &j->moves, &j->n);
    if (j->err) snprintf(j->msg, sizeof j->msg, "%s", kisim_errmsg());
    atomic_store_explicit(&j->done, 1, memory_order_release); /* publishes the result */
    return NULL;
}

int rebalance_start(rebalance_job **out, score_service *s, int min_delta, int max_moves)
{
    *out = NULL;
    rebalance_job *j = calloc(1, sizeof *j);
    if (!j) return kisim_seterr(KISIM_ENOMEM, "rebalance: out of memory");
    j->s = s, j->min_delta = min_delta, j->max_moves = max_moves;
    atomic_init(&j->done, 0);
    if (pthread_create(&j->thread, NULL, job_run, j)) {
        free(j);
        return kisim_seterr(KISIM_ENOMEM, "rebalance: cannot start its thread");
    }
    *out = j;
    return 0;
}

int rebalance_done(rebalance_job *j)
{
    return atomic_load_explicit(&j->done, memory_order_acquire);
}

int rebalance_finish(rebalance_job *j, rebalance_move **moves, int *n)
{
    pthread_join(j->thread, NULL);
    *moves = j->moves, *n = j->n;
    int err = j->err;
    if (err) kisim_seterr(err, "%s", j->msg);
    free(j);
    return err;
}
